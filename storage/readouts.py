"""Dueling readouts: for each event, what each side said it said, side by side.

`readouts(con, ...)` returns the events whose claims come from two sides or more, each with its
claims grouped by the speaker's country: USA | RUS | UKR | others (any other code, or none).
A claim counts once per copy group: the same sentence, speaker and kind in several copies of one
dispatch is shown once, from the group's earliest copy when it is in the event (a paragraph
only an updated copy has still shows). Read-only; the CLI's
`readouts` command and the report format what this returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

__all__ = ["SIDES", "Readout", "ReadoutClaim", "readouts", "side_of"]

SIDES = ("USA", "RUS", "UKR", "others")


def side_of(country: str | None) -> str:
    """The column a speaker's country goes in."""
    return country if country in SIDES[:3] else "others"


@dataclass(frozen=True, slots=True)
class ReadoutClaim:
    side: str
    speaker: str | None
    speaker_actor: str | None
    speaker_country: str | None
    kind: str
    cue: str | None
    source: str | None
    content: str | None
    sentence: str | None
    start: int | None
    end: int | None
    url: str
    idx: int
    outlet: str | None
    title: str | None
    published: date | None
    copies: int  # articles of the event in this claim's copy group (1: no other copy)


@dataclass(slots=True)
class Readout:
    event_id: str
    title: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    countries: list[str]
    articles: int
    sides: dict[str, list[ReadoutClaim]] = field(default_factory=dict)

    @property
    def speaking_sides(self) -> list[str]:
        """The sides with at least one claim by a speaker of known country."""
        return [side for side in SIDES if any(c.speaker_country for c in self.sides.get(side, []))]


_SQL = """
WITH ev AS (
    SELECT e.event_id, e.title, e.first_seen, e.last_seen, e.countries
    FROM events e
    WHERE (?::TEXT IS NULL OR e.event_id = ?)
      AND (?::DATE IS NULL OR e.last_seen >= ?::DATE)
      AND (?::DATE IS NULL OR e.first_seen < ?::DATE + INTERVAL 1 DAY)
),
members AS (
    SELECT ea.event_id, a.url, coalesce(a.copy_group, a.url) AS grp, a.outlet, a.title,
           a.published, a.fetched,
           count(*) OVER (PARTITION BY ea.event_id, coalesce(a.copy_group, a.url)) AS copies
    FROM event_articles ea JOIN ev USING (event_id) JOIN articles a ON a.url = ea.url
),
picked AS (
    -- one claim per copy group: the same sentence by the same speaker in two copies is one
    SELECT m.*, c.*,
           row_number() OVER (
               PARTITION BY m.event_id, m.grp, coalesce(c.speaker_actor, c.speaker), c.kind,
                            c.sentence, c.content
               ORDER BY (m.url = m.grp) DESC, m.published, m.fetched, m.url, c.idx
           ) AS pick
    FROM members m JOIN claims c USING (url)
)
SELECT ev.event_id, ev.title, ev.first_seen, ev.last_seen, ev.countries,
       (SELECT count(*) FROM event_articles x WHERE x.event_id = ev.event_id) AS articles,
       p.speaker, p.speaker_actor, p.speaker_country, p.kind, p.cue, p.source, p.content,
       p.sentence, p.start, p."end", p.url, p.idx, p.outlet, p.title, p.published, p.copies
FROM ev JOIN picked p ON p.event_id = ev.event_id AND p.pick = 1
ORDER BY ev.first_seen, ev.event_id, p.published, p.url, p.idx
"""


def readouts(
    con: duckdb.DuckDBPyConnection,
    *,
    event_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_sides: int = 2,
) -> list[Readout]:
    """Events (one, or those overlapping since..until) with claims from `min_sides` sides or more.

    Earliest event first; in each side, claims in article then sentence order.
    """
    rows = con.execute(_SQL, [event_id, event_id, since, since, until, until]).fetchall()
    events: dict[str, Readout] = {}
    for row in rows:
        readout = events.get(row[0])
        if readout is None:
            readout = events[row[0]] = Readout(
                row[0], row[1], row[2], row[3], _codes(row[4]), int(row[5])
            )
        claim = ReadoutClaim(
            side=side_of(row[8]),
            speaker=row[6],
            speaker_actor=row[7],
            speaker_country=row[8],
            kind=row[9],
            cue=row[10],
            source=row[11],
            content=row[12],
            sentence=row[13],
            start=row[14],
            end=row[15],
            url=row[16],
            idx=int(row[17]),
            outlet=row[18],
            title=row[19],
            published=row[20],
            copies=int(row[21]),
        )
        readout.sides.setdefault(claim.side, []).append(claim)
    return [r for r in events.values() if len(r.speaking_sides) >= min_sides]


def _codes(text: Any) -> list[str]:
    try:
        value = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    return [str(code) for code in value] if isinstance(value, list) else []
