"""Prefect as diplowatch's commands run it: quiet settings, a temporary server of our own, signals.

Nothing happens on import: `prefect_runtime()` is entered by the CLI around a command that runs
a flow (`run`, `demo`, `backfill`, `reprocess`, `serve`), and leaves `os.environ` and logging
as it found them. `prefect.toml` at the repository root carries the same `QUIET` settings for
the bare `prefect` command run from there (`prefect deploy`, `prefect deployment ls`).

Why a server of our own: with no `PREFECT_API_URL`, Prefect starts a temporary server as a
child in our process group, so the terminal's Ctrl-C reaches it too; it dies mid-run and the
flow then spends minutes retrying its logs against a closed port. Ours runs in its own session,
outlives the interrupt long enough for the run's last states and logs, and is stopped by us.
Out of our group, it would also outlive a SIGKILL of ours (nobody left to stop it): so it is
started through `LIFELINE`, which asks the kernel to kill it when we die (Linux's
PR_SET_PDEATHSIG) before it becomes the server.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

# Keys of Prefect's settings (prefect/settings/models): the same as `prefect.toml`'s tables.
QUIET: dict[str, bool] = {
    # the server's and the SDK's anonymous usage reports (the SDK asks the server)
    "server.analytics_enabled": False,
    # OS metrics of flow-run subprocesses
    "telemetry.enable_resource_metrics": False,
    "cloud.enable_orchestration_telemetry": False,
    # nobody browses the temporary server
    "server.ui.enabled": False,
    "server.ui.show_promotional_content": False,
}

# Seconds the run's last logs and events get to reach the server before it stops.
DRAIN_TIMEOUT = 2.0

# Seconds the temporary server gets to answer, at least (Prefect's default is 20): its first
# start in a Prefect home creates its database, which takes longer than that on a busy machine
# (a CI runner; 8 test sessions on 2 cores timed out at 20 s every time).
STARTUP_TIMEOUT = 120


class Interrupted(KeyboardInterrupt):
    """A command stopped by SIGINT or SIGTERM; its exit status is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum


def signal_of(exc: BaseException) -> int | None:
    """The signal that stopped the run, if `exc` is how one surfaced, else None.

    A signal that lands inside an anyio task group (an HTTP connect, say) comes out wrapped in a
    BaseExceptionGroup; it is still the interrupt, not a crash, if every member is one.
    """
    from prefect.exceptions import TerminationSignal

    if isinstance(exc, Interrupted):
        return exc.signum
    if isinstance(exc, TerminationSignal):
        return exc.signal
    if isinstance(exc, KeyboardInterrupt):
        return signal.SIGINT
    if isinstance(exc, BaseExceptionGroup):
        found = {signal_of(member) for member in exc.exceptions}
        return found.pop() if len(found) == 1 and None not in found else None
    return None


def exit_status(exc: KeyboardInterrupt) -> int:
    """130 after Ctrl-C (SIGINT), 143 after SIGTERM, as a shell reports a process they killed."""
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


@contextmanager
def prefect_runtime() -> Iterator[None]:
    """Run the enclosed flow commands with `QUIET` settings and a server safe from Ctrl-C.

    An API configured by the user (`PREFECT_API_URL`, a profile) is used as it is. SIGTERM is
    turned into `Interrupted`, like Ctrl-C, so a command stops the same way for both.
    """
    from prefect.settings import get_current_settings, temporary_settings

    with (
        _signals(),
        _interrupts_are_not_crashes(),
        temporary_settings(updates=QUIET),
    ):
        current = get_current_settings()
        if current.api.url or not current.server.ephemeral.enabled:
            yield
            return
        with _own_server():
            yield


@contextmanager
def _own_server() -> Iterator[str]:
    """Prefect's temporary server in its own session, set as the API for every thread."""
    import prefect.context
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings, temporary_settings

    # SubprocessASGIServer hands out one instance per port; Prefect code that wants a temporary
    # server asks for the default (None) one: ours, registered as it is created
    previous = SubprocessASGIServer._instances.pop(None, None)
    server = _session_server()
    try:
        chosen = get_current_settings().server.ephemeral.startup_timeout_seconds
        with _level("prefect", logging.WARNING):  # "Starting temporary server on …"
            server.start(timeout=max(STARTUP_TIMEOUT, chosen))
        with (
            temporary_settings(updates={"api.url": server.api_url}),
            # threads Prefect started before (its log and event workers) read the global context
            prefect.context._temporary_global_settings_context(
                prefect.context.get_settings_context()
            ),
        ):
            try:
                yield server.api_url
            finally:
                _drain()
    finally:
        with _level("prefect", logging.WARNING):  # "Stopping temporary server on …"
            server.stop()
        if previous is not None:
            SubprocessASGIServer._instances[None] = previous
        else:
            SubprocessASGIServer._instances.pop(None, None)


#: The server's first moments: ask for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG,
#: kept across exec), stop if the parent died already, then become the server (`os.execv`).
#: A program of its own rather than a `preexec_fn`: nothing of ours runs between fork and exec
#: in a process that has threads (Prefect's). The signal comes when the thread that started it
#: ends, so `_own_server` starts and stops it in the same thread, the one that runs the command.
LIFELINE = """
import ctypes, os, signal, sys
parent = int(sys.argv[1])
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass  # not Linux: no such call
if os.getppid() != parent:
    os._exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def with_lifeline(command: list[str]) -> list[str]:
    """`command` (an absolute program path first) run so that it dies with this process."""
    return [sys.executable, "-c", LIFELINE, str(os.getpid()), *command]


def _session_server() -> Any:
    """Prefect's `SubprocessASGIServer`, its process started in a session of its own.

    The command and environment are Prefect's own (prefect/server/api/server.py); only the
    session differs, and the lifeline that ends it with us. Built on call: importing this
    module must not import Prefect.
    """
    import prefect
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    class SessionServer(SubprocessASGIServer):
        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            app = "prefect.server.api.server:create_app"
            return subprocess.Popen(
                with_lifeline(
                    [
                        *(sys.executable, "-m", "uvicorn"),
                        *("--app-dir", str(prefect.__module_path__.parent), "--factory", app),
                        *("--host", "127.0.0.1", "--port", str(self.port)),
                        *("--log-level", "error", "--lifespan", "on"),
                    ]
                ),
                env={
                    **os.environ,
                    "PREFECT_UI_ENABLED": "0",
                    "PREFECT__SERVER_EPHEMERAL": "1",
                    "PREFECT__SERVER_FINAL": "1",
                    **get_current_settings().to_environment_variables(exclude_unset=True),
                },
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    return SessionServer()


def _drain() -> None:
    """Send the run's last logs and events while the server is still there to take them."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with suppress(Exception):
            worker.drain_all(timeout=DRAIN_TIMEOUT)


@contextmanager
def _level(name: str, level: int) -> Iterator[None]:
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(before)


class _DropInterruptCrash(logging.Filter):
    """Drop Prefect's errors that call a run stopped by Ctrl-C or SIGTERM a crash.

    The user stopped it: the CLI says `diplowatch: interrupted`, and the runs' states (Crashed,
    with these reasons) and the `runs` row keep the record. Only these exact messages go; a real
    crash, or a state with any other reason, is still logged.
    """

    REASONS = (
        "Execution was aborted by an interrupt signal.",
        "Execution was aborted by a termination signal.",
    )
    MESSAGES = frozenset(
        [f"Crash detected! {reason}" for reason in REASONS]
        + [f"Finished in state Crashed({reason!r})" for reason in REASONS]
    )
    # A signal that lands inside an anyio task group reaches Prefect as an exception group: its
    # report is held until the command ends, dropped if a signal ended it, logged if not.
    GROUPED = "Execution was interrupted by an unexpected exception: BaseExceptionGroup"
    HELD = (f"Crash detected! {GROUPED}", f"Finished in state Crashed('{GROUPED}")

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.ERROR:
            return True
        message = record.getMessage()
        if message.startswith(self.HELD):
            self.held.append(record)
            return False
        return message not in self.MESSAGES


# The loggers of flow and task runs (prefect/logging/loggers.py): the only ones that say it.
CRASH_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


@contextmanager
def _interrupts_are_not_crashes() -> Iterator[None]:
    drop = _DropInterruptCrash()
    loggers = [logging.getLogger(name) for name in CRASH_LOGGERS]
    for logger in loggers:
        logger.addFilter(drop)
    interrupted = False
    try:
        yield
    except BaseException as exc:
        interrupted = signal_of(exc) is not None
        raise
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
        if not interrupted:  # a real crash: its report is the user's to read
            for record in drop.held:
                logging.getLogger(record.name).handle(record)


@contextmanager
def _signals() -> Iterator[None]:
    """SIGTERM stops a command as Ctrl-C does, and whoever swallows either, it ends `Interrupted`.

    Both raise `Interrupted` (a KeyboardInterrupt) in the main thread. Prefect
    reports them its own ways: during a flow run it turns SIGTERM into `TerminationSignal`;
    `serve` catches both, logs, and returns normally, after its runner has replaced our SIGTERM
    handler with its own (which then leaves the runner `stopping`).
    """
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    received: list[int] = []
    main = threading.current_thread() is threading.main_thread()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise Interrupted(signum)

    # SIGINT too: recorded, so that Ctrl-C on `serve` (which returns normally) still ends 130
    watched = (signal.SIGTERM, signal.SIGINT)
    before = {signum: signal.signal(signum, on_signal) for signum in watched} if main else {}
    try:
        yield
    except (TerminationSignal, BaseExceptionGroup) as exc:
        signum = signal_of(exc)
        if signum is None:
            raise
        raise Interrupted(signum) from None
    finally:
        handler = signal.getsignal(signal.SIGTERM)
        for signum, previous in before.items():
            signal.signal(signum, previous)
    runner = getattr(handler, "__self__", None)
    if isinstance(runner, Runner) and runner.stopping:
        received.append(signal.SIGTERM)
    if received:
        raise Interrupted(received[0])
