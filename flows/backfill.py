"""The backfill flow: past dates from archived feeds and sitemaps, through the daily pipeline.

`diplowatch backfill --since D1 --until D2` runs one flow; each date, in order:

1. discovers that date's articles in the outlets' archived feeds and sitemaps (flows.discovery);
2. fetches, analyses and stores the new ones through `flows.ingest`, exactly as a day of the
   daily flow does (batches, one short transaction each, canonical URL as key), with the run's one
   HTTP client and engine, shared by every date (the spaCy model loads once per worker);
3. fetches the archived copy of every page whose live URL answered 404 or 410 (the latest capture
   up to the end of the next day, found through the CDX API) and stores that instead;
4. records a `runs` row (kind "backfill", run_date that date) with its counts.

Resumable and idempotent: a date with a completed run is skipped unless `force`; a killed backfill
leaves its finished batches stored and its date not completed, so the next run redoes that date,
finds those articles known and fetches only the rest; `force` also retries the pages of a date
that failed for other reasons (timeouts, 5xx), since a failed page is not "known" until it has
failed MAX_FETCH_ATTEMPTS times (storage.writes). A date whose sources could not be read for
a transient reason (timeouts, 5xx, 429: the archive is down or is throttling us) is recorded
"failed" after storing what it found, and the backfill stops there rather than hammer a
struggling archive; a source that is permanently wrong (404, not a sitemap) is logged and counted
in `sources_failed` but does not hold the date back, or a bad URL in feeds.toml would block every
backfill forever.

Polite: every request of the backfill goes through its one client and limiter, at
`backfill.requests_per_second` per host; a month's sitemap is read once per backfill.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from time import perf_counter
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from diplowatch.errors import BackfillError, InputError
from diplowatch.extractors.records import FeedItem
from diplowatch.flows.daily import BATCHES_IN_FLIGHT
from diplowatch.flows.derived import refresh_derived
from diplowatch.flows.discovery import Discovery, SourceFetcher, archived_copies, discover
from diplowatch.flows.ingest import (
    Fetcher,
    Figures,
    Run,
    counts_line,
    ingest,
    interrupted,
    new_items,
    open_fetcher,
)
from diplowatch.flows.progress import COUNTS, LineReporter, Reporter
from diplowatch.flows.workers import Engine
from diplowatch.settings.loader import load_config
from diplowatch.settings.schema import Settings
from diplowatch.settings.sources import Sources, backfill_sources
from diplowatch.storage import db as storage_db
from diplowatch.storage import runs, writes
from diplowatch.storage.publish import Publisher, publish_read_copy
from diplowatch.storage.runlock import run_lock
from diplowatch.storage.runs import WRITE_WAIT


def date_range(start: date, end: date) -> list[date]:
    if end < start:
        raise InputError(f"backfill: --until {end} is before --since {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


class Backfill:
    """What the dates of one backfill share: sources, the run's fetcher and engine, the sitemaps
    read so far, the progress reporter. A plain class, as `flows.ingest.Run`: Prefect need not
    walk it looking for futures.
    """

    def __init__(
        self, sources: Sources, settings: Settings, fetcher: Fetcher, engine: Engine, show: Reporter
    ) -> None:
        self.sources, self.settings, self.engine, self.show = sources, settings, engine, show
        self.fetcher = fetcher
        # a month's sitemap serves 30 dates: read once per backfill
        self.sources_fetcher = SourceFetcher(fetcher, settings, {})


@task(name="discover-items", cache_policy=NO_CACHE)
def discover_items(day: date, job: Backfill) -> tuple[Discovery, Figures]:
    """Every item of `day` from the archived feeds and the sitemaps."""
    logger = get_run_logger()
    started = perf_counter()
    found = job.fetcher.call(discover, day, job.sources, job.sources_fetcher)
    for problem in found.problems:
        logger.warning("%s: source skipped: %s", day, problem)
    for error in found.errors:
        logger.error("%s: source unreachable: %s", day, error)
    logger.info(
        "%s: %d items from %d archived feed copies and %d sitemaps",
        day,
        len(found.items),
        found.snapshots,
        found.sitemaps,
    )
    seconds = {"discover": perf_counter() - started}
    return found, Figures({}, seconds, (started, perf_counter()))


@task(name="find-archived-pages", cache_policy=NO_CACHE)
def find_archived_pages(items: Sequence[FeedItem], day: date, job: Backfill) -> list[FeedItem]:
    """Archived copies of the pages gone live; a page the archive never saw stays failed."""
    found, errors = job.fetcher.call(archived_copies, items, day, job.sources_fetcher)
    logger = get_run_logger()
    for error in errors:
        logger.warning("%s: no archived copy looked up: %s", day, error)
    logger.info("%s: %d of %d gone pages have an archived copy", day, len(found), len(items))
    return found


def gone_pages(db_path: str, run_id: str, items: Sequence[FeedItem]) -> list[FeedItem]:
    """The items this run stored as failed because their live page answered 404 or 410."""
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        gone = writes.failed_in_run(con, run_id, (404, 410))
    return [item for item in items if item.url in gone]


# -- flows ---------------------------------------------------------------------------------------


def backfill_date(day: date, job: Backfill, run: Run) -> None:
    """One past date: discovered, fetched, analysed, stored, counted in the run's record.

    A date whose sources were unreachable is recorded failed (`record.fail`), after storing
    what was found.
    """
    record = run.record
    found, figures = discover_items(day, job)
    run.add(figures)
    record.add(
        {
            "snapshots": found.snapshots,
            "sitemaps": found.sitemaps,
            "sources_failed": len(found.problems) + len(found.errors),
            "items_seen": len(found.items),
        }
    )
    with run.stage("new items"):
        items = new_items(found.items, run.db_path)
    record.add({"new_articles": len(items)})
    total, processed = len(items), 0
    job.show.day_started(day, total)

    def advance(counts: dict[str, int]) -> None:
        nonlocal processed
        processed += counts["extracted"] + counts["empty"] + counts["failed"]
        job.show.day_progress(day, processed, total)

    batch = job.settings.pipeline.batch_size
    ingest(items, run, batch, advance)
    gone = gone_pages(run.db_path, run.run_id, items)
    archived = find_archived_pages(gone, day, job) if gone else []
    if archived:
        total += len(archived)
        record.add({"failed": -len(archived)})  # tallied again below, with their new outcome
        redone = ingest(archived, run, batch, advance)
        record.add({"archived_pages": redone["extracted"] + redone["empty"]})
    if found.errors:
        record.fail(f"{day}: {len(found.errors)} sources unreachable, first: {found.errors[0]}")


@flow(
    name="diplowatch-backfill",
    task_runner=ThreadPoolTaskRunner(max_workers=BATCHES_IN_FLIGHT),  # type: ignore[arg-type]  # prefect's generic
    log_prints=False,
)
def backfill(
    date_from: date,
    date_to: date,
    db: str | None = None,
    config_dir: str | None = None,
    outlets: list[str] | None = None,
    force: bool = False,
    dask: str | None = None,
    progress: Any = None,
) -> dict[str, dict[str, Any]] | State[Any]:
    """Backfill every date of date_from..date_to (inclusive) not done yet, one `runs` row each.

    Returns {date: {"status": "completed" | "skipped", **counts}}. At the first date that could
    not be completed (recorded failed), stops and ends Failed: calling the flow raises its
    BackfillError. `progress` (a flows.progress.Reporter) hears each date and batch; plain
    lines on stderr by default.
    """
    logger = get_run_logger()
    cfg = load_config(config_dir)
    settings = cfg.settings
    days = date_range(date_from, date_to)
    sources = backfill_sources(cfg, outlets)
    db_path = str(storage_db.db_path(db))
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        done = runs.dates_completed(con, "backfill")
    todo = [day for day in days if force or day not in done]
    logger.info(
        "backfill %s..%s: %d dates, %d already complete%s; %d feeds, %d outlets with sitemaps",
        date_from,
        date_to,
        len(days),
        len(days) - len(todo),
        " (redone: --force)" if force and done & set(days) else "",
        len(sources.feeds),
        len(sources.sitemaps),
    )
    show: Reporter = progress if progress is not None else LineReporter()
    engine = Engine.of(cfg, dask)
    spec = engine.spec
    params = {
        "feeds": sorted(sources.feeds),
        "sitemaps": sorted(sources.sitemaps),
        "config": config_dir,
        "engine": engine.where,
    }
    results: dict[str, dict[str, Any]] = {}
    publisher = Publisher(db_path, settings.storage.publish_every, logger)
    show.begin(days)
    try:
        # one client and one engine for every date: the spaCy model loads once per worker
        with (
            run_lock(db_path, wait=settings.storage.run_lock_wait),
            open_fetcher(settings.fetch, rate=settings.backfill.requests_per_second) as fetcher,
            engine,
        ):
            job = Backfill(sources, settings, fetcher, engine, show)
            for day in days:
                if day not in todo:
                    show.day_finished(day, "skipped", {})
                    results[day.isoformat()] = {"status": "skipped"}
                    continue
                status = "failed"
                with runs.recorded_run(
                    db_path,
                    kind="backfill",
                    run_date=day,
                    params=params,
                    counts=COUNTS,
                    flow_run_id=str(flow_run.id) if flow_run.id else None,
                    interrupted=interrupted,
                ) as record:
                    run = Run(db_path, record, day, spec.version, fetcher, engine)
                    try:
                        backfill_date(day, job, run)
                        record.seconds["busy"] = run.busy()
                        status = record.status
                    finally:
                        show.day_finished(day, status, dict(record.counts))
                logger.info("%s %s: %s", day, status, counts_line(record.counts))
                if record.failure:
                    logger.error("backfill stopped at %s: %s", day, record.failure)
                    return Failed(message=record.failure, data=BackfillError(record.failure))
                results[day.isoformat()] = {"status": "completed", **record.counts}
                publisher.step_done()  # the analysts' copy every storage.publish_every dates
            refresh_derived(db_path, cfg)  # copy groups and events of the new articles
    finally:
        show.end()
    publish_read_copy(db_path, log=logger)
    return results
