"""Prefect's environment, set before Prefect is first imported.

Nothing may call out from here: analytics and telemetry are switched off rather than left to
fail noisily against a closed network. Import this module before `prefect` (flows do).
"""

from __future__ import annotations

import logging
import os

QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
}
for _name, _value in QUIET.items():
    os.environ.setdefault(_name, _value)


class _DropServerNoise(logging.Filter):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DropServerNoise)

    def __hash__(self) -> int:
        return hash(_DropServerNoise)

    """Drop the ephemeral server's start/stop chatter and its shutdown-time tracebacks.

    On exit uvicorn and the event loop of the temporary server log cancelled tasks and closed
    connections; they say nothing about our run and look like failures to a user.
    """

    NOISE = (
        "Starting temporary server",
        "Stopping temporary server",
        "See https://www.prefect.io/docs",
        "Task was destroyed but it is pending",
        "Exception in ASGI application",
        "CancelledError",
        "websocket failed with an exception",  # the temporary server going away on Ctrl-C
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)


def quiet_logging() -> None:
    """Filter the noise on every handler Prefect installed (filters on loggers miss children)."""
    noise = _DropServerNoise()
    loggers = [logging.getLogger()] + [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.split(".")[0] in ("prefect", "uvicorn")
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if noise not in handler.filters:
                handler.addFilter(noise)
    # one line per request is the client's business, not the run log's
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
