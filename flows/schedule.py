"""`diplowatch serve`: the daily flow as a Prefect deployment on a cron schedule, served here.

The process registers the deployment with the Prefect API it is configured for (a local
`prefect server start`, or the temporary server Prefect starts when none is configured) and runs
each scheduled flow run itself. Those who run a work pool use `prefect.yaml` instead.
"""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron, Schedule

from flows.config import load_config
from flows.daily import daily
from flows.settings import get


def daily_schedule(settings: dict[str, Any]) -> Schedule:
    hour, minute = get(settings, "schedule.hour"), get(settings, "schedule.minute")
    return Cron(f"{minute} {hour} * * *", timezone=get(settings, "schedule.timezone"))


def serve_daily(db: str | None, config_dir: str | None) -> None:
    cfg = load_config(config_dir)
    daily.serve(
        name="diplowatch-daily",
        schedules=[daily_schedule(cfg.settings)],
        parameters={"db": db, "config_dir": config_dir},
        description="Read the French feeds and store new articles, flags and claims.",
        tags=["diplowatch"],
    )
