"""AnalyzerPool across real worker processes, and the Analyzer's lazily built claim extractor.

The flow tests run the analysis in-process (`workers = 0`); these check that the process pool
gives the same results, in input order, with each page's raw HTML put back (the workers do not
send it back), and that the spaCy model is only built when a flagged story needs it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.pipeline import Analyzer, FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.flows.config import load_config
from diplowatch.flows.workers import CHUNK, AnalyzerPool, shared_nlp
from tests.flow_fixtures import page

pytestmark = pytest.mark.slow

SLUGS = ("appel-biden-poutine", "ligue-1-nantes", "marche-de-noel")


def fetched(slug: str, i: int) -> FetchedPage:
    url = f"https://quotidien.test/{i}/{slug}.html"
    item = FeedItem(url=url, link=url, feed="test", outlet="Le Quotidien test", title=slug)
    return FetchedPage(item, page(slug), datetime.now(UTC), 200, "text/html; charset=utf-8")


def summary(done: list[ProcessedArticle]) -> list[tuple[object, ...]]:
    return [
        (
            d.item.url,
            d.status,
            d.article.text if d.article else None,
            d.flag.relevant if d.flag else None,
            [c.to_dict() for c in d.claims],
        )
        for d in done
    ]


def test_pool_matches_in_process_analysis_in_order_with_raw_html() -> None:
    cfg = load_config(None)
    pages = [fetched(SLUGS[i % len(SLUGS)], i) for i in range(2 * CHUNK + 3)]
    with AnalyzerPool(cfg, 2) as pool:
        # two batches in flight at once, as the flow keeps them
        first, second = pool.submit(pages[: CHUNK + 1]), pool.submit(pages[CHUNK + 1 :])
        done = pool.collect(first) + pool.collect(second)
    with AnalyzerPool(cfg, 0) as local:
        expected = local.process(pages)

    assert summary(done) == summary(expected)
    assert [d.raw_html for d in done] == [p.html for p in pages]
    assert any(d.claims for d in done)  # the diplomacy story went through the parse
    assert pool.seconds["clean"] > 0


def test_claim_extractor_built_on_first_flagged_story_only() -> None:
    cfg = load_config(None)
    actors = ActorIndex.from_config(cfg.actors)
    built: list[ClaimExtractor] = []

    def factory() -> ClaimExtractor:
        built.append(ClaimExtractor(shared_nlp(), actors, cfg.lexicon))
        return built[-1]

    analyzer = Analyzer(actors, cfg.flag, factory)
    quiet = analyzer.process_pages([fetched("ligue-1-nantes", 0), fetched("marche-de-noel", 1)])
    assert not any(d.flag and d.flag.relevant for d in quiet)
    assert built == []

    analyzer.process_pages([fetched("appel-biden-poutine", 2)])
    analyzer.process_pages([fetched("appel-biden-poutine", 3)])
    assert len(built) == 1
