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
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)


def quiet_logging() -> None:
    for name in ("prefect", "prefect.server", "uvicorn", "uvicorn.error", "asyncio", "httpx"):
        logger = logging.getLogger(name)
        logger.addFilter(_DropServerNoise())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
