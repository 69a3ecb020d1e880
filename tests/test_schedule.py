"""`diplowatch serve`'s schedule: the daily flow as a cron deployment in Europe/Paris."""

from __future__ import annotations

from pathlib import Path

from prefect.client.schemas.schedules import CronSchedule

from diplowatch.flows.schedule import daily_deployment, daily_schedule
from diplowatch.settings.loader import load_config


def test_schedule_follows_the_settings(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[schedule]\nhour = 7\nminute = 5\n", encoding="utf-8")
    schedule = daily_schedule(load_config(tmp_path).settings.schedule)
    assert schedule.cron == "5 7 * * *"
    assert schedule.timezone == "Europe/Paris"


def test_the_deployment_carries_schedule_and_parameters() -> None:
    deployment = daily_deployment(load_config(), "data/x.duckdb", None)
    assert deployment.name == "diplowatch-daily"
    assert deployment.parameters["db"] == "data/x.duckdb"
    assert deployment.schedules is not None and len(deployment.schedules) == 1
    schedule = deployment.schedules[0]
    assert isinstance(schedule.schedule, CronSchedule)
    assert schedule.schedule.cron == "30 6 * * *"
    assert schedule.schedule.timezone == "Europe/Paris"
