"""Wire copies: shingles, MinHash LSH candidates, containment decision, groups in DuckDB.

Golden: tests/golden/copies/dispatches.toml (invented reprints of one dispatch, and other
stories on the same talks) beside expected.json (each article's copy group). The real pages of
../shared/corpus are read at run time: no two of them may group.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from diplowatch.extractors.copies import (
    CopyDoc,
    CopyParams,
    copy_groups,
    copy_pairs,
    is_copy,
    resemblance,
    shingles,
)
from diplowatch.extractors.events import EventParams
from diplowatch.storage import derived
from diplowatch.storage.db import session
from diplowatch.storage.migrations import MIGRATIONS, Migrations, migrate
from tests.conftest import SHARED

GOLDEN = Path(__file__).parent / "golden" / "copies"
PAGES = SHARED / "corpus" / "pages"
PARAMS = CopyParams()


def _fixtures() -> list[dict[str, object]]:
    with (GOLDEN / "dispatches.toml").open("rb") as fh:
        return list(tomllib.load(fh)["articles"])


def _text(article: dict[str, object]) -> str:
    return "\n".join(article["paragraphs"])  # type: ignore[arg-type]


def _docs() -> list[CopyDoc]:
    return [CopyDoc(str(a["url"]), a["day"], _text(a)) for a in _fixtures()]  # type: ignore[arg-type]


def test_shingles_are_normalised_words_and_stable() -> None:
    a = shingles("Le Kremlin a « démenti » lundi, selon l'agence TASS.")
    b = shingles("le kremlin a démenti LUNDI selon l agence tass")
    assert a == b and len(a) == 5  # nine words
    assert shingles("") == frozenset()
    assert len(shingles("trois mots seulement")) == 1


def test_resemblance_jaccard_and_containment() -> None:
    a = frozenset(range(100))
    assert resemblance(a, frozenset(range(50))) == (0.5, 1.0)
    assert resemblance(a, frozenset(range(100, 200))) == (0.0, 0.0)
    assert resemblance(a, frozenset()) == (0.0, 0.0)


def test_golden_reprints_find_their_original_and_nothing_else() -> None:
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    docs = _docs()
    pairs = copy_pairs(docs, PARAMS)
    earliest = {d.url: (d.day, d.url) for d in docs}
    # the original and the reprints of 10 January: the original's URL sorts first among them
    groups = copy_groups([d.url for d in docs], pairs, earliest)
    assert groups == expected


def test_thresholds_leave_a_margin_on_the_fixtures() -> None:
    """The figures behind [copies] min_containment (printed with -s)."""
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    sets = {d.url: shingles(d.text) for d in _docs()}
    same: list[float] = []
    other: list[float] = []
    for a, b in itertools.combinations(sets, 2):
        if min(len(sets[a]), len(sets[b])) < PARAMS.min_shingles:
            continue
        (same if expected[a] == expected[b] else other).append(resemblance(sets[a], sets[b])[1])
    print(f"copies: containment {min(same):.3f}..{max(same):.3f}; others at most {max(other):.3f}")
    assert min(same) >= PARAMS.min_containment + 0.15
    assert max(other) <= PARAMS.min_containment - 0.3


def test_the_shipped_settings_are_the_measured_thresholds() -> None:
    from diplowatch.flows.derived import params_of
    from diplowatch.settings.loader import load_config

    assert params_of(load_config(None)) == (CopyParams(), EventParams())


def test_short_texts_are_never_copies() -> None:
    brief = shingles("Aucun accord n'a été annoncé à Genève, a-t-on appris de source diplomatique.")
    assert not is_copy(brief, brief, PARAMS)


def test_copies_far_apart_in_time_are_not_paired() -> None:
    text = _text(_fixtures()[0])
    docs = [
        CopyDoc("https://a.example/1", date(2022, 1, 10), text),
        CopyDoc("https://b.example/1", date(2022, 1, 30), text),
        CopyDoc("https://c.example/1", None, text),
    ]
    assert copy_pairs(docs, PARAMS) == [
        ("https://a.example/1", "https://c.example/1"),
        ("https://b.example/1", "https://c.example/1"),
    ]
    assert copy_pairs(docs, PARAMS, probe=["https://a.example/1"]) == [
        ("https://a.example/1", "https://c.example/1")
    ]


@pytest.mark.corpus
def test_no_two_corpus_pages_group() -> None:
    if not PAGES.is_dir():
        pytest.skip(f"../shared/corpus not found: {PAGES} (checked out beside the repo in CI)")
    from diplowatch.extractors.article import extract_article

    docs = [
        CopyDoc(p.name, None, extract_article(p.read_bytes(), url=f"https://corpus/{p.name}").text)
        for p in sorted(PAGES.glob("*.html"))
    ]
    assert len(docs) > 10
    assert copy_pairs(docs, PARAMS) == []
    sets = [shingles(d.text) for d in docs]
    worst = max(resemblance(a, b)[1] for a, b in itertools.combinations(sets, 2))
    print(f"corpus: {len(docs)} pages, highest containment between two {worst:.3f}")
    assert worst < PARAMS.min_containment / 4


# --- in DuckDB --------------------------------------------------------------------------------


def _insert(con: duckdb.DuckDBPyConnection, url: str, day: date, text: str, hour: int = 8) -> None:
    con.execute(
        "INSERT INTO articles (url, outlet, title, published, fetched, text, status)"
        " VALUES (?, 'o', ?, ?, ?, ?, ?)",
        [url, url, day, datetime(day.year, day.month, day.day, hour), text,
         "extracted" if text else "empty"],
    )  # fmt: skip


def _groups(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    return dict(con.execute("SELECT url, copy_group FROM articles ORDER BY url").fetchall())


def test_migration_backfills_existing_rows_to_their_own_url(tmp_path: Path) -> None:
    before = Migrations()
    for name, step in MIGRATIONS:
        if name == "0006_copy_group":
            break
        before(name)(step)
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    migrate(con, before)
    con.execute("INSERT INTO articles (url, status) VALUES ('https://x.example/1', 'extracted')")
    assert {"0006_copy_group", "0007_events"} & set(migrate(con)) == {
        "0006_copy_group",
        "0007_events",
    }
    assert _groups(con) == {"https://x.example/1": "https://x.example/1"}
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    con.close()


def test_refresh_groups_runs_incrementally_and_reruns_change_nothing(tmp_path: Path) -> None:
    docs = {str(a["url"]): a for a in _fixtures()}
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    urls = sorted(docs)
    first, second = urls[::2], urls[1::2]
    with session(tmp_path / "db.duckdb") as con:
        _insert(con, "https://empty.example/1", date(2022, 1, 10), "")
        for url in first:
            _insert(con, url, docs[url]["day"], _text(docs[url]))  # type: ignore[arg-type]
        derived.refresh(con, derived.pending_urls(con), PARAMS, EventParams())
        for url in second:
            _insert(con, url, docs[url]["day"], _text(docs[url]))  # type: ignore[arg-type]
        assert derived.pending_urls(con) == second
        derived.refresh(con, derived.pending_urls(con), PARAMS, EventParams())
        assert derived.pending_urls(con) == []
        groups = _groups(con)
        assert groups.pop("https://empty.example/1") == "https://empty.example/1"
        assert groups == expected
        again = derived.refresh(con, urls, PARAMS, EventParams())
        assert again["regrouped"] == 0
        assert _groups(con) == {**expected, "https://empty.example/1": "https://empty.example/1"}


def test_a_refresh_a_day_at_a_time_finds_the_groups_of_one_refresh(tmp_path: Path) -> None:
    """How flows.derived refreshes a backfill's months (`refresh_by_day`): never all in memory."""
    docs = {str(a["url"]): a for a in _fixtures()}
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    with session(tmp_path / "db.duckdb") as con:
        for url in sorted(docs):
            _insert(con, url, docs[url]["day"], _text(docs[url]))  # type: ignore[arg-type]
        slices = derived.day_slices(con, derived.pending_urls(con))
        assert len(slices) > 2  # the fixtures span several days
        assert sorted(url for _, day in slices for url in day) == sorted(docs)
        cache = derived.ShingleCache()
        derived.refresh_by_day(con, derived.pending_urls(con), PARAMS, EventParams(), cache)
        assert cache.sets  # the texts were shingled once and kept for the next days
        assert derived.pending_urls(con) == []
        assert _groups(con) == expected


def test_an_earlier_copy_arriving_later_becomes_the_group_key(tmp_path: Path) -> None:
    text = _text(_fixtures()[0])
    with session(tmp_path / "db.duckdb") as con:
        _insert(con, "https://b.example/reprint", date(2022, 1, 11), text)
        _insert(con, "https://c.example/reprint", date(2022, 1, 11), text, hour=9)
        derived.refresh(con, derived.pending_urls(con), PARAMS, EventParams())
        assert set(_groups(con).values()) == {"https://b.example/reprint"}
        _insert(con, "https://z.example/original", date(2022, 1, 10), text)  # a backfill
        derived.refresh(con, derived.pending_urls(con), PARAMS, EventParams())
        assert set(_groups(con).values()) == {"https://z.example/original"}


def test_a_changed_text_leaves_its_group(tmp_path: Path) -> None:
    fixtures = _fixtures()
    text, other = _text(fixtures[0]), _text(fixtures[5])
    with session(tmp_path / "db.duckdb") as con:
        _insert(con, "https://a.example/1", date(2022, 1, 10), text)
        _insert(con, "https://b.example/1", date(2022, 1, 10), text, hour=9)
        _insert(con, "https://c.example/1", date(2022, 1, 10), text, hour=10)
        derived.refresh(con, derived.pending_urls(con), PARAMS, EventParams())
        assert set(_groups(con).values()) == {"https://a.example/1"}
        # a reprocess finds the first one was another story all along
        con.execute("UPDATE articles SET text = ? WHERE url = 'https://a.example/1'", [other])
        derived.refresh(con, ["https://a.example/1"], PARAMS, EventParams())
        assert _groups(con) == {
            "https://a.example/1": "https://a.example/1",
            "https://b.example/1": "https://b.example/1",
            "https://c.example/1": "https://b.example/1",
        }
