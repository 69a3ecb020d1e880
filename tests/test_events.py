"""Events: the two sides' accounts of one call group; another story of those days does not.

Invented texts (written for these tests). Grouping runs pure, then through storage.derived in a
real DuckDB file, where reruns must keep the same ids and rows.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from diplowatch.extractors.copies import CopyParams
from diplowatch.extractors.events import EventDoc, EventParams, event_id, group_events
from diplowatch.storage import derived
from diplowatch.storage.db import session

US = EventDoc(
    "https://a.example/us-readout",
    datetime(2022, 2, 12, 10),
    "Au téléphone, le secrétaire d'État avertit son homologue russe d'une riposte rapide",
    "Le secrétaire d'État américain s'est entretenu samedi par téléphone avec le ministre russe"
    " des Affaires étrangères. Selon le département d'État, il a averti Moscou qu'une invasion"
    " de l'Ukraine entraînerait une riposte transatlantique rapide et ferme, et a appelé la"
    " Russie à retirer ses troupes massées à la frontière. L'appel a duré une heure.",
    frozenset({"USA", "RUS"}),
)
RU = EventDoc(
    "https://b.example/ru-readout",
    datetime(2022, 2, 12, 16),
    "Le ministre russe accuse Washington de propagande lors de son appel avec le secrétaire d'État",
    "Le ministre russe des Affaires étrangères a accusé samedi Washington de mener une campagne"
    " de propagande sur une prétendue invasion de l'Ukraine, lors d'un entretien téléphonique"
    " avec le secrétaire d'État américain, selon le compte rendu de la diplomatie russe. L'appel"
    " a porté sur les troupes à la frontière et les garanties de sécurité.",
    frozenset({"RUS", "USA"}),
)
OTHER = EventDoc(
    "https://c.example/gas",
    datetime(2022, 2, 13, 9),
    "Bruxelles prépare un paquet de sanctions visant les banques et l'énergie",
    "La Commission européenne a présenté dimanche aux États membres un projet de paquet de"
    " sanctions visant les grandes banques et le secteur énergétique, prêt à être adopté si"
    " Moscou attaquait son voisin. Plusieurs capitales redoutent une flambée des prix du gaz"
    " pour les ménages cet hiver.",
    frozenset({"EU", "RUS"}),
)
LATER = EventDoc(
    "https://d.example/later",
    datetime(2022, 2, 25, 9),
    US.title,
    US.text,
    frozenset({"USA", "RUS"}),
)


def test_the_two_readouts_group_and_the_sanctions_story_does_not() -> None:
    events = group_events([OTHER, RU, US], EventParams())
    assert [e.urls for e in events] == [[US.url, RU.url], [OTHER.url]]
    call = events[0]
    assert call.event_id == event_id(US.url)
    assert call.title == US.title
    assert (call.first_seen, call.last_seen) == (US.when, RU.when)
    assert call.countries == ["RUS", "USA"]


def test_too_far_apart_or_no_common_country_stays_apart() -> None:
    assert len(group_events([US, LATER], EventParams())) == 2
    assert len(group_events([US, LATER], EventParams(window_days=14))) == 1
    foreign = EventDoc(RU.url, RU.when, RU.title, RU.text, frozenset({"CHN"}))
    assert len(group_events([US, foreign], EventParams())) == 2


def test_copies_of_one_dispatch_are_one_unit() -> None:
    copy = EventDoc("https://z.example/copy", US.when, "Autre titre", US.text, US.countries, US.url)
    events = group_events([copy, US, OTHER], EventParams())
    assert events[0].urls == [US.url, copy.url]


def _store(con: duckdb.DuckDBPyConnection, doc: EventDoc, relevant: bool = True) -> None:
    con.execute(
        "INSERT INTO articles (url, outlet, title, published, fetched, text, status)"
        " VALUES (?, 'o', ?, ?, ?, ?, 'extracted')",
        [doc.url, doc.title, doc.when.date(), doc.when, doc.text],
    )
    reasons = ["actors: " + ", ".join(sorted(doc.countries))]
    con.execute("INSERT INTO flags (url, relevant, score, reasons) VALUES (?, ?, 0.9, ?)",
                [doc.url, relevant, reasons])  # fmt: skip


def _events(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT e.event_id, e.title, e.first_seen, e.last_seen, e.countries,"
        " list(ea.url ORDER BY ea.url) FROM events e JOIN event_articles ea USING (event_id)"
        " GROUP BY ALL ORDER BY e.event_id"
    ).fetchall()


def test_refresh_writes_events_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    copies, params = CopyParams(), EventParams()
    with session(tmp_path / "db.duckdb") as con:
        _store(con, US)
        _store(con, OTHER)
        derived.refresh(con, derived.pending_urls(con), copies, params)
        assert len(_events(con)) == 2
        _store(con, RU)  # the Russian account arrives with the next run
        _store(
            con,
            EventDoc("https://e.example/sport", RU.when, "Match nul", "Un match nul.", frozenset()),
            relevant=False,
        )
        derived.refresh(con, derived.pending_urls(con), copies, params)
        events = _events(con)
        assert [row[5] for row in events if row[0] == event_id(US.url)] == [[US.url, RU.url]]
        assert len(events) == 2  # the unflagged story is in no event
        call = next(row for row in events if row[0] == event_id(US.url))
        assert call[1:5] == (
            US.title,
            datetime(2022, 2, 12),
            datetime(2022, 2, 12),
            '["RUS", "USA"]',
        )
        derived.refresh(con, [US.url, RU.url, OTHER.url], copies, params)
        assert _events(con) == events
        # a reprocess unflags the Russian account: it leaves the event
        con.execute("UPDATE flags SET relevant = false WHERE url = ?", [RU.url])
        derived.refresh(con, [RU.url], copies, params)
        assert [row[5] for row in _events(con)] == sorted(
            [[US.url], [OTHER.url]], key=lambda u: event_id(u[0])
        )
    assert date(2022, 2, 12) == US.when.date()
