"""Every tunable setting, declared once with its type, bounds and help (`diplowatch settings`).

The values live only in the shipped `config/settings.toml`: the models below declare no default,
so a setting missing from the shipped file is an error rather than a second, silent default. A
user's `settings.toml` in `--config DIR` overrides only the keys it names; the merged result is
validated here. A test checks that the shipped file and these declarations agree.

Only pydantic and the standard library are imported: `load_config` runs in the CLI before any
flow starts and must stay fast.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "AnalysisSettings",
    "BackfillSettings",
    "CopiesSettings",
    "EngineSettings",
    "EventsSettings",
    "FetchSettings",
    "PipelineSettings",
    "ScheduleSettings",
    "Settings",
    "StorageSettings",
    "describe_settings",
    "http_url",
]


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host, else ValueError (pydantic turns it into one line)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone (an IANA name, e.g. Europe/Paris)") from None
    return value


def _host_name(value: str) -> str:
    """A host as a URL writes it, lowercased; an IPv6 literal with or without its brackets."""
    host = value.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or any(c in host for c in "/@?#[] \t"):
        raise ValueError("must be a host name or an address, without scheme, port or path")
    return host


HttpUrl = Annotated[str, AfterValidator(http_url)]
HostName = Annotated[str, AfterValidator(_host_name)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]

# strict: a quoted "20" in a TOML file is a mistake worth reporting, not a number to guess;
# pydantic's strict floats still take TOML integers (`timeout = 20`).
SECTION = ConfigDict(frozen=True, extra="forbid", strict=True)


class FetchSettings(BaseModel):
    model_config = SECTION

    user_agent: str = Field(
        min_length=1,
        description="User-Agent sent with every request; names the tool and a contact.",
    )
    timeout: float = Field(
        gt=0, description="Seconds allowed for reading a response (and for each phase)."
    )
    connect_timeout: float = Field(gt=0, description="Seconds allowed to open a connection.")
    retries: int = Field(ge=0, le=20, description="Extra attempts after a timeout, a 5xx or a 429.")
    backoff: float = Field(
        ge=0, description="First wait between attempts in seconds; doubles each time."
    )
    max_backoff: float = Field(
        ge=0, description="Longest wait between attempts, Retry-After included."
    )
    max_bytes: int = Field(
        gt=0, description="Largest response body accepted; bigger ones are an error."
    )
    max_redirects: int = Field(ge=0, le=50, description="Redirects followed before a fetch fails.")
    per_host: int = Field(ge=1, description="Requests in flight at once to one host.")
    concurrency: int = Field(ge=1, description="Requests in flight at once in all.")
    request_deadline: float = Field(
        gt=0,
        description="Seconds one attempt may last in all (connect, redirects, headers, body), "
        "however slowly the server trickles.",
    )
    host_budget_seconds: float = Field(
        gt=0,
        description="Seconds of fetching one host may cost a phase (the feeds, a batch of "
        "articles, a backfill date); its remaining URLs then fail, to be tried next run.",
    )
    max_url_length: int = Field(
        ge=256, le=65_536, description="Longest URL fetched; a longer one is that URL's error."
    )
    max_items_per_feed: int = Field(
        ge=1, description="Items taken from one feed per run; a longer feed is marked truncated."
    )
    allow_hosts: list[HostName] = Field(
        description="Hosts fetched even though they resolve to loopback, private or other "
        "non-public addresses (e.g. a local test server): names or address literals, matched "
        "with the URL's host as written, any port ('localhost' is not '127.0.0.1')."
    )


class PipelineSettings(BaseModel):
    model_config = SECTION

    batch_size: int = Field(ge=1, description="Articles fetched, processed and written together.")
    workers: int = Field(
        ge=0, le=256, description="Processes that clean and analyse pages (0: in the flow's own)."
    )


class ScheduleSettings(BaseModel):
    model_config = SECTION

    hour: int = Field(ge=0, le=23, description="Hour of the daily run (0-23) in schedule.timezone.")
    minute: int = Field(ge=0, le=59, description="Minute of the daily run (0-59).")
    timezone: TimeZone = Field(
        description="Time zone of the daily schedule and of 'today' (e.g. Europe/Paris)."
    )


class BackfillSettings(BaseModel):
    model_config = SECTION

    cdx_url: HttpUrl = Field(description="Wayback Machine CDX API endpoint.")
    wayback_url: HttpUrl = Field(
        description="Base URL of archived snapshots (…/web/<timestamp>id_/<url>)."
    )
    requests_per_second: float = Field(gt=0, description="Request rate per host during a backfill.")
    max_snapshots: int = Field(ge=1, description="Archived copies of one feed read per date.")


class CopiesSettings(BaseModel):
    model_config = SECTION

    min_containment: float = Field(
        gt=0,
        le=1,
        description="Share of the shorter text's word 5-shingles found in the other that makes "
        "two articles copies of one dispatch.",
    )
    min_shingles: int = Field(
        ge=1, description="Shingles a text needs (about its words) to be compared at all."
    )
    lsh_threshold: float = Field(
        gt=0, lt=1, description="Jaccard index the MinHash LSH index aims at for candidates."
    )
    num_perm: int = Field(ge=16, le=1024, description="MinHash permutations per signature.")
    window_days: int = Field(
        ge=0, description="Days apart beyond which two articles are never copies."
    )


class EventsSettings(BaseModel):
    model_config = SECTION

    window_days: int = Field(
        ge=0, description="Days an article may follow an event's latest story and still join it."
    )
    min_similarity: float = Field(
        gt=0,
        le=1,
        description="TF-IDF cosine between a story and an event's stories needed to join it.",
    )


class StorageSettings(BaseModel):
    model_config = SECTION

    run_lock_wait: float = Field(
        ge=0,
        description="Seconds a run waits for another run writing the same database to end, "
        "before it stops (0: stop at once).",
    )
    publish_every: int = Field(
        ge=0,
        description="Dates of a backfill between two publications of the analysts' copy "
        "NAME.read.duckdb (0: only at the end of the run).",
    )


def _dask_address(value: str) -> str:
    if value and "://" not in value:
        raise ValueError("must be a Dask scheduler address such as tcp://HOST:8786, or empty")
    return value


class EngineSettings(BaseModel):
    model_config = SECTION

    dask_address: Annotated[str, AfterValidator(_dask_address)] = Field(
        description="Dask scheduler (tcp://HOST:8786) that runs the analysis; empty: local"
        " processes (pipeline.workers). `--dask ADDRESS` overrides it for one command."
    )


class AnalysisSettings(BaseModel):
    """Bounds on the work one article can cost (issue 13): a page of any size costs at most this."""

    model_config = SECTION

    max_text_chars: int = Field(
        ge=1000,
        description="Characters of an article's text analysed for claims; past it the text is cut"
        " at a paragraph or sentence end and the article marked truncated.",
    )
    max_claims: int = Field(
        ge=1, description="Claims kept per article; past it the article is marked truncated."
    )
    time_budget_seconds: float = Field(
        gt=0,
        description="Seconds one article's claim analysis may take; over it the article fails"
        " with that reason and the batch goes on.",
    )


class Settings(BaseModel):
    """The merged `settings.toml`: one frozen model per section."""

    model_config = SECTION

    fetch: FetchSettings
    pipeline: PipelineSettings
    schedule: ScheduleSettings
    backfill: BackfillSettings
    copies: CopiesSettings
    events: EventsSettings
    storage: StorageSettings
    engine: EngineSettings
    analysis: AnalysisSettings


def _type_name(annotation: Any) -> str:
    # Annotated[str, ...] (URLs, time zones) is a str in the settings file
    origin = getattr(annotation, "__origin__", annotation)
    return getattr(origin, "__name__", str(origin))


def describe_settings(settings: Settings) -> list[tuple[str, str, Any, str]]:
    """(dotted name, type name, current value, help) of every setting, in declaration order."""
    rows: list[tuple[str, str, Any, str]] = []
    for section_name in Settings.model_fields:
        section: BaseModel = getattr(settings, section_name)
        for key, info in type(section).model_fields.items():
            rows.append(
                (
                    f"{section_name}.{key}",
                    _type_name(info.annotation),
                    getattr(section, key),
                    info.description or "",
                )
            )
    return rows
