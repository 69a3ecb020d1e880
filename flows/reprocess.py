"""The reprocess flow: cleaning, flags and claims again, from the raw HTML already stored.

When the extractor, the lexicon, the flag settings or the actor list improve, the stories already
in the file should benefit without fetching a single page again: the pages may be gone, and the
sites owe us nothing twice. So this module imports nothing that talks to the network (no
fetch.http, no client): it reads `articles.raw_html`, runs the same Analyzer on the same engine
as the daily flow (flows.workers: local processes or a Dask cluster, the spaCy model loaded once
per worker) and replaces each story's cleaned text, flag and claims in one transaction
(`storage.writes.replace_analysis`), stamped with the new extractor version. Articles whose fetch
failed have no HTML and are left alone.

Batches: the flow reads a batch, submits its task (analyse, then write as the run's one writer)
and reads the next while it runs, a few batches in flight at most. The file is opened for each
read and each write and closed between, so an analyst's read-only query gets in between (DuckDB
lets one process write, or many read, never both).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from itertools import islice
from time import perf_counter
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.flows.derived import refresh_derived
from diplowatch.flows.ingest import Figures, Run, counts_line, interrupted
from diplowatch.flows.workers import Engine
from diplowatch.settings.loader import load_config
from diplowatch.storage import db as storage_db
from diplowatch.storage import runs, writes
from diplowatch.storage.publish import publish_read_copy
from diplowatch.storage.runlock import run_lock
from diplowatch.storage.runs import WRITE_WAIT

#: Batches in flight at once: read ahead, analysed, written.
BATCHES_IN_FLIGHT = 3

COUNTS = (
    "pages",  # stored pages read
    "extracted",
    "empty",
    "failed",  # pages the cleaner broke on: their stored analysis is kept
    "flagged_before",
    "flagged",
    "claims_before",
    "claims",
    "changed",  # stories whose flag or claims differ from before
)

StoredPage = tuple[str, bytes, dict[str, Any]]


def _page(url: str, html: bytes, meta: dict[str, Any]) -> FetchedPage:
    """A stored page as the Analyzer takes it: the feed's title and date are fallbacks there."""
    published = meta.get("published")
    when = (
        datetime.combine(published, time(12), tzinfo=UTC) if isinstance(published, date) else None
    )
    fetched = meta.get("fetched")
    item = FeedItem(
        url=url,
        link=meta.get("link") or url,
        feed=meta.get("feed_id") or "",
        outlet=meta.get("outlet") or "",
        title=meta.get("title"),
        published=when,
    )
    return FetchedPage(item, html, fetched or datetime.now(UTC), 200)


def read_pages(
    db_path: str, since: date | None, until: date | None, after: str, size: int
) -> list[StoredPage]:
    """The next `size` stored pages after url `after`, the file closed again on return."""
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        return list(islice(writes.iter_stored_pages(con, since, until, after=after), size))


def _analysis_of(con: Any, urls: list[str]) -> dict[str, tuple[Any, list[tuple[Any, ...]]]]:
    """url -> (flag row, claim rows): what a story holds now, to count what changes."""
    flags = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT url, relevant, score, reasons FROM flags"
            " WHERE url IN (SELECT unnest(?::TEXT[]))",
            [urls],
        ).fetchall()
    }
    claims: dict[str, list[tuple[Any, ...]]] = {}
    for row in con.execute(
        "SELECT url, speaker, speaker_actor, speaker_country, kind, cue, addressee, source,"
        ' content, direct, sentence, start, "end" FROM claims'
        " WHERE url IN (SELECT unnest(?::TEXT[])) ORDER BY url, idx",
        [urls],
    ).fetchall():
        claims.setdefault(row[0], []).append(tuple(row[1:]))
    return {url: (flags.get(url), claims.get(url, [])) for url in urls}


def write_analyses(con: Any, batch: Sequence[ProcessedArticle], version: str) -> dict[str, int]:
    """Each story's new analysis in its own transaction: all of one story, or none of it.

    Returns the batch's counts.
    """
    counts = dict.fromkeys(COUNTS, 0)
    urls = [done.item.url for done in batch]
    before = _analysis_of(con, urls)
    for done in batch:
        if done.status == "failed":  # the cleaner broke on it: keep what the story had
            get_run_logger().warning("%s", done.error)
            continue
        writes.replace_analysis(
            con,
            done.item.url,
            article=done.article if done.status == "extracted" else None,
            flag=done.flag,
            claims=done.claims,
            extractor_version=version,
            truncated=done.truncated,
        )
    after = _analysis_of(con, urls)
    for url, (flag, claims) in before.items():
        counts["flagged_before"] += bool(flag and flag[0])
        counts["claims_before"] += len(claims)
        counts["changed"] += after[url] != (flag, claims)
    for done in batch:
        counts[done.status] += 1
        counts["flagged"] += bool(done.flag and done.flag.relevant)
        counts["claims"] += len(done.claims)
    return counts


@task(name="reprocess-batch", cache_policy=NO_CACHE)
def reprocess_batch(stored: list[StoredPage], run: Run) -> Figures:
    """Analyse a batch of stored pages on the engine and replace their analyses."""
    started = perf_counter()
    try:
        analysed, cpu = run.engine.analyse([_page(*page) for page in stored])
        analysed_at = perf_counter()
        counts, waited, wrote = run.write(lambda con: write_analyses(con, analysed, run.version))
    except Exception:
        if run.stopping.is_set():  # cut short by the run's stop: nothing written, quietly
            return Figures()
        raise
    counts["pages"] = len(stored)
    seconds = {"analyse": analysed_at - started, "write wait": waited, "write": wrote, **cpu}
    return Figures(counts, seconds, (started, perf_counter()))


@flow(
    name="diplowatch-reprocess",
    task_runner=ThreadPoolTaskRunner(max_workers=BATCHES_IN_FLIGHT),  # type: ignore[arg-type]  # prefect's generic
    log_prints=False,
)
def reprocess(
    since: date | None = None,
    until: date | None = None,
    db: str | None = None,
    config_dir: str | None = None,
    dask: str | None = None,
) -> dict[str, int]:
    """Re-run cleaning, flags and claims over the stored pages of since..until (all by default).

    Records a `runs` row (kind "reprocess") with the new extractor version in its params. The
    CLI has checked that the window is in order.
    """
    logger = get_run_logger()
    cfg = load_config(config_dir)
    settings = cfg.settings
    db_path = str(storage_db.db_path(db))
    size = settings.pipeline.batch_size
    engine = Engine.of(cfg, dask)
    spec = engine.spec
    params = {"since": since, "until": until, "version": spec.version, "config": config_dir}
    with (
        run_lock(db_path, wait=settings.storage.run_lock_wait),
        runs.recorded_run(
            db_path,
            kind="reprocess",
            run_date=None,
            params={**params, "engine": engine.where},
            counts=COUNTS,
            flow_run_id=str(flow_run.id) if flow_run.id else None,
            interrupted=interrupted,
        ) as record,
        engine,
    ):
        run = Run(db_path, record, None, spec.version, None, engine)
        pending: deque[PrefectFuture[Figures]] = deque()
        after = ""
        try:
            while stored := read_pages(db_path, since, until, after, size):
                after = stored[-1][0]
                pending.append(reprocess_batch.submit(stored, run))
                while len(pending) >= BATCHES_IN_FLIGHT or (pending and len(stored) < size):
                    run.add(pending.popleft().result())
                    logger.info("reprocessed %d pages", record.counts["pages"])
            while pending:
                run.add(pending.popleft().result())
        except BaseException:  # a signal, or a failed batch: the others stop first
            run.wind_down()
            raise
        refresh_derived(db_path, cfg, (since, until))  # regroup what was rewritten
        record.seconds["busy"] = run.busy()
    logger.info(
        "reprocess %s (version %s): %s", record.run_id, spec.version, counts_line(record.counts)
    )
    publish_read_copy(db_path, log=logger)  # the analysts' copy (storage/publish.py)
    return record.counts
