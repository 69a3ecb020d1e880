"""Copy groups and events, refreshed for the articles a run added or changed.

`refresh(con, urls, copies, events)` brings `articles.copy_group`, `events` and `event_articles`
up to date for `urls` (a run's new articles, or those a reprocess rewrote), in one transaction:

copies
    The *core* is `urls` and every article sharing a copy group with one of them: their groups
    are recomputed. The *ring* is every other article within `window_days` of the core: the
    core is compared with core and ring (MinHash LSH, then exact containment; MinHash computed
    again from the stored text, which costs less than keeping signatures in step with the text);
    ring articles keep the links they had. Each resulting group's key is its earliest copy
    (published date, fetch time, URL). Articles with no text are their own group.
events
    The flagged stories within `window_days` of `urls`, plus every story of an event that
    touches them, are grouped again (extractors.events) and their events replaced. Event ids come
    from the earliest story's URL, so the same stories give the same ids: a rerun changes
    nothing.

Pure DuckDB and extractors: no Prefect, no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from diplowatch.extractors.copies import CopyDoc, CopyParams, copy_groups, copy_pairs, shingles
from diplowatch.extractors.events import EventDoc, EventParams, group_events
from diplowatch.storage.transaction import transaction

__all__ = [
    "ShingleCache",
    "day_slices",
    "events_of",
    "pending_urls",
    "refresh",
    "refresh_by_day",
    "refresh_copies",
    "refresh_events",
    "urls_between",
]

_DAY = "coalesce(published, run_date, fetched::DATE)"
_WHEN = "coalesce(published::TIMESTAMP, fetched, run_date::TIMESTAMP)"


def pending_urls(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Articles no refresh has seen yet (their copy group unset): a run's new ones."""
    return [row[0] for row in con.execute(
        "SELECT url FROM articles WHERE copy_group IS NULL ORDER BY url"
    ).fetchall()]  # fmt: skip


def urls_between(
    con: duckdb.DuckDBPyConnection, since: date | None, until: date | None
) -> list[str]:
    """Articles dated since..until (either open), as reprocess selects them."""
    rows = con.execute(
        f"SELECT url FROM articles WHERE (?::DATE IS NULL OR {_DAY} >= ?::DATE)"
        f" AND (?::DATE IS NULL OR {_DAY} <= ?::DATE) ORDER BY url",
        [since, since, until, until],
    ).fetchall()
    return [row[0] for row in rows]


def day_slices(
    con: duckdb.DuckDBPyConnection, urls: Sequence[str]
) -> list[tuple[date | None, list[str]]]:
    """`urls` cut by their article's day, in date order (undated ones last, together).

    A refresh holds the texts and shingles of its core and ring in memory: refreshed a day at a
    time, that is the articles within `window_days` of one day, however many days a backfill
    added, and each slice meets the ones before it already grouped, as a daily run would.
    """
    rows = _rows(
        con,
        f"SELECT {_DAY}, url FROM articles WHERE url IN (SELECT unnest(?::TEXT[]))",
        [list(urls)],
    )
    by_day: dict[date | None, list[str]] = {}
    for day, url in rows:
        by_day.setdefault(day, []).append(url)
    order = sorted(by_day, key=lambda day: (day is None, day or date.min))
    return [(day, sorted(by_day[day])) for day in order]


class ShingleCache:
    """Shingle sets kept from one day's slice to the next: a day's ring is mostly the previous
    day's, so each text is shingled once per refresh, not once per day that sees it. Texts do
    not change during a refresh; what falls out of the window is forgotten."""

    def __init__(self) -> None:
        self.sets: dict[str, frozenset[int]] = {}
        self._days: dict[str, date | None] = {}

    def fill(self, docs: Iterable[CopyDoc]) -> None:
        for doc in docs:
            if doc.url not in self.sets:
                self.sets[doc.url], self._days[doc.url] = shingles(doc.text), doc.day

    def forget_before(self, day: date) -> None:
        for url in [u for u, d in self._days.items() if d is not None and d < day]:
            del self.sets[url], self._days[url]


def events_of(con: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> int:
    """How many events hold at least one of `urls`."""
    row = con.execute(
        "SELECT count(DISTINCT event_id) FROM event_articles"
        " WHERE url IN (SELECT unnest(?::TEXT[]))",
        [list(urls)],
    ).fetchone()
    return int(row[0]) if row else 0


# --- copies -------------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def refresh_copies(
    con: duckdb.DuckDBPyConnection,
    urls: Sequence[str],
    params: CopyParams,
    cache: ShingleCache | None = None,
) -> dict[str, int]:
    """Recompute the copy groups of `urls`; returns {"compared": n, "regrouped": m}."""
    if not urls:
        return {"compared": 0, "regrouped": 0}
    meta_sql = f"SELECT url, {_DAY}, fetched, copy_group FROM articles"
    core_rows = _rows(
        con,
        meta_sql + " WHERE url IN (SELECT unnest(?::TEXT[])) OR copy_group IN"
        " (SELECT copy_group FROM articles WHERE url IN (SELECT unnest(?::TEXT[])))",
        [list(urls), list(urls)],
    )
    core = {row[0] for row in core_rows}
    days = [row[1] for row in core_rows if row[1] is not None]
    ring_rows: list[tuple[Any, ...]] = []
    compared = core
    if days:
        low = min(days) - timedelta(days=params.window_days)
        high = max(days) + timedelta(days=params.window_days)
        ring_rows = _rows(
            con,
            meta_sql + f" WHERE {_DAY} BETWEEN ? AND ? AND url NOT IN (SELECT unnest(?::TEXT[]))",
            [low, high, sorted(core)],
        )
        # the other members of the ring's groups, wherever their dates: a merge may move the key
        # (their texts are not compared: too far in time from the core)
        ring_groups = sorted({row[3] for row in ring_rows if row[3]})
        seen = compared = core | {row[0] for row in ring_rows}
        ring_rows += [
            row
            for row in _rows(
                con, meta_sql + " WHERE copy_group IN (SELECT unnest(?::TEXT[]))", [ring_groups]
            )
            if row[0] not in seen
        ]
    meta = {row[0]: row for row in [*core_rows, *ring_rows]}
    texts = _rows(
        con,
        f"SELECT url, {_DAY}, text FROM articles WHERE status = 'extracted' AND text <> ''"
        " AND url IN (SELECT unnest(?::TEXT[])) ORDER BY url",
        [sorted(compared)],
    )
    docs = [CopyDoc(url, day, text) for url, day, text in texts]
    if cache is not None:
        cache.fill(docs)
    pairs = copy_pairs(docs, params, probe=core, shingled=cache.sets if cache else None)
    kept = [(row[0], row[3]) for row in ring_rows if row[3] and row[3] != row[0] and row[3] in meta]
    earliest = {url: (row[1] or date.max, row[2] or datetime.max, url) for url, row in meta.items()}
    groups = copy_groups(meta, [*pairs, *kept], earliest)
    changed = sorted((url, key) for url, key in groups.items() if meta[url][3] != key)
    if changed:
        con.execute(
            "UPDATE articles SET copy_group = v.g FROM"
            " (SELECT unnest(?::TEXT[]) AS u, unnest(?::TEXT[]) AS g) v WHERE articles.url = v.u",
            [[u for u, _ in changed], [g for _, g in changed]],
        )
    return {"compared": len(docs), "regrouped": len(changed)}


# --- events -------------------------------------------------------------------------------------


def _countries(reasons: Iterable[str] | None, speakers: Iterable[str | None]) -> frozenset[str]:
    found = {code for code in speakers if code}
    for reason in reasons or []:
        if reason.startswith("actors: "):
            found |= {c.strip() for c in reason[len("actors: ") :].split(",")}
    found.discard("none")
    found.discard("")
    return frozenset(found)


def _event_scope(
    con: duckdb.DuckDBPyConnection, urls: Sequence[str], window: int
) -> tuple[list[str], list[str]]:
    """(flagged stories to regroup, ids of the events they replace)."""
    span = con.execute(
        f"SELECT min({_DAY}), max({_DAY}) FROM articles WHERE url IN (SELECT unnest(?::TEXT[]))",
        [list(urls)],
    ).fetchone()
    near: list[str] = []
    if span is not None and span[0] is not None:
        near = [row[0] for row in _rows(
            con,
            f"SELECT a.url FROM articles a JOIN flags f USING (url) WHERE f.relevant"
            f" AND {_DAY} BETWEEN ? AND ?",
            [span[0] - timedelta(days=window), span[1] + timedelta(days=window)],
        )]  # fmt: skip
    touched = sorted({row[0] for row in _rows(
        con,
        "SELECT DISTINCT event_id FROM event_articles WHERE url IN (SELECT unnest(?::TEXT[]))",
        [sorted({*urls, *near})],
    )})  # fmt: skip
    members = [row[0] for row in _rows(
        con,
        "SELECT e.url FROM event_articles e JOIN flags f USING (url) WHERE f.relevant"
        " AND e.event_id IN (SELECT unnest(?::TEXT[]))",
        [touched],
    )]  # fmt: skip
    return sorted({*near, *members}), touched


def refresh_events(
    con: duckdb.DuckDBPyConnection, urls: Sequence[str], params: EventParams
) -> dict[str, int]:
    """Regroup the events around `urls`; returns {"events": written, "event_articles": rows}."""
    if not urls:
        return {"events": 0, "event_articles": 0}
    scope, touched = _event_scope(con, urls, params.window_days)
    rows = _rows(
        con,
        f"SELECT a.url, {_WHEN}, coalesce(a.title, ''), coalesce(a.text, ''), f.reasons,"
        " coalesce(a.copy_group, a.url),"
        " (SELECT list(DISTINCT c.speaker_country) FROM claims c WHERE c.url = a.url)"
        " FROM articles a JOIN flags f USING (url) WHERE a.url IN (SELECT unnest(?::TEXT[]))",
        [scope],
    )
    docs = [
        EventDoc(url, when or datetime.min, title, text, _countries(reasons, speakers or []), group)
        for url, when, title, text, reasons, group, speakers in rows
    ]
    events = group_events(docs, params)
    con.execute(
        "DELETE FROM event_articles WHERE event_id IN (SELECT unnest(?::TEXT[]))", [touched]
    )
    con.execute("DELETE FROM events WHERE event_id IN (SELECT unnest(?::TEXT[]))", [touched])
    ids = [e.event_id for e in events]
    # an event kept elsewhere under the same id (same earliest story) is the one rewritten here
    con.execute("DELETE FROM event_articles WHERE event_id IN (SELECT unnest(?::TEXT[]))", [ids])
    con.execute("DELETE FROM events WHERE event_id IN (SELECT unnest(?::TEXT[]))", [ids])
    if events:
        con.execute(
            "INSERT INTO events SELECT unnest(?::TEXT[]), unnest(?::TEXT[]),"
            " unnest(?::TIMESTAMP[]), unnest(?::TIMESTAMP[]), unnest(?::TEXT[])",
            [
                ids,
                [e.title for e in events],
                [e.first_seen for e in events],
                [e.last_seen for e in events],
                [json.dumps(e.countries) for e in events],
            ],
        )
        links = [(e.event_id, url) for e in events for url in e.urls]
        con.execute(
            "INSERT INTO event_articles SELECT unnest(?::TEXT[]), unnest(?::TEXT[])",
            [[i for i, _ in links], [u for _, u in links]],
        )
    return {"events": len(events), "event_articles": sum(len(e.urls) for e in events)}


def refresh(
    con: duckdb.DuckDBPyConnection,
    urls: Sequence[str],
    copies: CopyParams,
    events: EventParams,
    cache: ShingleCache | None = None,
) -> dict[str, int]:
    """Copy groups, then events (which fold copies), for `urls`: one transaction."""
    with transaction(con):
        counts = refresh_copies(con, urls, copies, cache)
        counts.update(refresh_events(con, urls, events))
    return counts


def refresh_by_day(
    con: duckdb.DuckDBPyConnection,
    urls: Sequence[str],
    copies: CopyParams,
    events: EventParams,
    cache: ShingleCache | None = None,
) -> dict[str, int]:
    """`refresh` a day at a time (`day_slices`), each day its own transaction, shingles kept
    from one day to the next while the window reaches them.

    Returns {"regrouped": summed over the days, "events": those now holding one of `urls`} (a
    day's events may be rewritten by the next day's: counted once, as they end).
    """
    cache = cache if cache is not None else ShingleCache()
    regrouped = 0
    for day, urls_of_day in day_slices(con, urls):
        if day is not None:  # what the coming days' rings no longer reach
            cache.forget_before(day - timedelta(days=copies.window_days))
        regrouped += refresh(con, urls_of_day, copies, events, cache)["regrouped"]
    return {"regrouped": regrouped, "events": events_of(con, urls)}
