"""The readouts data (storage.readouts) and the claims counted once per copy group.

Small hand-made rows in a real DuckDB file for the rules; then the demo, run through the CLI,
for what issue 12 promises of it: fewer copy groups than articles, an event with claims from
two countries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from diplowatch.storage.db import session
from diplowatch.storage.queries import claim_counts, summary
from diplowatch.storage.readouts import readouts, side_of

EV = "ev-test"


def _article(con: duckdb.DuckDBPyConnection, url: str, group: str, day: int) -> None:
    con.execute(
        "INSERT INTO articles (url, outlet, title, published, fetched, text, status, copy_group)"
        " VALUES (?, ?, ?, ?, ?, 'texte', 'extracted', ?)",
        [url, url.split("/")[2], f"titre {url}", date(2022, 3, day),
         datetime(2022, 3, day, 8), group],
    )  # fmt: skip
    con.execute("INSERT INTO event_articles VALUES (?, ?)", [EV, url])


def _claim(
    con: duckdb.DuckDBPyConnection, url: str, idx: int, country: str | None, sentence: str
) -> None:
    con.execute(
        "INSERT INTO claims (url, idx, speaker, speaker_actor, speaker_country, kind, cue,"
        " source, content, direct, sentence, start, \"end\") VALUES"
        " (?, ?, ?, ?, ?, 'statement', 'déclarer', NULL, ?, false, ?, 0, ?)",
        [url, idx, f"porte-parole {country}", f"porte-parole {country}", country,
         sentence.lower(), sentence, len(sentence)],
    )  # fmt: skip


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with session(tmp_path / "db.duckdb") as connection:
        connection.execute(
            "INSERT INTO events VALUES (?, 'Un appel', '2022-03-01', '2022-03-02', ?)",
            [EV, '["RUS", "USA"]'],
        )
        # a dispatch and its reprint (one copy group), and the other side's account
        _article(connection, "https://agence.example/us", "https://agence.example/us", 1)
        _article(connection, "https://journal.example/us", "https://agence.example/us", 2)
        _article(connection, "https://autre.example/ru", "https://autre.example/ru", 2)
        for url in ("https://agence.example/us", "https://journal.example/us"):
            _claim(connection, url, 0, "USA", "Washington a mis en garde Moscou.")
        _claim(connection, "https://journal.example/us", 1, "USA", "Un paragraphe ajouté.")
        _claim(connection, "https://autre.example/ru", 0, "RUS", "Moscou dément.")
        _claim(connection, "https://autre.example/ru", 1, "NATO", "L'Alliance observe.")
        _claim(connection, "https://autre.example/ru", 2, None, "On ne sait qui parle.")
        yield connection


def test_sides() -> None:
    assert [side_of(c) for c in ("USA", "RUS", "UKR", "FRA", None)] == [
        "USA", "RUS", "UKR", "others", "others",
    ]  # fmt: skip


def test_readouts_fold_copies_and_group_by_side(con: duckdb.DuckDBPyConnection) -> None:
    (event,) = readouts(con)
    assert (event.event_id, event.title, event.articles) == (EV, "Un appel", 3)
    assert event.countries == ["RUS", "USA"]
    assert event.speaking_sides == ["USA", "RUS", "others"]
    us = event.sides["USA"]
    # the reprint's copy of the dispatch's claim is folded; its added paragraph is kept
    assert [(c.url, c.idx, c.copies) for c in us] == [
        ("https://agence.example/us", 0, 2),
        ("https://journal.example/us", 1, 2),
    ]
    assert [c.sentence for c in event.sides["RUS"]] == ["Moscou dément."]
    assert [c.speaker_country for c in event.sides["others"]] == ["NATO", None]
    assert (
        us[0].kind == "statement" and us[0].cue == "déclarer" and us[0].outlet == "agence.example"
    )


def test_readouts_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert [r.event_id for r in readouts(con, event_id=EV)] == [EV]
    assert readouts(con, event_id="ev-none") == []
    assert len(readouts(con, since=date(2022, 3, 2), until=date(2022, 3, 2))) == 1
    assert readouts(con, since=date(2022, 3, 3)) == []
    assert readouts(con, until=date(2022, 2, 28)) == []
    assert readouts(con, min_sides=4) == []


def test_a_one_sided_event_is_left_out(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM claims WHERE url = 'https://autre.example/ru'")
    assert readouts(con) == []
    assert len(readouts(con, min_sides=1)) == 1


def test_claim_counts_once_per_copy_group(con: duckdb.DuckDBPyConnection) -> None:
    columns, rows = claim_counts(con, "country")
    assert columns == ["country", "claims", "copies"]
    assert rows == [("USA", 2, 3), ("NATO", 1, 1), ("RUS", 1, 1), (None, 1, 1)]
    assert summary(con)["claims"] == 6 and summary(con)["claims_once"] == 5
    assert summary(con)["copy_groups"] == 2
    _, rows = claim_counts(con, "kind", since=date(2022, 3, 2))
    assert rows == [("statement", 4, 5)]  # the reprint's copy of a claim dated 1 March: folded


@pytest.mark.slow
def test_the_demo_folds_a_reprint_and_tells_one_call_from_both_sides(
    tmp_path: Path, prefect_harness: None
) -> None:
    from diplowatch.cli import main

    db = tmp_path / "demo.duckdb"
    assert main(["demo", "--db", str(db), "-q"]) == 0
    derived_state = (
        "SELECT (SELECT list((url, copy_group) ORDER BY url) FROM articles),"
        " (SELECT list(e ORDER BY event_id) FROM events e),"
        " (SELECT list(x ORDER BY event_id, url) FROM event_articles x)"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute(derived_state).fetchone()
    # reprocess refreshes copies and events over what it rewrote: the same groups, the same ids
    assert main(["reprocess", "--db", str(db), "-q"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(derived_state).fetchone() == before
        row = con.execute("SELECT count(DISTINCT copy_group), count(*) FROM articles").fetchone()
        assert row is not None and row[0] < row[1]
        reprints = con.execute(
            "SELECT a.outlet, g.outlet FROM articles a JOIN articles g ON g.url = a.copy_group"
            " WHERE a.url <> a.copy_group"
        ).fetchall()
        assert reprints == [("L'Écho démo", "Le Journal démo")]
        found = readouts(con)
        call = [r for r in found if r.articles >= 3 and {"USA", "RUS"} <= set(r.speaking_sides)]
        assert call, [(r.title, r.speaking_sides) for r in found]
        assert "Austin" in (call[0].title or "")
        actors = {c.speaker_actor for side in ("USA", "RUS") for c in call[0].sides[side]}
        assert {"Lloyd Austin", "Sergueï Choïgou"} <= actors
        # the reprint's claims are folded into the dispatch's
        assert all(c.url.endswith(".html") and "hausse-le-ton" not in c.url
                   for c in call[0].sides["USA"])  # fmt: skip
