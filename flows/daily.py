"""The daily flow: feeds -> new articles -> clean, flag, claims -> DuckDB, batch by batch.

Feeds are fetched concurrently in one task; the new articles then go through the shared ingest
path (flows.ingest: one task per batch, fetched, analysed on the engine and written in one short
transaction). A feed's ETag and Last-Modified are stored only after every item they cover is
stored: a run killed between a feed and its items gets the whole feed again next time (not a
304), finds the stored items known and fetches exactly the rest.

A broken feed is logged and counted; a run where no feed answered at all, or whose engine failed,
ends Failed in Prefect and `failed` in `runs`, with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from time import perf_counter
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from diplowatch.errors import DiplowatchError, RunError
from diplowatch.extractors.feeds import ParsedFeed, read_feed
from diplowatch.extractors.records import FeedItem
from diplowatch.fetch.http import FetchResult
from diplowatch.flows.derived import refresh_derived
from diplowatch.flows.ingest import (
    ARTICLE_COUNTS,
    Fetcher,
    Figures,
    Run,
    counts_line,
    ingest,
    interrupted,
    new_items,
    open_fetcher,
)
from diplowatch.flows.workers import Engine
from diplowatch.settings.loader import Feed, load_config, parse_feeds
from diplowatch.settings.schema import ScheduleSettings
from diplowatch.storage import db as storage_db
from diplowatch.storage import runs, writes
from diplowatch.storage.publish import publish_read_copy
from diplowatch.storage.runlock import run_lock
from diplowatch.storage.runs import WRITE_WAIT

COUNTS = (
    "feeds_ok",
    "feeds_unchanged",
    "feeds_failed",
    "items_seen",
    "new_articles",
    *ARTICLE_COUNTS,
)

#: Batches in flight at once: one fetching, one analysed, one written, one queued.
BATCHES_IN_FLIGHT = 4


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
    truncated: bool = False  # more items than one run takes: its validators must not be kept


class _StoredURLs:
    """Whether a canonical URL is stored, asked of the database one URL at a time."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def __contains__(self, url: object) -> bool:
        row = self.con.execute("SELECT 1 FROM articles WHERE url = ?", [url]).fetchone()
        return row is not None


def _read_capped(
    res: FetchResult, feed_id: str, outlet: str, db_path: str, max_items: int
) -> ParsedFeed:
    """The feed's items, at most `max_items` (fetch.max_items_per_feed) not yet stored.

    Only a feed longer than the cap is read a second time, leaving its stored items out, so the
    next runs take the next slices (its validators are not kept until it is read whole).
    """

    def read(skip: Container[str]) -> ParsedFeed:
        return read_feed(
            res.content,
            feed_id=feed_id,
            outlet=outlet,
            url=res.final_url,
            content_type=res.content_type,
            max_items=max_items,
            skip=skip,
        )

    parsed = read(frozenset())
    if not parsed.truncated:
        return parsed
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        return read(_StoredURLs(con))


async def _fetch_feeds(
    fetcher: Fetcher,
    feeds: Mapping[str, Feed],
    states: dict[str, tuple[str | None, str | None]],
    db_path: str,
    max_items: int,
) -> list[FeedOutcome]:
    async def one(feed_id: str, feed: Feed) -> FeedOutcome:
        etag, last_modified = states.get(feed_id, (None, None))
        outcome = FeedOutcome(feed_id, feed.url, feed.outlet, "failed")
        try:
            res = await fetcher.fetch(feed.url, etag=etag, last_modified=last_modified)
            outcome.http_status = res.status
            outcome.etag, outcome.last_modified = res.etag, res.last_modified
            if res.not_modified:
                outcome.status = "unchanged"
                return outcome
            # in a thread: a long feed's parse must not stall the other feeds' fetches
            parsed = await asyncio.to_thread(
                _read_capped, res, feed_id, outcome.outlet, db_path, max_items
            )
            outcome.items, outcome.truncated = parsed.items, parsed.truncated
        except DiplowatchError as exc:
            outcome.error = str(exc)
            return outcome
        outcome.status = "ok" if outcome.items else "empty"
        return outcome

    return list(await asyncio.gather(*(one(fid, f) for fid, f in feeds.items())))


@task(name="fetch-feeds", cache_policy=NO_CACHE)
def fetch_feeds(
    feeds: Mapping[str, Feed], run: Run, max_items: int
) -> tuple[list[FeedOutcome], Figures]:
    """Fetch and parse every feed at once; record each feed's status (validators come later).

    `max_items`: items taken from one feed in one run (fetch.max_items_per_feed).
    """
    assert run.fetcher is not None
    logger = get_run_logger()
    started = perf_counter()
    with storage_db.session(run.db_path, wait=WRITE_WAIT) as con:
        states = runs.load_feed_states(con)
    outcomes = run.fetcher.call(
        _fetch_feeds,
        run.fetcher,
        feeds,
        states,
        run.db_path,
        max_items,
    )
    checked = datetime.now(UTC)

    def record(con: Any) -> None:
        for o in outcomes:
            runs.save_feed_status(
                con,
                feed_id=o.feed_id,
                url=o.url,
                outlet=o.outlet,
                status=o.status,
                http_status=o.http_status,
                items=len(o.items),
                error=o.error,
                checked_at=checked,
                validators=False,
            )

    run.write(record)
    counts = dict.fromkeys(("feeds_ok", "feeds_unchanged", "feeds_failed", "items_seen"), 0)
    for o in outcomes:
        key = {"ok": "feeds_ok", "empty": "feeds_ok", "unchanged": "feeds_unchanged"}
        counts[key.get(o.status, "feeds_failed")] += 1
        counts["items_seen"] += len(o.items)
        if o.status == "failed":
            logger.warning("feed %s failed: %s", o.feed_id, o.error)
        elif o.status == "unchanged":
            logger.info("feed %s unchanged (304)", o.feed_id)
        else:
            logger.info("feed %s: %d items", o.feed_id, len(o.items))
    return outcomes, Figures(counts, {"feeds": perf_counter() - started}, (started, perf_counter()))


def save_validators(run: Run, outcomes: list[FeedOutcome]) -> int:
    """Store the validators of every feed whose items are all stored now; return how many.

    A feed whose items are not all known yet (a fetch failed and will be retried, the run was
    cut short) keeps its old validators, so the next run reads it whole again.
    """
    fresh = [o for o in outcomes if o.status in ("ok", "empty") and not o.truncated]

    def store(con: Any) -> int:
        known = writes.known_urls(con, [item.url for o in fresh for item in o.items])
        complete = {
            o.feed_id: (o.etag, o.last_modified)
            for o in fresh
            if all(item.url in known for item in o.items)
        }
        runs.save_feed_validators(con, complete)
        return len(complete)

    return run.write(store)[0]


def today_in(schedule: ScheduleSettings) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(schedule.timezone)).date()


@flow(
    name="diplowatch-daily",
    task_runner=ThreadPoolTaskRunner(max_workers=BATCHES_IN_FLIGHT),  # type: ignore[arg-type]  # prefect's generic
    log_prints=False,
)
def daily(
    run_date: date | None = None,
    db: str | None = None,
    config_dir: str | None = None,
    feeds: dict[str, dict[str, Any]] | None = None,
    kind: str = "daily",
    route: dict[str, str] | None = None,
    dask: str | None = None,
) -> dict[str, int] | State[Any]:
    """Read every enabled feed and store the new articles, their flags and claims.

    `feeds` replaces the configured feed list (the offline demo serves its own); `route` sends
    some hosts to a loopback address (the demo's fake host to its server's port), a plain
    mapping because flow parameters must serialise; `dask` is a Dask scheduler's address for the
    analysis (else `engine.dask_address`, else local processes).
    """
    logger = get_run_logger()
    cfg = load_config(config_dir)
    settings = cfg.settings
    db_path = str(storage_db.db_path(db))
    run_date = run_date or today_in(settings.schedule)
    # `feeds` stays plain tables: a flow parameter is JSON in the Prefect UI and the demo
    feed_list = parse_feeds(feeds) if feeds is not None else cfg.enabled_feeds()
    engine = Engine.of(cfg, dask)
    spec = engine.spec
    with (
        run_lock(db_path, wait=settings.storage.run_lock_wait),  # serve's runs too
        runs.recorded_run(
            db_path,
            kind=kind,
            run_date=run_date,
            params={"feeds": len(feed_list), "config": config_dir, "engine": engine.where},
            counts=COUNTS,
            flow_run_id=str(flow_run.id) if flow_run.id else None,
            interrupted=interrupted,
        ) as record,
        open_fetcher(settings.fetch, route=route) as fetcher,
        engine,
    ):
        run = Run(db_path, record, run_date, spec.version, fetcher, engine)
        outcomes, figures = fetch_feeds(feed_list, run, settings.fetch.max_items_per_feed)
        run.add(figures)
        with run.stage("new items"):
            items = new_items((item for o in outcomes for item in o.items), db_path)
        record.add({"new_articles": len(items)})
        logger.info("%d items seen, %d new articles", record.counts["items_seen"], len(items))
        ingest(items, run, settings.pipeline.batch_size)
        with run.stage("validators"):
            save_validators(run, outcomes)
        with run.stage("copies + events"):
            refresh_derived(db_path, cfg)  # copy groups and events of the new articles
        if feed_list and not record.counts["feeds_ok"] + record.counts["feeds_unchanged"]:
            record.fail(
                f"no feed answered: all {len(feed_list)} failed, first: {outcomes[0].error}"
            )
        record.seconds["busy"] = run.busy()
    counts = record.counts
    logger.info("run %s: %s", record.run_id, counts_line(counts))
    if record.failure:
        return Failed(message=record.failure, data=RunError(record.failure))
    publish_read_copy(db_path, log=logger)  # the analysts' copy (storage/publish.py)
    return counts
