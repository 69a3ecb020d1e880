"""What the report shows, read from the database in a few queries.

The report is about the flagged stories of a date range (their publication date). Wire copies
are folded: a claim counts once per copy group (`articles.copy_group`), a story once per group.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from diplowatch.storage.articles_read import StoredArticle, load_articles
from diplowatch.storage.export import group_of
from diplowatch.storage.listings import has_events
from diplowatch.storage.readouts import Readout, readouts

SIDE_ORDER = ("USA", "RUS", "UKR", "others", "unknown")
_WEEKLY_AFTER = 62  # days: a longer range is charted by week


@dataclass(frozen=True)
class Claim:
    url: str
    number: int
    published: date | None
    outlet: str | None
    title: str | None
    side: str
    speaker: str | None
    speaker_actor: str | None
    speaker_country: str | None
    kind: str
    cue: str | None
    source: str | None
    content: str | None
    copies: int


@dataclass(frozen=True)
class OutletCount:
    outlet: str
    own: int  # flagged stories first published by this outlet (or never copied)
    copies: int  # flagged articles that copy a dispatch another article carried first


@dataclass
class ReportData:
    since: date | None
    until: date | None
    articles: int = 0  # flagged articles in the range
    stories: int = 0  # their copy groups: the stories once wire copies are folded
    claims: list[Claim] = field(default_factory=list)
    outlets: list[OutletCount] = field(default_factory=list)
    events: list[Readout] = field(default_factory=list)
    events_total: int = 0
    has_events: bool = False
    articles_shown: list[StoredArticle] = field(default_factory=list)

    def first_day(self) -> date | None:
        days = [c.published for c in self.claims if c.published]
        return self.since or (min(days) if days else None)

    def last_day(self) -> date | None:
        days = [c.published for c in self.claims if c.published]
        return self.until or (max(days) if days else None)


def _window(since: date | None, until: date | None) -> tuple[str, list[Any]]:
    where, params = ["f.relevant"], []
    if since is not None:
        where.append("a.published >= ?")
        params.append(since)
    if until is not None:
        where.append("a.published <= ?")
        params.append(until)
    return " AND ".join(where), params


def _claims(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[Claim]:
    same = (
        "fa.grp, coalesce(c.speaker_actor, c.speaker), c.kind,"
        " lower(regexp_replace(coalesce(c.content, c.sentence), '\\W+', ' ', 'g'))"
    )
    rows = con.execute(
        f"WITH fa AS (SELECT a.url, a.outlet, a.published, a.title, {group_of(con)} AS grp"
        f" FROM articles a JOIN flags f USING (url) WHERE {where})"
        " SELECT c.url, c.idx + 1, fa.published, fa.outlet, fa.title,"
        " CASE WHEN c.speaker_country IN ('USA', 'RUS', 'UKR') THEN c.speaker_country"
        " WHEN c.speaker_country IS NULL THEN 'unknown' ELSE 'others' END,"
        " c.speaker, c.speaker_actor, c.speaker_country, c.kind, c.cue, c.source,"
        f" coalesce(c.content, c.sentence), count(*) OVER (PARTITION BY {same})"
        " FROM claims c JOIN fa USING (url)"
        f" QUALIFY row_number() OVER (PARTITION BY {same}"
        " ORDER BY fa.url = fa.grp DESC, fa.published, c.url, c.idx) = 1"
        " ORDER BY fa.published DESC NULLS LAST, c.url, c.idx",
        params,
    ).fetchall()
    return [Claim(*row) for row in rows]


def _outlets(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any]
) -> tuple[int, int, list[OutletCount]]:
    group = group_of(con)
    rows = con.execute(
        f"SELECT coalesce(a.outlet, '?'), a.url, {group} FROM articles a JOIN flags f USING (url)"
        f" WHERE {where}",
        params,
    ).fetchall()
    own: Counter[str] = Counter()
    copies: Counter[str] = Counter()
    for outlet, url, grp in rows:
        (own if url == grp else copies)[outlet] += 1
    names = sorted(set(own) | set(copies), key=lambda o: (-(own[o] + copies[o]), o))
    groups = {grp for _, _, grp in rows}
    return len(rows), len(groups), [OutletCount(o, own[o], copies[o]) for o in names]


def collect(
    con: duckdb.DuckDBPyConnection, since: date | None = None, until: date | None = None
) -> ReportData:
    where, params = _window(since, until)
    data = ReportData(since, until)
    data.claims = _claims(con, where, params)
    data.articles, data.stories, data.outlets = _outlets(con, where, params)
    data.has_events = has_events(con)
    if data.has_events:
        data.events = readouts(con, since=since, until=until)
        row = con.execute("SELECT count(*) FROM events").fetchone()
        data.events_total = int(row[0]) if row else 0
    shown = list(
        dict.fromkeys(
            [c.url for c in data.claims]
            + [c.url for ev in data.events for side in ev.sides.values() for c in side]
        )
    )
    data.articles_shown = load_articles(con, shown)
    return data


def buckets(first: date | None, last: date | None) -> list[date]:
    """The days (or the Mondays, over a long range) from `first` to `last`."""
    if first is None or last is None or last < first:
        return []
    if (last - first).days > _WEEKLY_AFTER:
        start = first - timedelta(days=first.weekday())
        return [start + timedelta(weeks=i) for i in range((last - start).days // 7 + 1)]
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def over_time(data: ReportData, attr: str) -> tuple[list[str], dict[str, list[int]]]:
    """Claims per bucket, by `attr` ("side" or "kind"): the series of a stacked-column chart."""
    days = buckets(data.first_day(), data.last_day())
    if not days:
        return [], {}
    weekly = len(days) > 1 and (days[1] - days[0]).days == 7
    index = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for claim in data.claims:
        if claim.published is None:
            continue
        day = claim.published - timedelta(days=claim.published.weekday() if weekly else 0)
        if day in index:
            counts[str(getattr(claim, attr))][index[day]] += 1
    order = SIDE_ORDER if attr == "side" else sorted(counts, key=lambda k: -sum(counts[k]))
    labels = [("week of " if weekly else "") + d.isoformat() for d in days]
    return labels, {k: counts[k] for k in order if k in counts}


def top_speakers(data: ReportData, n: int = 15) -> list[tuple[str, dict[str, int]]]:
    """The `n` speakers with the most claims, each with its count by kind."""
    by_speaker: dict[str, Counter[str]] = defaultdict(Counter)
    for claim in data.claims:
        who = claim.speaker_actor or claim.speaker
        if who:
            country = f" ({claim.speaker_country})" if claim.speaker_country else ""
            by_speaker[who + country][claim.kind] += 1
    ranked = sorted(by_speaker.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:n]
    return [(name, dict(kinds.most_common())) for name, kinds in ranked]
