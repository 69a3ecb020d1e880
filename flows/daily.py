"""The daily flow: feeds -> new articles -> clean, flag, claims -> DuckDB, batch by batch.

Feeds are fetched concurrently in one task; new articles are then fetched, analysed and written
in batches (one task per batch and stage, never one per article), the analysis of one batch
overlapping the fetch of the next. Each batch is one short write transaction, so a crash leaves
whole batches behind it and a re-run picks up the rest; an analyst's read-only query can get in
between two batches.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from time import perf_counter
from typing import Any, TypeVar

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from diplowatch.errors import DiplowatchError, HTTPStatusError
from diplowatch.extractors.feeds import parse_feed
from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.flows import http
from diplowatch.flows.config import Config, Feed, load_config, parse_feeds
from diplowatch.flows.derived import refresh_derived
from diplowatch.flows.prefect_runtime import signal_of
from diplowatch.flows.routing import route_mounts
from diplowatch.flows.settings import FetchSettings, ScheduleSettings
from diplowatch.flows.workers import AnalyzerPool, PendingBatch, version_of
from diplowatch.storage import db as storage_db
from diplowatch.storage import writes
from diplowatch.storage.publish import publish_read_copy  # publish

T = TypeVar("T")

# Seconds a write waits for an analyst's read-only query to release the file.
WRITE_WAIT = 60.0

COUNTS = (
    "feeds_ok",
    "feeds_unchanged",
    "feeds_failed",
    "items_seen",
    "new_articles",
    "extracted",
    "empty",
    "failed",
    "flagged",
    "claims",
)


@dataclass
class FeedOutcome:
    feed_id: str
    url: str
    outlet: str
    status: str  # ok | unchanged | empty | failed
    items: list[FeedItem] = field(default_factory=list)
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Clock:
    """Seconds per stage, and Prefect's own share: what a task call costs beyond its body.

    Stage bodies time themselves (`stage`); `call` and `submitted` time a task from the flow's
    side, and the difference is orchestration. Bodies of submitted tasks run on another thread,
    hence the per-thread tally.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"orchestration": 0.0}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._bodies: dict[str, tuple[float, float]] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = perf_counter()
        try:
            yield
        finally:
            ended = perf_counter()
            with self._lock:
                self.seconds[name] = self.seconds.get(name, 0.0) + ended - started
                self._bodies[name] = (started, ended)
            self._local.body = getattr(self._local, "body", 0.0) + ended - started

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a task on this thread; what its body did not use is orchestration."""
        before = getattr(self._local, "body", 0.0)
        started = perf_counter()
        result = fn(*args)
        body = getattr(self._local, "body", 0.0) - before
        self.seconds["orchestration"] += max(0.0, perf_counter() - started - body)
        return result

    def submitted(self, name: str, submitted_at: float) -> None:
        """A submitted task has returned: count its start-up delay as orchestration."""
        with self._lock:
            body_started, _ = self._bodies.get(name, (submitted_at, submitted_at))
            self.seconds["orchestration"] += max(0.0, body_started - submitted_at)


# -- feeds -------------------------------------------------------------------------------------


async def _fetch_feeds(
    feeds: Mapping[str, Feed],
    states: dict[str, tuple[str | None, str | None]],
    settings: FetchSettings,
    route: dict[str, str] | None = None,
) -> list[FeedOutcome]:
    limiter = http.HostLimiter.from_settings(settings)
    async with http.make_client(settings, mounts=route_mounts(route)) as client:

        async def one(feed_id: str, feed: Feed) -> FeedOutcome:
            etag, last_modified = states.get(feed_id, (None, None))
            outcome = FeedOutcome(feed_id, feed.url, feed.outlet, "failed")
            try:
                res = await http.fetch(
                    client,
                    feed.url,
                    etag=etag,
                    last_modified=last_modified,
                    settings=settings,
                    limiter=limiter,
                )
            except DiplowatchError as exc:
                outcome.error = str(exc)
                return outcome
            outcome.http_status = res.status
            outcome.etag, outcome.last_modified = res.etag, res.last_modified
            if res.not_modified:
                outcome.status = "unchanged"
                return outcome
            try:
                # in a thread: a long feed's parse must not stall the other feeds' fetches
                outcome.items = await asyncio.to_thread(
                    parse_feed,
                    res.content,
                    feed_id=feed_id,
                    outlet=outcome.outlet,
                    url=res.final_url,
                    content_type=res.content_type,
                    max_items=settings.max_items_per_feed,
                )
            except DiplowatchError as exc:
                outcome.error = str(exc)
                return outcome
            outcome.status = "ok" if outcome.items else "empty"
            return outcome

        return list(await asyncio.gather(*(one(fid, f) for fid, f in feeds.items())))


@task(name="fetch-feeds", cache_policy=NO_CACHE)
def fetch_feeds(
    feeds: Mapping[str, Feed],
    db_path: str,
    settings: FetchSettings,
    clock: Clock,
    route: dict[str, str] | None = None,
) -> list[FeedOutcome]:
    """Fetch and parse every feed at once; record each feed's status and validators."""
    with clock.stage("feeds"):
        return _fetch_and_record_feeds(feeds, db_path, settings, route)


def _fetch_and_record_feeds(
    feeds: Mapping[str, Feed],
    db_path: str,
    settings: FetchSettings,
    route: dict[str, str] | None = None,
) -> list[FeedOutcome]:
    logger = get_run_logger()
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        states = writes.load_feed_states(con)
    outcomes = asyncio.run(_fetch_feeds(feeds, states, settings, route))
    checked = datetime.now(UTC)
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        for o in outcomes:
            writes.save_feed_status(
                con,
                feed_id=o.feed_id,
                url=o.url,
                outlet=o.outlet,
                status=o.status,
                http_status=o.http_status,
                etag=o.etag,
                last_modified=o.last_modified,
                items=len(o.items),
                error=o.error,
                checked_at=checked,
            )
    for o in outcomes:
        if o.status == "failed":
            logger.warning("feed %s failed: %s", o.feed_id, o.error)
        elif o.status == "unchanged":
            logger.info("feed %s unchanged (304)", o.feed_id)
        else:
            logger.info("feed %s: %d items", o.feed_id, len(o.items))
    return outcomes


def new_items(items: Iterable[FeedItem], db_path: str) -> list[FeedItem]:
    """Each canonical URL once, in feed order, minus the articles already stored."""
    unique: dict[str, FeedItem] = {}
    for item in items:
        unique.setdefault(item.url, item)
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        known = writes.known_urls(con, list(unique))
    return [item for url, item in unique.items() if url not in known]


# -- articles ----------------------------------------------------------------------------------


async def _fetch_pages(
    items: Sequence[FeedItem],
    settings: FetchSettings,
    rate: float | None,
    route: dict[str, str] | None = None,
) -> tuple[list[FetchedPage], list[ProcessedArticle]]:
    limiter = http.HostLimiter.from_settings(settings, rate=rate)
    pages: list[FetchedPage] = []
    failed: list[ProcessedArticle] = []
    async with http.make_client(settings, mounts=route_mounts(route)) as client:

        async def one(item: FeedItem) -> FetchedPage | ProcessedArticle:
            try:
                res = await http.fetch(client, item.link, settings=settings, limiter=limiter)
            except DiplowatchError as exc:
                return ProcessedArticle(
                    item=item,
                    status="failed",
                    fetched_at=datetime.now(UTC),
                    # a 404 or 410 tells a backfill to look for the archived copy
                    http_status=exc.status if isinstance(exc, HTTPStatusError) else None,
                    error=str(exc),
                )
            return FetchedPage(item, res.content, datetime.now(UTC), res.status, res.content_type)

        for result in await asyncio.gather(*(one(item) for item in items)):
            if isinstance(result, FetchedPage):
                pages.append(result)
            else:
                failed.append(result)
    return pages, failed


@task(name="fetch-articles", cache_policy=NO_CACHE)
def fetch_articles(
    items: Sequence[FeedItem],
    settings: FetchSettings,
    clock: Clock,
    rate: float | None = None,
    route: dict[str, str] | None = None,
) -> tuple[list[FetchedPage], list[ProcessedArticle]]:
    with clock.stage("fetch"):
        pages, failed = asyncio.run(_fetch_pages(items, settings, rate, route))
    logger = get_run_logger()
    for done in failed:
        logger.warning("article %s failed: %s", done.item.link, done.error)
    return pages, failed


@task(name="analyse-articles", cache_policy=NO_CACHE)
def analyse_articles(
    pending: PendingBatch, pool: AnalyzerPool, clock: Clock
) -> list[ProcessedArticle]:
    """Collect a batch the workers were handed earlier; "analyse" is the time spent waiting.

    The workers ran it while this thread fetched and wrote other batches, so this stage's
    seconds are what the flow could not hide behind its own work.
    """
    with clock.stage("analyse"):
        return pool.collect(pending)


@task(name="write-batch", cache_policy=NO_CACHE)
def write_batch(
    batch: list[ProcessedArticle],
    db_path: str,
    run_id: str,
    run_date: date | None,
    version: str,
    clock: Clock,
) -> dict[str, int]:
    with clock.stage("write"), storage_db.session(db_path, wait=WRITE_WAIT) as con:
        return writes.save_batch(
            con, batch, run_id=run_id, run_date=run_date, extractor_version=version
        )


def tally(counts: dict[str, int], batch: Sequence[ProcessedArticle]) -> None:
    for done in batch:
        counts[done.status] += 1
        if done.flag is not None and done.flag.relevant:
            counts["flagged"] += 1
        counts["claims"] += len(done.claims)


def ingest(
    items: Sequence[FeedItem],
    *,
    cfg: Config,
    db_path: str,
    run_id: str,
    run_date: date | None,
    counts: dict[str, int],
    pool: AnalyzerPool,
    clock: Clock,
    rate: float | None = None,
    route: dict[str, str] | None = None,
) -> None:
    """Fetch, analyse and write new articles batch by batch; shared by daily and backfill.

    Batch n + 1 is fetched and handed to the workers before batch n is collected and written,
    so the workers always have a batch queued while this thread fetches and writes: the
    workers' cleaning and parsing overlap the fetches and the writes. Large task inputs are
    quoted: Prefect would otherwise walk every page and article to look for futures.
    """
    version = version_of(cfg)
    size = cfg.settings.pipeline.batch_size
    in_flight: deque[tuple[PendingBatch, list[ProcessedArticle]]] = deque()
    writing: PrefectFuture[dict[str, int]] | None = None

    def wait_for_write() -> None:
        nonlocal writing
        if writing is not None:
            started = perf_counter()
            writing.result()
            clock.seconds["write wait"] = clock.seconds.get("write wait", 0.0) + (
                perf_counter() - started
            )
            writing = None

    def finish() -> None:
        nonlocal writing
        pending, failed = in_flight.popleft()
        analysed = clock.call(analyse_articles, quote(pending), pool, clock)
        batch = analysed + failed
        # one write at a time, in order, on the task runner's thread: DuckDB and zlib let go
        # of the GIL, so this thread fetches the next batch meanwhile
        wait_for_write()
        writing = write_batch.submit(
            quote(batch),  # type: ignore[call-overload]  # quote: Prefect unwraps it, skips the walk
            db_path,
            run_id,
            run_date,
            version,
            clock,
        )
        tally(counts, batch)

    for chunk in chunks(items, size):
        pages, failed = clock.call(
            fetch_articles, quote(chunk), cfg.settings.fetch, clock, rate, route
        )
        in_flight.append((pool.submit(pages), failed))
        if len(in_flight) > 1:
            finish()
    while in_flight:
        finish()
    wait_for_write()


# -- the flow ----------------------------------------------------------------------------------


def close_failed(
    db_path: str, run_id: str, counts: dict[str, int], seconds: dict[str, float], exc: BaseException
) -> None:
    """Mark the run failed with its reason; an interrupted run says so and lets go at once.

    Interrupted, the write waits two seconds at most for the file: if an analyst's query holds
    it, the row stays `running` (as after a kill) rather than the interrupt turning into a wait
    or into a storage error.
    """
    interrupted = signal_of(exc) is not None  # Ctrl-C, SIGTERM, however they surfaced
    reason = "interrupted" if interrupted else (str(exc) or type(exc).__name__)
    try:
        with storage_db.session(db_path, wait=2.0 if interrupted else WRITE_WAIT) as con:
            writes.finish_run(
                con, run_id, status="failed", counts=counts, error=reason, seconds=seconds
            )
    except DiplowatchError:
        if not interrupted:
            raise


def today_in(schedule: ScheduleSettings) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(schedule.timezone)).date()


@flow(
    name="diplowatch-daily",
    task_runner=ThreadPoolTaskRunner(max_workers=4),  # type: ignore[arg-type]  # prefect's generic
    log_prints=False,
)
def daily(
    run_date: date | None = None,
    db: str | None = None,
    config_dir: str | None = None,
    feeds: dict[str, dict[str, Any]] | None = None,
    kind: str = "daily",
    route: dict[str, str] | None = None,
) -> dict[str, int]:
    """Read every enabled feed and store the new articles, their flags and claims.

    `feeds` replaces the configured feed list (the offline demo serves its own); `route` sends
    some hosts to a loopback address (the demo's fake host to its server's port), a plain
    mapping because flow parameters must serialise.
    """
    logger = get_run_logger()
    cfg = load_config(config_dir)
    db_path = str(storage_db.db_path(db))
    run_date = run_date or today_in(cfg.settings.schedule)
    # `feeds` stays plain tables: a flow parameter is JSON in the Prefect UI and the demo
    feed_list = parse_feeds(feeds) if feeds is not None else cfg.enabled_feeds()
    counts = dict.fromkeys(COUNTS, 0)
    clock = Clock()
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        run_id = writes.start_run(
            con,
            kind=kind,
            run_date=run_date,
            params={"feeds": len(feed_list), "config": config_dir},
            flow_run_id=str(flow_run.id) if flow_run.id else None,
        )
    try:
        outcomes = clock.call(fetch_feeds, feed_list, db_path, cfg.settings.fetch, clock, route)
        for o in outcomes:
            key = {"ok": "feeds_ok", "empty": "feeds_ok", "unchanged": "feeds_unchanged"}
            counts[key.get(o.status, "feeds_failed")] += 1
            counts["items_seen"] += len(o.items)
        items = new_items((item for o in outcomes for item in o.items), db_path)
        counts["new_articles"] = len(items)
        logger.info("%d items seen, %d new articles", counts["items_seen"], len(items))
        if items:
            with AnalyzerPool(cfg, cfg.settings.pipeline.workers) as pool:
                ingest(
                    items,
                    cfg=cfg,
                    db_path=db_path,
                    run_id=run_id,
                    run_date=run_date,
                    counts=counts,
                    pool=pool,
                    clock=clock,
                    route=route,
                )
            clock.seconds.update(pool.seconds)
        refresh_derived(db_path, cfg)  # copies-events: copy groups and events of the new articles
    except BaseException as exc:
        close_failed(db_path, run_id, counts, clock.seconds, exc)
        raise
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        writes.finish_run(con, run_id, status="completed", counts=counts, seconds=clock.seconds)
    logger.info(
        "run %s: %s", run_id, ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    )
    publish_read_copy(db_path, log=logger)  # publish: the analysts' copy (storage/publish.py)
    return counts
