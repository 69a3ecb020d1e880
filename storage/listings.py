"""The selects behind `diplowatch claims`, `flagged` and `readouts`, for people and programs.

The text that matters first, the `analyze` contract's fields, and wire copies folded: a claim
counts once per `articles.copy_group` (the number of copies beside it), a flagged story once per
group, shown at the group's earliest copy with every outlet that ran it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb

from diplowatch.storage.export import Stream, first_copy_order, group_of, has_column, stream
from diplowatch.storage.queries import date_filters, limit_clause
from diplowatch.storage.readouts import SIDES, Readout, ReadoutClaim

#: The fields of a claim in the `analyze` contract (DESIGN.md), in its order.
CONTRACT_FIELDS = (
    "speaker",
    "speaker_actor",
    "speaker_country",
    "kind",
    "cue",
    "addressee",
    "source",
    "content",
    "direct",
    "sentence",
    "start",
    "end",
)
#: `diplowatch claims`: what a person reads first, then the contract, then where it comes from.
CLAIM_COLUMNS = (
    "published",
    "outlet",
    "speaker",
    "speaker_country",
    "kind",
    "content",
    *(f for f in CONTRACT_FIELDS if f not in ("speaker", "speaker_country", "kind", "content")),
    "title",
    "url",
    "claim",  # the claim's number in its article: `diplowatch show URL --claim N`
    "copies",  # articles of its copy group that carry the same claim
)
#: The few of them a table on a terminal shows.
CLAIM_TABLE_COLUMNS = ("published", "speaker", "speaker_country", "kind", "content", "url", "claim")
#: Shorter headers for a table that people read (csv and json keep the contract's names).
TABLE_HEADERS = {"speaker_country": "country"}


def claims_for_people(
    columns: list[str], rows: Iterator[tuple[Any, ...]], *, terminal: bool
) -> Stream:
    """The claims' table columns: on a terminal the URL goes under the content, where it wraps
    with it instead of taking a column of its own."""
    keep = [columns.index(c) for c in CLAIM_TABLE_COLUMNS]
    headers = [TABLE_HEADERS.get(columns[i], columns[i]) for i in keep]
    if not terminal:
        return headers, (tuple(r[i] for i in keep) for r in rows)
    content, url, claim = (columns.index(c) for c in ("content", "url", "claim"))
    return headers[:-2], (
        (*(r[i] for i in keep[:-3]), f"{r[content]}\n↳ {r[url]} (claim {r[claim]})") for r in rows
    )


def has_events(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the events tables (a read-only open of an older file does not)."""
    return has_column(con, "events", "event_id") and has_column(con, "event_articles", "url")


def event_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_events(con):
        return []
    return [str(r[0]) for r in con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()]


def sides_in_order(readout: Readout) -> dict[str, list[ReadoutClaim]]:
    """A readout's claims by side, USA, RUS, UKR, others: only the sides that spoke."""
    return {side: readout.sides[side] for side in SIDES if readout.sides.get(side)}


def claims(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> Stream:
    """Claims newest first, one per copy group (`copies` says in how many articles).

    `actor` is a canonical name (`speaker_actor`), `country` a code, `kind` a lexicon kind: the
    CLI has resolved and checked them. since/until apply to the article's publication date.
    """
    where, params = date_filters("a.published", since, until)
    if actor:
        where.append("c.speaker_actor = ?")
        params.append(actor)
    if country:
        where.append("c.speaker_country = ?")
        params.append(country)
    if kind:
        where.append("c.kind = ?")
        params.append(kind)
    first_copy = first_copy_order(con)
    same = (
        f"{group_of(con)}, coalesce(c.speaker_actor, c.speaker), c.kind,"
        " lower(regexp_replace(coalesce(c.content, c.sentence), '\\W+', ' ', 'g'))"
    )
    sql = (
        "SELECT a.published, a.outlet, c.speaker, c.speaker_country, c.kind, c.content,"
        ' c.speaker_actor, c.cue, c.addressee, c.source, c.direct, c.sentence, c.start, c."end",'
        f" a.title, c.url, c.idx + 1 AS claim, count(*) OVER (PARTITION BY {same}) AS copies"
        " FROM claims c JOIN articles a USING (url)"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" QUALIFY row_number() OVER (PARTITION BY {same} ORDER BY {first_copy}) = 1"
        " ORDER BY a.published DESC NULLS LAST, c.url, c.idx" + limit_clause(limit)
    )
    return stream(con, sql, params, check=False)


def flagged_for_people(columns: list[str], rows: Iterator[tuple[Any, ...]]) -> Stream:
    """The flagged stories on a terminal: every outlet that ran one, its URL under its title,
    and the first reasons (the score's own arithmetic left to csv and json)."""
    at = {c: columns.index(c) for c in columns}

    def row(r: tuple[Any, ...]) -> tuple[Any, ...]:
        reasons = [x for x in (r[at["reasons"]] or []) if not x.startswith("score ")]
        return (
            r[at["published"]],
            "\n".join(r[at["outlets"]]),
            f"{r[at['title']]}\n↳ {r[at['url']]}",
            r[at["score"]],
            "\n".join(reasons[:4]),
        )

    return ["published", "outlets", "title", "score", "reasons"], (row(r) for r in rows)


def flagged(
    con: duckdb.DuckDBPyConnection,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> Stream:
    """Flagged stories newest first, one per copy group: the earliest copy, and every outlet."""
    where, params = date_filters("a.published", since, until)
    group, first_copy = group_of(con), first_copy_order(con)
    sql = (
        "SELECT a.published, a.outlet, a.title, f.score, f.reasons, a.url,"
        " count(*) OVER w AS copies, list(DISTINCT a.outlet) OVER w AS outlets"
        " FROM flags f JOIN articles a USING (url)"
        " WHERE " + " AND ".join(["f.relevant", *where]) + f" WINDOW w AS (PARTITION BY {group})"
        f" QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY {first_copy}) = 1"
        " ORDER BY a.published DESC NULLS LAST, f.score DESC, a.url" + limit_clause(limit)
    )
    columns, rows = stream(con, sql, params, check=False)
    # the window's list comes in no order: sorted, so a listing is the same from run to run
    return columns, ((*r[:-1], sorted(r[-1] or [])) for r in rows)
