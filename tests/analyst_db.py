"""A small real DuckDB file for the read commands' tests: one call, its reprint, two sides.

Written through `storage.db.connect` (so with every migration applied), rows inserted as the
flows store them. Texts are ours, invented for these tests.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from diplowatch.storage import db as storage_db

CALL = "https://exemple.test/monde/2021/12/07/appel"
REPRINT = "https://autre.test/international/appel-biden-poutine"
KYIV = "https://exemple.test/monde/2021/12/08/kiev"
SPORT = "https://exemple.test/sport/2021/12/07/match"

CALL_TEXT = (
    "Joe Biden a averti Vladimir Poutine de sanctions sévères.\n\n"
    "« Nous répondrons avec fermeté », a déclaré le président américain.\n\n"
    "Le Kremlin a démenti toute intention d'attaquer l'Ukraine."
)
KYIV_TEXT = (
    "Volodymyr Zelensky a salué le soutien de Washington.\n\n"
    "Le président ukrainien a réclamé des sanctions « préventives » contre Moscou."
)


def _sentence(text: str, sentence: str) -> tuple[str, int, int]:
    start = text.index(sentence)
    return sentence, start, start + len(sentence)


def _claims(url: str, text: str) -> list[tuple[object, ...]]:
    if text == CALL_TEXT:
        rows = [
            ("Joe Biden", "USA", "warning", "avertir", "de sanctions sévères",
             "Joe Biden a averti Vladimir Poutine de sanctions sévères."),
            ("le président américain", "USA", "statement", "déclarer",
             "Nous répondrons avec fermeté",
             "« Nous répondrons avec fermeté », a déclaré le président américain."),
            ("Le Kremlin", "RUS", "denial", "démentir", "toute intention d'attaquer l'Ukraine",
             "Le Kremlin a démenti toute intention d'attaquer l'Ukraine."),
        ]  # fmt: skip
    else:
        rows = [
            ("Volodymyr Zelensky", "UKR", "support", "saluer", "le soutien de Washington",
             "Volodymyr Zelensky a salué le soutien de Washington."),
            ("Le président ukrainien", "UKR", "demand", "réclamer",
             "des sanctions « préventives » contre Moscou",
             "Le président ukrainien a réclamé des sanctions « préventives » contre Moscou."),
        ]  # fmt: skip
    actors = {"USA": "Joe Biden", "RUS": "Kremlin", "UKR": "Volodymyr Zelensky"}
    out: list[tuple[object, ...]] = []
    for idx, (speaker, country, kind, cue, content, sentence) in enumerate(rows):
        _, start, end = _sentence(text, sentence)
        out.append(
            (url, idx, speaker, actors[country], country, kind, cue, None, None, content,
             kind == "statement", sentence, start, end, "test", "verb_cue")
        )  # fmt: skip
    return out


def build(path: Path) -> Path:
    """The file: 4 articles (one a reprint of another), 3 flagged, 8 claims, one event."""
    articles = [
        (CALL, "Le Quotidien", "Biden menace Poutine de sanctions", date(2021, 12, 7), CALL_TEXT),
        (REPRINT, "L'Autre Journal", "Biden menace Poutine", date(2021, 12, 7), CALL_TEXT),
        (KYIV, "Le Quotidien", "Zelensky réclame des sanctions", date(2021, 12, 8), KYIV_TEXT),
        (SPORT, "Le Quotidien", "Nantes gagne à Lens", date(2021, 12, 7), "Nantes a gagné."),
    ]
    with storage_db.session(path) as con:
        columns = {r[0] for r in con.execute("DESCRIBE articles").fetchall()}
        if "copy_group" not in columns:  # before the copies migration: the same column
            con.execute("ALTER TABLE articles ADD COLUMN copy_group TEXT")
        con.execute(
            "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, title TEXT,"
            " first_seen TIMESTAMP, last_seen TIMESTAMP, countries TEXT)"
        )
        con.execute("CREATE TABLE IF NOT EXISTS event_articles (event_id TEXT, url TEXT)")
        for url, outlet, title, published, text in articles:
            con.execute(
                "INSERT INTO articles (url, outlet, title, published, text, status, copy_group)"
                " VALUES (?, ?, ?, ?, ?, 'extracted', ?)",
                [url, outlet, title, published, text, CALL if url == REPRINT else url],
            )
            relevant = url != SPORT
            con.execute(
                "INSERT INTO flags VALUES (?, ?, ?, ?, 'test', ?)",
                [url, relevant, 0.9 if relevant else 0.1, ["actors: USA, RUS"],
                 datetime(2021, 12, 8)],
            )  # fmt: skip
            if relevant:
                con.executemany(
                    "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _claims(url, text),
                )
        con.execute(
            "INSERT INTO events (event_id, title, first_seen, last_seen, countries) VALUES"
            " ('e1', 'Appel Biden-Poutine', '2021-12-07 10:00', '2021-12-08 12:00',"
            ' \'["USA", "RUS", "UKR"]\')'
        )
        con.executemany(
            "INSERT INTO event_articles (event_id, url) VALUES ('e1', ?)",
            [[CALL], [REPRINT], [KYIV]],
        )
    return path
