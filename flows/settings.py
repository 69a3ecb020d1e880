"""Every tunable setting, declared once with its help text (`diplowatch settings` prints them).

The default values live in `config/settings.toml`; a user's `settings.toml` in `--config DIR`
overrides only the keys it names. A test checks that the two lists agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diplowatch.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str  # "section.key" in settings.toml
    type: type
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "fetch.user_agent", str, "User-Agent sent with every request; names the tool and a contact."
    ),
    Setting("fetch.timeout", float, "Seconds allowed for reading a response (and for each phase)."),
    Setting("fetch.connect_timeout", float, "Seconds allowed to open a connection."),
    Setting("fetch.retries", int, "Extra attempts after a timeout, a 5xx or a 429."),
    Setting("fetch.backoff", float, "First wait between attempts in seconds; doubles each time."),
    Setting("fetch.max_backoff", float, "Longest wait between attempts, Retry-After included."),
    Setting("fetch.max_bytes", int, "Largest response body accepted; bigger ones are an error."),
    Setting("fetch.max_redirects", int, "Redirects followed before a fetch fails."),
    Setting("fetch.per_host", int, "Requests in flight at once to one host."),
    Setting("fetch.concurrency", int, "Requests in flight at once in all."),
    Setting("pipeline.batch_size", int, "Articles fetched, processed and written together."),
    Setting(
        "pipeline.workers", int, "Processes that clean and analyse pages (0: in the flow's own)."
    ),
    Setting("schedule.hour", int, "Hour of the daily run (0-23) in schedule.timezone."),
    Setting("schedule.minute", int, "Minute of the daily run."),
    Setting("schedule.timezone", str, "Time zone of the daily schedule."),
    Setting("backfill.cdx_url", str, "Wayback Machine CDX API endpoint."),
    Setting(
        "backfill.wayback_url", str, "Base URL of archived snapshots (…/web/<timestamp>id_/<url>)."
    ),
    Setting("backfill.requests_per_second", float, "Request rate per host during a backfill."),
    Setting("backfill.max_snapshots", int, "Archived copies of one feed read per date."),
)

BY_NAME = {s.name: s for s in SETTINGS}


def get(settings: dict[str, Any], name: str) -> Any:
    """The value of one setting from the merged `settings.toml`, checked against its type."""
    if name not in BY_NAME:
        raise KeyError(name)  # a bug: every setting is declared above
    section, _, key = name.partition(".")
    try:
        value = settings[section][key]
    except KeyError:
        raise ConfigError(f"settings.toml: missing setting {name}") from None
    wanted = BY_NAME[name].type
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is not bool):
        raise ConfigError(f"settings.toml: {name} should be {wanted.__name__}, got {value!r}")
    return value
