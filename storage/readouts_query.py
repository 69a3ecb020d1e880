"""Dueling readouts: for each event, what each side said, claim by claim.

An event (`events`, `event_articles`) gathers the flagged articles about one call, summit, round
of talks or sanctions package. Its claims are put side by side by speaker country: USA, RUS,
UKR, and every other known country or organisation as "others". Claims without a speaker
country are left out (no side), and so are events with fewer than two sides. A claim counts once
per copy group: six reprints of one dispatch make one claim, not six.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from diplowatch.storage.export import first_copy_order, group_of, has_column

SIDES = ("USA", "RUS", "UKR", "others")


@dataclass(frozen=True)
class ReadoutClaim:
    side: str
    speaker: str | None
    speaker_actor: str | None
    speaker_country: str
    kind: str
    cue: str | None
    source: str | None
    content: str | None
    sentence: str | None
    url: str
    idx: int
    outlet: str | None
    published: date | None
    title: str | None


@dataclass
class Event:
    event_id: str
    title: str
    first_seen: Any
    last_seen: Any
    countries: list[str]
    claims: list[ReadoutClaim] = field(default_factory=list)

    def sides(self) -> dict[str, list[ReadoutClaim]]:
        """The claims by side, in SIDES order, only the sides that spoke."""
        by_side: dict[str, list[ReadoutClaim]] = {}
        for side in SIDES:
            said = [c for c in self.claims if c.side == side]
            if said:
                by_side[side] = said
        return by_side


def has_events(con: duckdb.DuckDBPyConnection) -> bool:
    return has_column(con, "events", "event_id") and has_column(con, "event_articles", "url")


def _countries(value: Any) -> list[str]:
    import json

    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
    return []


def event_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_events(con):
        return []
    return [str(r[0]) for r in con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()]


def readouts(
    con: duckdb.DuckDBPyConnection,
    *,
    event: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_sides: int = 2,
) -> list[Event]:
    """Events (oldest first) whose claims come from at least `min_sides` sides, with them."""
    if not has_events(con):
        return []
    where = ["c.speaker_country IS NOT NULL"]
    params: list[Any] = []
    if event is not None:
        where.append("CAST(e.event_id AS VARCHAR) = ?")
        params.append(event)
    if since is not None:
        where.append("CAST(e.last_seen AS DATE) >= ?")
        params.append(since)
    if until is not None:
        where.append("CAST(e.first_seen AS DATE) <= ?")
        params.append(until)
    side = (
        "CASE WHEN c.speaker_country IN ('USA', 'RUS', 'UKR') THEN c.speaker_country"
        " ELSE 'others' END"
    )
    same = (
        f"e.event_id, {group_of(con)}, coalesce(c.speaker_actor, c.speaker), c.kind,"
        " lower(regexp_replace(coalesce(c.content, c.sentence), '\\W+', ' ', 'g'))"
    )
    rows = con.execute(
        f"SELECT CAST(e.event_id AS VARCHAR), e.title, e.first_seen, e.last_seen, e.countries,"
        f" {side}, c.speaker, c.speaker_actor, c.speaker_country, c.kind, c.cue, c.source,"
        " c.content, c.sentence, c.url, c.idx, a.outlet, a.published, a.title"
        " FROM events e JOIN event_articles ea USING (event_id)"
        " JOIN claims c ON c.url = ea.url JOIN articles a ON a.url = c.url"
        " WHERE " + " AND ".join(where) + f" QUALIFY row_number() OVER (PARTITION BY {same}"
        f" ORDER BY {first_copy_order(con)}, c.idx) = 1"
        " ORDER BY e.first_seen, 1, a.published, c.url, c.idx",
        params,
    ).fetchall()
    events: dict[str, Event] = {}
    for row in rows:
        ev = events.get(row[0])
        if ev is None:
            ev = events[row[0]] = Event(row[0], row[1] or "", row[2], row[3], _countries(row[4]))
        ev.claims.append(ReadoutClaim(*row[5:]))
    return [ev for ev in events.values() if len(ev.sides()) >= min_sides]
