"""The copies-and-events refresh, as one task the flows call at their end.

`daily` (and so `demo` and `backfill`) refreshes the articles no refresh has seen yet (those whose
copy group is unset: this run's, and any a crashed run left); `reprocess` refreshes the window
it rewrote. The work is storage.derived's, in one short write transaction.
"""

from __future__ import annotations

from datetime import date
from time import perf_counter

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from diplowatch.extractors.copies import CopyParams
from diplowatch.extractors.events import EventParams
from diplowatch.settings.loader import Config
from diplowatch.storage import db as storage_db
from diplowatch.storage import derived

# Seconds the refresh waits for an analyst's read-only query to release the file.
WRITE_WAIT = 60.0


def params_of(cfg: Config) -> tuple[CopyParams, EventParams]:
    copies, events = cfg.settings.copies, cfg.settings.events
    return (
        CopyParams(
            num_perm=copies.num_perm,
            lsh_threshold=copies.lsh_threshold,
            min_containment=copies.min_containment,
            min_shingles=copies.min_shingles,
            window_days=copies.window_days,
        ),
        EventParams(window_days=events.window_days, min_similarity=events.min_similarity),
    )


def refresh_now(
    db_path: str,
    cfg: Config,
    *,
    window: tuple[date | None, date | None] | None = None,
) -> dict[str, int]:
    """Refresh copies and events: pending articles, or all dated within `window` (since, until).

    A day at a time (`derived.refresh_by_day`), each day its own transaction: a backfill's
    months are never all in memory at once, and a crash keeps the days already done.
    """
    copies, events = params_of(cfg)
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        urls = derived.pending_urls(con) if window is None else derived.urls_between(con, *window)
        return {"refreshed": len(urls), **derived.refresh_by_day(con, urls, copies, events)}


@task(name="refresh-copies-events", cache_policy=NO_CACHE)
def refresh_derived(
    db_path: str,
    cfg: Config,
    window: tuple[date | None, date | None] | None = None,
) -> dict[str, int]:
    """`refresh_now` as a task, logged with its time."""
    started = perf_counter()
    counts = refresh_now(db_path, cfg, window=window)
    get_run_logger().info(
        "copies and events: %d articles refreshed, %d regrouped, %d events (%.2f s)",
        counts["refreshed"],
        counts["regrouped"],
        counts["events"],
        perf_counter() - started,
    )
    return counts
