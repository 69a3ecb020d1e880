"""How an interrupt is recognised and reported, whatever shape it reaches us in."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator

import pytest
from prefect.exceptions import TerminationSignal

from diplowatch.flows.prefect_runtime import (
    Interrupted,
    _interrupts_are_not_crashes,
    exit_status,
    signal_of,
)

GROUPED = (
    "Crash detected! Execution was interrupted by an unexpected exception: BaseExceptionGroup: "
    "unhandled errors in a TaskGroup (1 sub-exception)"
)


def test_a_signal_is_recognised_in_every_shape() -> None:
    assert signal_of(KeyboardInterrupt()) == signal.SIGINT
    assert signal_of(TerminationSignal(signal=signal.SIGTERM)) == signal.SIGTERM
    assert signal_of(Interrupted(signal.SIGTERM)) == signal.SIGTERM
    # raised inside an anyio task group (an HTTP connect), it comes out wrapped
    wrapped = BaseExceptionGroup("connect", [TerminationSignal(signal=signal.SIGTERM)])
    assert signal_of(BaseExceptionGroup("outer", [wrapped])) == signal.SIGTERM
    # a real failure in the group, or no signal at all: not an interrupt
    mixed = BaseExceptionGroup("g", [KeyboardInterrupt(), RuntimeError("boom")])
    assert signal_of(mixed) is None and signal_of(RuntimeError("boom")) is None
    assert (
        exit_status(Interrupted(signal.SIGTERM)) == 143 and exit_status(KeyboardInterrupt()) == 130
    )


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def flow_run_log() -> Iterator[Collect]:
    """The flow-run logger's records, and only here: Prefect's API handler is set aside, since
    these records are written outside any flow run (it refuses those), and nothing propagates."""
    logger = logging.getLogger("prefect.flow_runs")
    handler = Collect()
    saved = logger.handlers[:], logger.propagate
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.handlers[:], logger.propagate = saved


def test_a_grouped_crash_report_is_dropped_when_a_signal_ended_the_command(
    flow_run_log: Collect,
) -> None:
    with pytest.raises(BaseExceptionGroup), _interrupts_are_not_crashes():
        logging.getLogger("prefect.flow_runs").error(GROUPED)
        raise BaseExceptionGroup("connect", [TerminationSignal(signal=signal.SIGTERM)])
    assert flow_run_log.messages == []


def test_a_grouped_crash_report_is_logged_when_it_was_a_real_crash(
    flow_run_log: Collect,
) -> None:
    with pytest.raises(BaseExceptionGroup), _interrupts_are_not_crashes():
        logging.getLogger("prefect.flow_runs").error(GROUPED)
        logging.getLogger("prefect.flow_runs").error("Crash detected! something else")
        raise BaseExceptionGroup("connect", [OSError("refused")])
    assert flow_run_log.messages == ["Crash detected! something else", GROUPED]
