"""`diplowatch serve`: the daily flow as a Prefect deployment on a cron schedule, served here.

The process registers the deployment with the Prefect API it is configured for (a local
`prefect server start`, or the temporary server Prefect starts when none is configured) and runs
each scheduled flow run itself. Those who run a work pool use `prefect.yaml` instead.
"""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from diplowatch.flows.daily import daily
from diplowatch.settings.loader import Config, load_config
from diplowatch.settings.schema import ScheduleSettings


def daily_schedule(schedule: ScheduleSettings) -> Schedule:
    return Cron(f"{schedule.minute} {schedule.hour} * * *", timezone=schedule.timezone)


def daily_deployment(cfg: Config, db: str | None, config_dir: str | None) -> RunnerDeployment:
    deployment = daily.to_deployment(
        name="diplowatch-daily",
        schedules=[daily_schedule(cfg.settings.schedule)],
        parameters={"db": db, "config_dir": config_dir},
        description="Read the French feeds and store new articles, flags and claims.",
        tags=["diplowatch"],
    )
    # prefect's sync-compatible API gives a coroutine only when called from async code
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def serve_daily(db: str | None, config_dir: str | None) -> None:
    """Register the deployment and run its scheduled flow runs here until interrupted."""
    serve(daily_deployment(load_config(config_dir), db, config_dir))
