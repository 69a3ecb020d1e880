"""The Analyzer on real pages: a story that breaks the claim extractor fails alone, the claims
stored with the rule that produced them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem
from diplowatch.flows.config import load_config
from diplowatch.flows.workers import build_analyzer
from diplowatch.storage import connect, save_batch, start_run
from diplowatch.storage.migrations import MIGRATIONS, Migrations, migrate
from tests.flow_fixtures import ARTICLES, page

pytestmark = pytest.mark.slow


def fetched(slug: str, html: bytes) -> FetchedPage:
    url = f"http://127.0.0.1/{slug}.html"
    item = FeedItem(url=url, link=url, feed="test", outlet="Le Quotidien test")
    return FetchedPage(item, html, datetime.now(UTC), 200)


def test_a_story_too_long_for_spacy_fails_alone() -> None:
    analyzer = build_analyzer(load_config())
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
    assert [(k, r) for _, k, r in stored] == [(c.kind, getattr(c, "rule", None)) for c in claims]


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
