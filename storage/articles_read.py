"""One stored article with its claims, and where each claim's sentence is in its text.

Claims store `start`/`end`, the offsets of their sentence in `articles.text`; `sentence_span`
checks them against the text and falls back to finding the sentence, so a claim written by an
older extractor (or a text cleaned again since) still points at the right place, or at nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from diplowatch.errors import InputError


@dataclass(frozen=True)
class StoredClaim:
    number: int  # idx + 1: what `diplowatch claims` prints and `show --claim N` takes
    speaker: str | None
    speaker_actor: str | None
    speaker_country: str | None
    kind: str
    cue: str | None
    addressee: str | None
    source: str | None
    content: str | None
    sentence: str | None
    start: int | None
    end: int | None


@dataclass(frozen=True)
class StoredArticle:
    url: str
    title: str | None
    outlet: str | None
    published: date | None
    text: str
    claims: list[StoredClaim] = field(default_factory=list)


def sentence_span(text: str, claim: StoredClaim) -> tuple[int, int] | None:
    """Where the claim's sentence is in `text`: its offsets if they hold, else a search."""
    start, end = claim.start, claim.end
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and (claim.sentence is None or text[start:end] == claim.sentence)
    ):
        return start, end
    if claim.sentence:
        at = text.find(claim.sentence)
        if at >= 0:
            return at, at + len(claim.sentence)
    return None


def _claims(con: duckdb.DuckDBPyConnection, url: str) -> list[StoredClaim]:
    rows = con.execute(
        "SELECT idx + 1, speaker, speaker_actor, speaker_country, kind, cue, addressee, source,"
        ' content, sentence, start, "end" FROM claims WHERE url = ? ORDER BY idx',
        [url],
    ).fetchall()
    return [StoredClaim(*row) for row in rows]


def load_article(con: duckdb.DuckDBPyConnection, url: str) -> StoredArticle:
    """The article stored under `url` (canonical, or as its feed linked it), with its claims."""
    from diplowatch.extractors.urls import canonical_url

    canonical = canonical_url(url)
    row = con.execute(
        "SELECT url, title, outlet, published, text FROM articles"
        " WHERE url IN (?, ?) OR link IN (?, ?) ORDER BY url = ? DESC LIMIT 1",
        [url, canonical, url, canonical, url],
    ).fetchone()
    if row is None:
        raise InputError(
            f"show: no stored article {url!r} (the `url` column of `diplowatch claims` or "
            "`flagged` names them)"
        )
    return StoredArticle(row[0], row[1], row[2], row[3], row[4] or "", _claims(con, row[0]))


def load_articles(con: duckdb.DuckDBPyConnection, urls: list[str]) -> list[StoredArticle]:
    """Several articles with their claims, in the order of `urls` (the report's article views)."""
    if not urls:
        return []
    found = {
        r[0]: r
        for r in con.execute(
            "SELECT url, title, outlet, published, text FROM articles WHERE list_contains(?, url)",
            [urls],
        ).fetchall()
    }
    rows = con.execute(
        "SELECT url, idx + 1, speaker, speaker_actor, speaker_country, kind, cue, addressee,"
        ' source, content, sentence, start, "end" FROM claims WHERE list_contains(?, url)'
        " ORDER BY url, idx",
        [urls],
    ).fetchall()
    by_url: dict[str, list[StoredClaim]] = {}
    for row in rows:
        by_url.setdefault(row[0], []).append(StoredClaim(*row[1:]))
    return [
        StoredArticle(r[0], r[1], r[2], r[3], r[4] or "", by_url.get(r[0], []))
        for url in urls
        if (r := found.get(url)) is not None
    ]
