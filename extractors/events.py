"""Events: the flagged stories about one call, summit, round of talks or sanctions package.

Stories join an event when they are close in time, share an actor's country and read alike:

- copies of one dispatch (one copy group) are one unit, always in the same event;
- units are taken in chronological order (then by URL: deterministic); each joins the open event
  whose latest story is at most `window_days` older, that shares a country with it (or either has
  none), and whose stories' TF-IDF centroid is the most similar to it (cosine at least
  `min_similarity`); else it opens an event of its own;
- a story's vector: the words of four letters or more of its title (counted twice) and of the
  first `LEAD_WORDS` words of its text (the lead says what happened), weighted by TF-IDF over
  the stories being grouped.

An event's id comes from its earliest story's URL, so regrouping the same stories gives the same
ids; its title is that story's title. Pure: records in, events out.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from diplowatch.extractors.copies import words

__all__ = ["Event", "EventDoc", "EventParams", "event_id", "group_events"]

LEAD_WORDS = 250

# frequent French words of four letters or more that say nothing of an event (IDF does the rest)
_STOP = frozenset(
    """
    avec dans pour sont mais cette elle elles leur leurs plus tout tous toute toutes être avoir
    fait faire était sera aussi comme selon après avant depuis entre encore très sans sous
    nous vous ils lui eux même déjà alors dont ainsi autre autres quand lors dont celui celle
    ceux mardi lundi mercredi jeudi vendredi samedi dimanche cours part deux trois
    """.split()  # noqa: SIM905  # a word list reads better as text than as 60 quoted strings
)


@dataclass(frozen=True, slots=True)
class EventParams:
    """The settings `[events]`."""

    window_days: int = 3
    min_similarity: float = 0.3


@dataclass(frozen=True, slots=True)
class EventDoc:
    """A flagged story as event grouping sees it."""

    url: str
    when: datetime  # its publication (or fetch) time
    title: str
    text: str
    countries: frozenset[str] = frozenset()
    copy_group: str | None = None  # stories of one copy group are one unit


@dataclass(slots=True)
class Event:
    event_id: str
    title: str
    first_seen: datetime
    last_seen: datetime
    countries: list[str]
    urls: list[str]


@dataclass(slots=True)
class _Open:
    docs: list[EventDoc]
    centroid: dict[str, float]
    countries: set[str]
    last_seen: datetime
    norm: float = field(default=0.0)


def event_id(url: str) -> str:
    """The stable id of the event whose earliest story is `url`."""
    return "ev-" + hashlib.sha1(url.encode()).hexdigest()[:16]


def _terms(doc: EventDoc) -> Counter[str]:
    def keep(tokens: Iterable[str]) -> list[str]:
        return [t for t in tokens if len(t) >= 4 and t not in _STOP and not t.isdigit()]

    counts = Counter(keep(words(doc.text)[:LEAD_WORDS]))
    for term in keep(words(doc.title)):
        counts[term] += 2
    return counts


def _vectors(units: Sequence[EventDoc]) -> list[dict[str, float]]:
    terms = [_terms(doc) for doc in units]
    df: Counter[str] = Counter()
    for counts in terms:
        df.update(counts.keys())
    n = len(units)
    vectors = []
    for counts in terms:
        vec = {
            t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({t: v / norm for t, v in vec.items()})
    return vectors


def _cosine(vec: dict[str, float], event: _Open) -> float:
    if event.norm == 0.0:
        return 0.0
    return sum(v * event.centroid.get(t, 0.0) for t, v in vec.items()) / event.norm


def _units(docs: Iterable[EventDoc]) -> list[list[EventDoc]]:
    """Stories grouped by copy group, each unit sorted and the units in chronological order."""
    by_group: dict[str, list[EventDoc]] = {}
    for doc in docs:
        by_group.setdefault(doc.copy_group or doc.url, []).append(doc)
    units = [sorted(members, key=lambda d: (d.when, d.url)) for members in by_group.values()]
    return sorted(units, key=lambda unit: (unit[0].when, unit[0].url))


def group_events(docs: Iterable[EventDoc], params: EventParams) -> list[Event]:
    """Group the stories into events (every story in exactly one), earliest event first."""
    units = _units(docs)
    vectors = _vectors([unit[0] for unit in units])
    events: list[_Open] = []
    for unit, vec in zip(units, vectors, strict=True):
        head = unit[0]
        countries = set().union(*(d.countries for d in unit))
        best: tuple[float, int] | None = None
        for index, event in enumerate(events):
            if (head.when - event.last_seen).days > params.window_days:
                continue
            if countries and event.countries and not countries & event.countries:
                continue
            score = _cosine(vec, event)
            if score >= params.min_similarity and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            events.append(_Open([], {}, set(), head.when))
            target = events[-1]
        else:
            target = events[best[1]]
        target.docs.extend(unit)
        target.countries |= countries
        target.last_seen = max(target.last_seen, *(d.when for d in unit))
        for term, value in vec.items():
            target.centroid[term] = target.centroid.get(term, 0.0) + value
        target.norm = math.sqrt(sum(v * v for v in target.centroid.values()))
    return [_finish(event) for event in events]


def _finish(event: _Open) -> Event:
    docs = sorted(event.docs, key=lambda d: (d.when, d.url))
    first = docs[0]
    return Event(
        event_id=event_id(first.url),
        title=first.title,
        first_seen=first.when,
        last_seen=max(d.when for d in docs),
        countries=sorted(event.countries),
        urls=[d.url for d in docs],
    )
