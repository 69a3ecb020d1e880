"""The one ingest path of daily, backfill and demo: new items -> pages -> analysis -> DuckDB.

A run opens one `Fetcher` (one HTTP client and one host limiter on one event loop, for every
request of the run) and one `Engine` (flows.workers), and hands both to its tasks in a `Run`.
Items are cut into batches; each batch is one Prefect task, `ingest-batch`, that fetches its
pages, has the engine analyse them and writes them in one short transaction. The flow submits
every batch to its task runner and collects them in order: the runner's threads keep a few
batches in flight (one fetching while another is analysed and a third written), so fetches and
writes stay off the critical path of the analysis; only the flow process writes, one batch at a
time. A crash leaves whole batches behind it and a rerun fetches the rest.

Each task returns its own figures (counts, and seconds per stage); the flow adds them to its
`runs` row (`storage.runs.recorded_run`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from time import perf_counter
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from diplowatch.errors import DiplowatchError, HTTPStatusError, RunError
from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.fetch import http
from diplowatch.fetch.routing import route_mounts
from diplowatch.flows.prefect_runtime import signal_of
from diplowatch.flows.workers import Engine
from diplowatch.settings.schema import FetchSettings
from diplowatch.storage import db as storage_db
from diplowatch.storage import writes
from diplowatch.storage.runs import WRITE_WAIT, RunRecord

T = TypeVar("T")

#: Outcome counts of articles, as each batch reports them.
ARTICLE_COUNTS = ("extracted", "empty", "failed", "flagged", "claims")


class Fetcher:
    """The run's HTTP: one client and one limiter, on an event loop of their own.

    Tasks run on the task runner's threads; they all fetch through `call`, so connections are
    pooled for the whole run and the limits hold across batches.
    """

    def __init__(
        self,
        portal: BlockingPortal,
        client: httpx.AsyncClient,
        limiter: http.HostLimiter,
        settings: FetchSettings,
    ) -> None:
        self.portal, self.client, self.limiter, self.settings = portal, client, limiter, settings
        self._running: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def call(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run `fn(*args)` on the run's event loop and wait for it (`cancel` stops it)."""
        future: Future[T] = self.portal.start_task_soon(fn, *args)
        with self._lock:
            self._running.add(future)
        try:
            return future.result()
        finally:
            with self._lock:
                self._running.discard(future)

    def cancel(self) -> None:
        """Stop every fetch in flight: their callers get a CancelledError."""
        with self._lock:
            for future in self._running:
                future.cancel()

    async def fetch(self, url: str, **validators: str | None) -> http.FetchResult:
        return await http.fetch(
            self.client, url, settings=self.settings, limiter=self.limiter, **validators
        )


@contextmanager
def open_fetcher(
    settings: FetchSettings, *, rate: float | None = None, route: dict[str, str] | None = None
) -> Any:
    """The run's Fetcher; its client is closed and its loop stopped on the way out."""

    @asynccontextmanager
    async def session() -> AsyncIterator[tuple[httpx.AsyncClient, http.HostLimiter]]:
        async with http.make_client(settings, mounts=route_mounts(route)) as client:
            yield client, http.HostLimiter.from_settings(settings, rate=rate)

    with start_blocking_portal() as portal:
        opened: AbstractContextManager[Any] = portal.wrap_async_context_manager(session())
        with opened as (client, limiter):
            yield Fetcher(portal, client, limiter, settings)


class Run:
    """What the tasks of one run share: its row, the fetcher, the engine, the single writer.

    A plain class on purpose: Prefect walks the dataclasses and collections passed to a task
    looking for futures, and this one holds a client, a process pool and a lock.
    """

    def __init__(
        self,
        db_path: str,
        record: RunRecord,
        run_date: date | None,
        version: str,
        fetcher: Fetcher | None,
        engine: Engine,
    ) -> None:
        self.db_path = db_path
        self.record = record
        self.run_id = record.run_id
        self.run_date = run_date
        self.version = version
        self.fetcher = fetcher
        self.engine = engine
        self.write_lock = threading.Lock()
        self.stopping = threading.Event()
        self._spans: list[tuple[float, float]] = []

    def stop(self) -> None:
        """The run is ending early (a signal, a failed batch): tasks still to start return at
        once, fetches in flight are cancelled, the engine takes no more work."""
        self.stopping.set()
        if self.fetcher is not None:
            self.fetcher.cancel()
        self.engine.cancel()

    def wind_down(self) -> None:
        """`stop`, then wait for a write in progress: no batch is written after this returns."""
        self.stop()
        with self.write_lock:
            pass

    def add(self, figures: Figures) -> None:
        """A task's figures into the run's record."""
        self.record.add(figures.counts, figures.seconds)
        self._spans.append(figures.span)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time some of the flow's own work (a query, a small write) as a task times its body."""
        started = perf_counter()
        try:
            yield
        finally:
            self.add(Figures({}, {name: perf_counter() - started}, (started, perf_counter())))

    def busy(self) -> float:
        """Seconds during which at least one task body ran: the rest of the wall time is the
        flow's own bookkeeping and Prefect's (the bench's orchestration figure)."""
        total, reach = 0.0, float("-inf")
        for start, end in sorted(self._spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total

    def write(self, what: Callable[[Any], T]) -> tuple[T, float, float]:
        """`what(connection)` as the run's only writer: result, seconds waited, seconds written."""
        asked = perf_counter()
        with self.write_lock:
            if self.stopping.is_set():
                raise RunError("the run is stopping: batch not written")
            started = perf_counter()
            with storage_db.session(self.db_path, wait=WRITE_WAIT, checkpoint=False) as con:
                result = what(con)
            return result, started - asked, perf_counter() - started


@dataclass
class Figures:
    """What one task did: counts, seconds per stage, and when its body ran (for the bench)."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    span: tuple[float, float] = (0.0, 0.0)


def tally(batch: Iterable[ProcessedArticle]) -> dict[str, int]:
    counts = dict.fromkeys(ARTICLE_COUNTS, 0)
    for done in batch:
        counts[done.status] += 1
        counts["flagged"] += bool(done.flag is not None and done.flag.relevant)
        counts["claims"] += len(done.claims)
    return counts


async def fetch_pages(
    fetcher: Fetcher, items: Sequence[FeedItem]
) -> tuple[list[FetchedPage], list[ProcessedArticle]]:
    """Every item's page, concurrently; a failed fetch is a failed article, not an exception."""

    async def one(item: FeedItem) -> FetchedPage | ProcessedArticle:
        try:
            res = await fetcher.fetch(item.link)
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

    pages: list[FetchedPage] = []
    failed: list[ProcessedArticle] = []
    for result in await asyncio.gather(*(one(item) for item in items)):
        if isinstance(result, FetchedPage):
            pages.append(result)
        else:
            failed.append(result)
    return pages, failed


@task(name="ingest-batch", cache_policy=NO_CACHE)
def ingest_batch(items: list[FeedItem], run: Run) -> Figures:
    """Fetch a batch's pages, analyse them on the engine, write them in one transaction."""
    assert run.fetcher is not None, "ingest needs a run with a fetcher"
    logger = get_run_logger()
    started = perf_counter()
    try:
        if run.stopping.is_set():
            return Figures()
        pages, failed = run.fetcher.call(fetch_pages, run.fetcher, items)
        fetched = perf_counter()
        analysed, cpu = run.engine.analyse(pages)
        batch = analysed + failed
        analysed_at = perf_counter()
        _, waited, wrote = run.write(
            lambda con: writes.save_batch(
                con, batch, run_id=run.run_id, run_date=run.run_date, extractor_version=run.version
            )
        )
    except Exception:
        if run.stopping.is_set():  # cut short by the run's stop: nothing written, quietly
            return Figures()
        raise
    for done in failed:
        logger.warning("article %s failed: %s", done.item.link, done.error)
    seconds = {
        "fetch": fetched - started,
        "analyse": analysed_at - fetched,
        "write wait": waited,
        "write": wrote,
        **cpu,
    }
    return Figures(tally(batch), seconds, (started, perf_counter()))


def new_items(items: Iterable[FeedItem], db_path: str) -> list[FeedItem]:
    """Each canonical URL once, in feed order, minus the articles already stored."""
    unique: dict[str, FeedItem] = {}
    for item in items:
        unique.setdefault(item.url, item)
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        known = writes.known_urls(con, list(unique))
    return [item for url, item in unique.items() if url not in known]


def ingest(
    items: Sequence[FeedItem],
    run: Run,
    batch_size: int,
    on_batch: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Every batch submitted to the task runner, collected in order, added to the run's record.

    `on_batch` hears each batch's counts as it completes (progress); returns the counts of all.
    """
    futures = [
        ingest_batch.submit(list(items[i : i + batch_size]), run)
        for i in range(0, len(items), batch_size)
    ]
    total = dict.fromkeys(ARTICLE_COUNTS, 0)
    try:
        for future in futures:
            figures = future.result()
            run.add(figures)
            for key, value in figures.counts.items():
                total[key] += value
            if on_batch is not None:
                on_batch(figures.counts)
    except BaseException:  # a signal, or a failed batch: the others stop before the run closes
        run.wind_down()
        raise
    return total


def interrupted(exc: BaseException) -> bool:
    """Whether a run ended because of a signal (Ctrl-C, SIGTERM), however it surfaced."""
    return signal_of(exc) is not None


def counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
