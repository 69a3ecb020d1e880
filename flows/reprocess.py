"""The reprocess flow: cleaning, flags and claims again, from the raw HTML already stored.

When the extractor, the lexicon, the flag settings or the actor list improve, the stories already
in the file should benefit without fetching a single page again: the pages may be gone, and the
sites owe us nothing twice. So this module imports nothing that talks to the network (no
flows.http, no client): it reads `articles.raw_html`, runs the same Analyzer as the daily flow
(through an AnalyzerPool, so the spaCy model loads once) and replaces each story's cleaned text,
flag and claims in one transaction (`storage.writes.replace_analysis`), stamped with the new
extractor version. Articles whose fetch failed have no HTML and are left alone.

Batches: the file is opened to read a batch, closed while the batch is analysed, and opened again
to write it, so an analyst's read-only query gets in between (DuckDB lets one process write, or
many read, never both).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from diplowatch.errors import InputError
from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.flows.config import load_config
from diplowatch.flows.daily import WRITE_WAIT
from diplowatch.flows.workers import AnalyzerPool, version_of
from diplowatch.storage import db as storage_db
from diplowatch.storage import writes

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


@task(name="read-stored-pages", cache_policy=NO_CACHE)
def read_pages(
    db_path: str, since: date | None, until: date | None, after: str, size: int
) -> list[StoredPage]:
    """The next `size` stored pages after url `after`, the file closed again on return."""
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        return list(islice(writes.iter_stored_pages(con, since, until, after=after), size))


@task(name="analyse-stored-pages", cache_policy=NO_CACHE)
def analyse_pages(pages: Sequence[FetchedPage], pool: AnalyzerPool) -> list[ProcessedArticle]:
    return pool.process(pages)


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


@task(name="replace-analyses", cache_policy=NO_CACHE)
def write_analyses(batch: Sequence[ProcessedArticle], db_path: str, version: str) -> dict[str, int]:
    """Each story's new analysis in its own transaction: all of one story, or none of it.

    Returns the batch's counts.
    """
    counts = dict.fromkeys(COUNTS, 0)
    urls = [done.item.url for done in batch]
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
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


def _check_window(since: date | None, until: date | None) -> None:
    if since and until and until < since:
        raise InputError(f"reprocess: --until {until} is before --since {since}")


@flow(
    name="diplowatch-reprocess",
    task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]  # prefect's generic
    log_prints=False,
)
def reprocess(
    since: date | None = None,
    until: date | None = None,
    db: str | None = None,
    config_dir: str | None = None,
) -> dict[str, int]:
    """Re-run cleaning, flags and claims over the stored pages of since..until (all by default).

    Records a `runs` row (kind "reprocess") with the new extractor version in its params.
    """
    _check_window(since, until)
    logger = get_run_logger()
    cfg = load_config(config_dir)
    version = version_of(cfg)
    db_path = str(storage_db.db_path(db))
    size = cfg.settings.pipeline.batch_size
    counts = dict.fromkeys(COUNTS, 0)
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        run_id = writes.start_run(
            con,
            kind="reprocess",
            run_date=None,
            params={"since": since, "until": until, "version": version, "config": config_dir},
            flow_run_id=str(flow_run.id) if flow_run.id else None,
        )
    try:
        with AnalyzerPool(cfg, cfg.settings.pipeline.workers) as pool:
            after = ""
            stored = read_pages(db_path, since, until, after, size)
            while stored:
                after = stored[-1][0]
                counts["pages"] += len(stored)
                analysed = analyse_pages.submit([_page(*page) for page in stored], pool)
                # read the next batch while this one is analysed
                upcoming = read_pages(db_path, since, until, after, size)
                for key, value in write_analyses(analysed.result(), db_path, version).items():
                    counts[key] += value
                logger.info("reprocessed %d pages (up to %s)", counts["pages"], after)
                stored = upcoming
    except BaseException as exc:
        with storage_db.session(db_path, wait=WRITE_WAIT) as con:
            writes.finish_run(con, run_id, status="failed", counts=counts, error=str(exc))
        raise
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        writes.finish_run(con, run_id, status="completed", counts=counts)
    logger.info(
        "reprocess %s (version %s): %s",
        run_id,
        version,
        ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()),
    )
    return counts
