"""Every write of the pipeline: one short transaction each, idempotent.

Idempotent means the same input twice leaves the same rows: articles are inserted, never updated by
a later fetch (reprocess goes through `replace_analysis`), so rerunning a day changes nothing.

Failed fetches: an article whose fetch failed is stored with status 'failed' (so a run's counts and
an analyst can see it), but it is not "known" (`known_urls`) until it has failed
`MAX_FETCH_ATTEMPTS` times in distinct runs. The next run therefore fetches it again and
`save_batch` replaces the failed row by whatever that run got, counting the attempts. A transient
outage is retried next day; a dead link stops being fetched after a few runs.

Runs and feed states live in `storage.runs`.

Duckdb errors raised inside a write are re-raised as StorageError (after ROLLBACK) so the CLI can
report them in one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from diplowatch.errors import StorageError
from diplowatch.extractors.records import Article, Claim, Flag, ProcessedArticle
from diplowatch.storage.blobs import compress, decompress
from diplowatch.storage.runs import check_choice, utc_naive, write_step

ARTICLE_STATUSES = ("extracted", "empty", "failed")

#: After this many failed fetches (in distinct runs) a URL counts as known and is no longer retried.
MAX_FETCH_ATTEMPTS = 3

#: Rows fetched per query by `iter_stored_pages` (bounded memory: pages can be ~100 kB each).
PAGE_CHUNK = 200


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- articles -----------------------------------------------------------------------------------


def known_urls(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> set[str]:
    """Which of these canonical URLs need no fetch: stored, and not a failure still worth retrying.

    One query for the whole list (a list parameter unnested), however many URLs.
    """
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return set()
    rows = con.execute(
        "SELECT a.url FROM articles a JOIN (SELECT unnest(?::TEXT[]) AS url) w USING (url)"
        " WHERE a.status <> 'failed' OR a.attempts >= ?",
        [wanted, MAX_FETCH_ATTEMPTS],
    ).fetchall()
    return {row[0] for row in rows}


def failed_in_run(
    con: duckdb.DuckDBPyConnection, run_id: str, http_statuses: Iterable[int]
) -> set[str]:
    """URLs this run stored as failed with one of these final HTTP statuses (404, 410: gone)."""
    rows = con.execute(
        "SELECT url FROM articles WHERE run_id = ? AND status = 'failed'"
        " AND http_status IN (SELECT unnest(?::INTEGER[]))",
        [run_id, list(http_statuses)],
    ).fetchall()
    return {row[0] for row in rows}


def _article_row(
    pa: ProcessedArticle, *, run_id: str, run_date: date | None, attempts: int
) -> list[Any]:
    item, art = pa.item, pa.article
    published = art.published if art and art.published else None
    if published is None and item.published is not None:
        published = item.published.date()
    return [
        item.url,
        item.outlet,
        item.feed,
        item.link,
        (art.title if art and art.title else None) or item.title,
        art.author if art else None,
        published,
        utc_naive(pa.fetched_at),
        art.language if art else None,
        art.text if art else None,
        _stored_html(pa),
        pa.status,
        pa.http_status,
        pa.error,
        attempts,
        run_id,
        run_date,
        pa.truncated,
    ]


def _stored_html(pa: ProcessedArticle) -> bytes | None:
    if pa.html_blob is not None:
        return pa.html_blob
    return compress(pa.raw_html) if pa.raw_html is not None else None


_INSERT_ARTICLE = """
    INSERT INTO articles (url, outlet, feed_id, link, title, author, published, fetched, language,
                          text, raw_html, status, http_status, error, attempts, run_id, run_date,
                          truncated)
"""

_INSERT_FLAG = """
    INSERT INTO flags (url, relevant, score, reasons, extractor_version, flagged_at)
"""

_INSERT_CLAIM = """
    INSERT INTO claims (url, idx, speaker, speaker_actor, speaker_country, kind, cue, addressee,
                        source, content, direct, sentence, start, "end", extractor_version, rule)
"""

#: Rows per multi-row INSERT: bounds the parameter count (rows x columns) of one statement.
INSERT_CHUNK = 256


def _insert_rows(
    con: duckdb.DuckDBPyConnection, head: str, rows: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """INSERT many rows with one multi-row VALUES statement per chunk.

    Measured on 1000 articles: executemany 1.3 s (one execution per row), this 0.2 s.
    """
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        row_marks = "(" + ", ".join("?" * len(chunk[0])) + ")"
        con.execute(
            f"{head} VALUES {', '.join([row_marks] * len(chunk))} {tail}",
            [value for row in chunk for value in row],
        )


def _flag_row(url: str, flag: Flag, extractor_version: str, at: datetime) -> list[Any]:
    return [url, flag.relevant, flag.score, list(flag.reasons), extractor_version, at]


def _claim_rows(url: str, claims: Sequence[Claim], extractor_version: str) -> list[list[Any]]:
    return [
        [
            url,
            idx,
            c.speaker,
            c.speaker_actor,
            c.speaker_country,
            c.kind,
            c.cue,
            c.addressee,
            c.source,
            c.content,
            c.direct,
            c.sentence,
            c.start,
            c.end,
            extractor_version,
            c.rule or None,  # the rule family that found it (issue 10)
        ]
        for idx, c in enumerate(claims)
    ]


def _delete_analysis(con: duckdb.DuckDBPyConnection, urls: list[str]) -> None:
    con.execute("DELETE FROM claims WHERE url IN (SELECT unnest(?::TEXT[]))", [urls])
    con.execute("DELETE FROM flags WHERE url IN (SELECT unnest(?::TEXT[]))", [urls])


def save_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[ProcessedArticle],
    *,
    run_id: str,
    run_date: date | None,
    extractor_version: str,
) -> dict[str, int]:
    """Store a batch of processed pages with their flags and claims, in one transaction.

    - a URL not stored yet is inserted, with its flag and claims (idx 0..n-1);
    - a URL already stored and not 'failed' is left exactly as it is (flag and claims included);
    - a stored 'failed' URL is replaced when this batch brings a success, or a new failure from
      another run (attempts + 1); the same failure saved twice by one run changes nothing;
    - a URL twice in the batch counts once (the first non-failed occurrence wins).

    Returns {"articles": rows inserted or replaced, "flags": inserted, "claims": inserted}.
    """
    chosen: dict[str, ProcessedArticle] = {}
    for pa in batch:
        check_choice(pa.status, ARTICLE_STATUSES, f"{pa.item.url} status")
        prev = chosen.get(pa.item.url)
        if prev is None or (prev.status == "failed" and pa.status != "failed"):
            chosen[pa.item.url] = pa
    counts = {"articles": 0, "flags": 0, "claims": 0}
    if not chosen:
        return counts

    with write_step(con, f"save_batch ({len(chosen)} articles)"):
        existing = {
            url: (status, stored_run, attempts)
            for url, status, stored_run, attempts in con.execute(
                "SELECT url, status, run_id, attempts FROM articles"
                " WHERE url IN (SELECT unnest(?::TEXT[]))",
                [list(chosen)],
            ).fetchall()
        }
        replace: list[str] = []
        article_rows: list[list[Any]] = []
        flag_rows: list[list[Any]] = []
        claim_rows: list[list[Any]] = []
        now = _now()
        for url, pa in chosen.items():
            attempts = 1
            if url in existing:
                status, stored_run, stored_attempts = existing[url]
                if status != "failed":
                    continue  # stored for good: a later fetch never changes it
                if pa.status == "failed" and stored_run == run_id:
                    continue  # the same failure saved twice
                replace.append(url)
                attempts = stored_attempts + 1
            article_rows.append(
                _article_row(pa, run_id=run_id, run_date=run_date, attempts=attempts)
            )
            if pa.flag is not None:
                flag_rows.append(_flag_row(url, pa.flag, extractor_version, now))
            claim_rows.extend(_claim_rows(url, pa.claims, extractor_version))

        if replace:
            _delete_analysis(con, replace)
            con.execute("DELETE FROM articles WHERE url IN (SELECT unnest(?::TEXT[]))", [replace])
        # Each URL is inserted at most once and was checked absent (or deleted) above; DO NOTHING
        # only guards the rule "a stored article is never changed".
        _insert_rows(con, _INSERT_ARTICLE, article_rows, "ON CONFLICT DO NOTHING")
        _insert_rows(con, _INSERT_FLAG, flag_rows)
        _insert_rows(con, _INSERT_CLAIM, claim_rows)
    counts.update(articles=len(article_rows), flags=len(flag_rows), claims=len(claim_rows))
    return counts


def replace_analysis(
    con: duckdb.DuckDBPyConnection,
    url: str,
    *,
    article: Article | None,
    flag: Flag | None,
    claims: list[Claim],
    extractor_version: str,
    truncated: bool = False,
) -> None:
    """Reprocess one stored page: new cleaned fields, flag and claims, all or nothing.

    `article` None means the extractor now finds nothing in the page: the row becomes 'empty' with
    empty text, keeping its title, author, date and language (they may come from the feed). The
    old flag and claims are deleted either way; `flag` None leaves the article unflagged.
    """
    with write_step(con, f"replace_analysis {url}"):
        row = con.execute("SELECT status FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            raise StorageError(f"replace_analysis {url}: no such article")
        if article is None:
            con.execute("UPDATE articles SET text = '', status = 'empty' WHERE url = ?", [url])
        else:
            con.execute(
                """
                UPDATE articles SET
                    title = coalesce(?, title),
                    text = ?,
                    language = ?,
                    author = ?,
                    published = coalesce(?, published),
                    status = ?,
                    truncated = ?
                WHERE url = ?
                """,
                [
                    article.title,
                    article.text,
                    article.language,
                    article.author,
                    article.published,
                    "extracted" if article.text.strip() else "empty",
                    truncated,
                    url,
                ],
            )
        _delete_analysis(con, [url])
        if flag is not None:
            _insert_rows(con, _INSERT_FLAG, [_flag_row(url, flag, extractor_version, _now())])
        _insert_rows(con, _INSERT_CLAIM, _claim_rows(url, claims, extractor_version))


def iter_stored_pages(
    con: duckdb.DuckDBPyConnection, since: date | None, until: date | None, after: str = ""
) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    """Yield (url, raw HTML, meta) of every stored page, in url order, for reprocess.

    The date window applies to the article's date: `published`, else the date of the run that
    fetched it (`run_date`, else `fetched`). Rows come in chunks of PAGE_CHUNK by keyset
    pagination, so memory stays bounded and no result set stays open between chunks: the caller
    may write (`replace_analysis`) on the same connection while iterating. `after` starts past
    that url, so a caller that closes the file between batches resumes where it stopped.
    """
    last = after
    while True:
        rows = con.execute(
            """
            SELECT url, raw_html, outlet, feed_id, title, published, link, fetched, language
            FROM articles
            WHERE raw_html IS NOT NULL AND url > ?
              AND (?::DATE IS NULL OR coalesce(published, run_date, fetched::DATE) >= ?::DATE)
              AND (?::DATE IS NULL OR coalesce(published, run_date, fetched::DATE) <= ?::DATE)
            ORDER BY url
            LIMIT ?
            """,
            [last, since, since, until, until, PAGE_CHUNK],
        ).fetchall()
        for url, blob, outlet, feed_id, title, published, link, fetched, language in rows:
            try:
                html = decompress(blob)
            except StorageError as exc:
                raise StorageError(f"{url}: {exc}") from exc
            meta = {
                "outlet": outlet,
                "feed_id": feed_id,
                "title": title,
                "published": published,
                "link": link,
                "fetched": fetched,
                "language": language,
            }
            yield url, html, meta
        if len(rows) < PAGE_CHUNK:
            return
        last = rows[-1][0]
