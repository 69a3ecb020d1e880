"""The Analyzer on real pages: a story that breaks the claim extractor fails alone, the claims
stored with the rule that produced them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from diplowatch.extractors.pipeline import Analyzer, FetchedPage, cut_text
from diplowatch.extractors.records import FeedItem
from diplowatch.flows.workers import build_analyzer
from diplowatch.settings.loader import load_config
from diplowatch.settings.schema import AnalysisSettings
from diplowatch.storage import connect, save_batch, start_run
from diplowatch.storage.migrations import MIGRATIONS, Migrations, migrate
from tests.flow_fixtures import ARTICLES, page

pytestmark = pytest.mark.slow


def fetched(slug: str, html: bytes) -> FetchedPage:
    url = f"http://127.0.0.1/{slug}.html"
    item = FeedItem(url=url, link=url, feed="test", outlet="Le Quotidien test")
    return FetchedPage(item, html, datetime.now(UTC), 200)


def analyzer_with(max_text_chars: int, max_claims: int = 200, budget: float = 600.0) -> Analyzer:
    """The shipped analyzer with other caps (the shipped [analysis] stays in settings.toml)."""
    shipped = build_analyzer(load_config())
    limits = AnalysisSettings(
        max_text_chars=max_text_chars, max_claims=max_claims, time_budget_seconds=budget
    )
    return Analyzer(shipped.actors, shipped.flag_settings, shipped.claims_extractor(), limits)


def test_a_story_too_long_for_spacy_fails_alone() -> None:
    # spaCy's own limit is only reached with a text cap above it
    analyzer = analyzer_with(max_text_chars=5_000_000)
    story = ARTICLES["appel-biden-poutine"]
    # spaCy refuses texts over nlp.max_length (a million characters): a real way to break it
    huge = page("appel-biden-poutine").replace(
        b"</article>",
        b"".join(f"<p>{p}</p>".encode() for p in story["paragraphs"]) * 2500 + b"</article>",
    )
    done = analyzer.process_pages(
        [fetched("normal", page("appel-biden-poutine")), fetched("huge", huge)]
    )
    normal, broken = done
    assert normal.flag is not None and normal.flag.relevant and normal.claims
    assert normal.error is None
    assert broken.status == "extracted" and broken.flag is not None and broken.flag.relevant
    assert broken.claims == []
    assert broken.error is not None and "huge.html" in broken.error and "claim" in broken.error


def test_claims_are_stored_with_their_rule(tmp_path: Path) -> None:
    analyzer = build_analyzer(load_config())
    done = analyzer.process_pages([fetched("appel", page("appel-biden-poutine"))])
    claims = done[0].claims
    assert claims
    with connect(tmp_path / "rule.duckdb") as con:
        run = start_run(con, kind="daily", run_date=date(2021, 12, 7), params={})
        save_batch(con, done, run_id=run, run_date=date(2021, 12, 7), extractor_version="t")
        stored = con.execute("SELECT idx, kind, rule FROM claims ORDER BY idx").fetchall()
    assert [(k, r) for _, k, r in stored] == [(c.kind, c.rule) for c in claims]
    assert all(r for _, _, r in stored)  # every claim tells its rule family


def test_the_rule_migration_keeps_older_claims(tmp_path: Path) -> None:
    """A file written before `0004_claim_rule` gains the column; its claims keep their rows."""
    path = tmp_path / "old.duckdb"
    before = Migrations()
    for name, step in MIGRATIONS:
        if name == "0004_claim_rule":
            break
        before(name)(step)
    con = duckdb.connect(str(path))
    migrate(con, before)
    con.execute("INSERT INTO claims (url, idx, kind) VALUES ('https://a.fr/1', 0, 'warning')")
    assert "0004_claim_rule" in migrate(con)
    assert con.execute("SELECT url, kind, rule FROM claims").fetchall() == [
        ("https://a.fr/1", "warning", None)
    ]
    con.execute("INSERT INTO claims (url, idx, kind, rule) VALUES ('https://a.fr/1', 1, 'x', 'r')")
    assert con.execute("SELECT rule FROM claims WHERE idx = 1").fetchone() == ("r",)
    con.close()


# -- caps of [analysis] (issue 13) -----------------------------------------------------------


def long_text(paragraphs: int) -> str:
    """A generated story: one reported claim per paragraph, each of its own day."""
    return "\n\n".join(
        f"Le ministre russe des Affaires étrangères a déclaré le {day % 28 + 1} mars que les"
        f" pourparlers de Genève reprendraient dans {day} jours."
        for day in range(1, paragraphs + 1)
    )


def test_cut_text_ends_at_a_paragraph() -> None:
    text = long_text(100)
    cut, was_cut = cut_text(text, 2000)
    assert was_cut and len(cut) <= 2000 and text.startswith(cut)
    assert cut.endswith("jours.") and len(cut) > 1000
    assert cut_text("Court.", 2000) == ("Court.", False)


def test_a_long_text_is_cut_and_marked() -> None:
    analyzer = analyzer_with(max_text_chars=3000)
    text = long_text(400)  # about 45,000 characters
    [result] = analyzer.analyze_documents([{"id": "long", "text": text, "published": "2024-03-01"}])
    assert result["truncated"] is True
    assert 10 <= len(result["claims"]) < 40
    assert all(c["end"] <= 3000 for c in result["claims"])
    assert "error" not in result
    [short] = analyzer.analyze_documents([{"id": "s", "text": long_text(3)}])
    assert "truncated" not in short and len(short["claims"]) == 3


def test_the_claims_cap_holds() -> None:
    analyzer = analyzer_with(max_text_chars=100_000, max_claims=7)
    [result] = analyzer.analyze_documents([{"id": "many", "text": long_text(30)}])
    assert result["truncated"] is True
    assert len(result["claims"]) == 7
    # the first seven, in the order of the text
    assert [c["start"] for c in result["claims"]] == sorted(c["start"] for c in result["claims"])


def test_over_its_time_budget_an_article_fails_alone(tmp_path: Path) -> None:
    analyzer = analyzer_with(max_text_chars=100_000, budget=1e-9)
    results = list(
        analyzer.analyze_documents(
            [
                {"id": "a", "text": long_text(5)},
                {"id": "empty", "text": " "},
                {"id": "b", "text": long_text(2)},
            ]
        )
    )
    assert [r["id"] for r in results] == ["a", "empty", "b"]
    assert "time budget" in results[0]["error"] and "time budget" in results[2]["error"]
    assert results[0]["claims"] == [] and "error" not in results[1]
    done = analyzer.process_pages([fetched("slow", page("appel-biden-poutine"))])
    assert done[0].flag is not None and done[0].flag.relevant
    assert done[0].claims == [] and done[0].error is not None
    assert "slow.html" in done[0].error and "time budget" in done[0].error


def test_a_truncated_article_is_stored_so(tmp_path: Path) -> None:
    story = ARTICLES["appel-biden-poutine"]
    longer = page("appel-biden-poutine").replace(
        b"</article>",
        b"".join(f"<p>{p}</p>".encode() for p in story["paragraphs"]) * 6 + b"</article>",
    )
    analyzer = analyzer_with(max_text_chars=1500)
    cut, whole = analyzer.process_pages(
        [fetched("cut", longer), fetched("whole", page("appel-biden-poutine"))]
    )
    assert cut.truncated and not whole.truncated
    assert cut.error is None and cut.claims
    with connect(tmp_path / "cut.duckdb") as con:
        run = start_run(con, kind="daily", run_date=date(2021, 12, 7), params={})
        save_batch(con, [cut, whole], run_id=run, run_date=date(2021, 12, 7), extractor_version="t")
        rows = con.execute("SELECT url, truncated FROM articles ORDER BY url").fetchall()
    assert rows == [("http://127.0.0.1/cut.html", True), ("http://127.0.0.1/whole.html", False)]
