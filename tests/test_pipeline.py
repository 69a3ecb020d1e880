"""The Analyzer on a batch where one story breaks the claim extractor: the others keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from diplowatch.extractors.pipeline import FetchedPage
from diplowatch.extractors.records import FeedItem
from diplowatch.flows.config import load_config
from diplowatch.flows.workers import build_analyzer
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
