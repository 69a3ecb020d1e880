"""The real feeds and pages in ../shared/corpus go through parse_feed and extract_article.

The corpus is read at run time and never copied into the project (see its MANIFEST.md); the
whole module is skipped where it is absent. Also a benchmark of extraction time:

    .venv/bin/python -m tests.test_corpus
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from diplowatch.errors import NotAFeedError
from diplowatch.extractors.article import extract_article
from diplowatch.extractors.feeds import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FEEDS = sorted((CORPUS / "feeds").glob("*.xml"))
PAGES = sorted((CORPUS / "pages").glob("*.html"))

if __name__ != "__main__" and not (FEEDS and PAGES):
    pytest.skip(
        f"../shared/corpus not found: {CORPUS} (checked out beside the repo in CI)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.corpus

# Measured over the 59 pages when this test was written: 59 of 59 yield >= 200 characters.
MIN_PAGES_WITH_TEXT = 55


def _feed_url(path: Path) -> str:
    return f"https://corpus.invalid/{path.name}"


@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.name)
def test_feed(path: Path) -> None:
    data = path.read_bytes()
    if "NOT-A-FEED" in path.name:
        with pytest.raises(NotAFeedError) as info:
            parse_feed(data, feed_id=path.stem, outlet="corpus", url=_feed_url(path))
        assert str(info.value) == f"{path.stem}: served an HTML page, not a feed"
        return
    items = parse_feed(data, feed_id=path.stem, outlet="corpus", url=_feed_url(path))
    assert items, f"{path.name}: no items"
    assert len({item.url for item in items}) == len(items)
    for item in items:
        assert item.url.startswith(("http://", "https://"))
        assert "xtor=" not in item.url and "utm_" not in item.url and "#" not in item.url
        assert item.title is None or item.title == item.title.strip()
        assert item.title is None or "\n" not in item.title
        assert item.published is None or item.published.utcoffset() is not None


def test_feed_counts() -> None:
    """The manifest's 18 feeds: two HTML pages, sixteen real feeds."""
    assert len(FEEDS) == 18
    assert sum("NOT-A-FEED" in p.name for p in FEEDS) == 2


def test_reformatted_le_monde_titles_and_links() -> None:
    path = CORPUS / "feeds" / "lemonde_une_2018-06-27_reformatted.xml"
    items = parse_feed(
        path.read_bytes(), feed_id="lemonde-une", outlet="Le Monde", url=_feed_url(path)
    )
    assert items[0].title == (
        "Serbie-Brésil en direct : les Brésiliens mènent grâce à Paulinho et Thiago Silva"
    )
    assert all("?xtor" not in i.url and i.url.startswith("https://www.lemonde.fr/") for i in items)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_page_extracts_without_error(path: Path) -> None:
    article = extract_article(path.read_bytes(), url=f"https://corpus.invalid/{path.name}")
    assert isinstance(article.text, str)
    assert article.language is None or len(article.language) == 2


def test_most_pages_yield_text() -> None:
    with_text = [
        p.name
        for p in PAGES
        if len(extract_article(p.read_bytes(), url=f"https://corpus.invalid/{p.name}").text) >= 200
    ]
    assert len(with_text) >= MIN_PAGES_WITH_TEXT, f"only {len(with_text)} of {len(PAGES)} pages"


def test_invalid_utf8_page_keeps_its_text() -> None:
    path = CORPUS / "pages" / "maville-laseyne_2015-04-29_onu-discours-haineux.html"
    article = extract_article(path.read_bytes(), url="https://laseyne.maville.com/actu/x.Htm")
    assert "ONU" in article.text
    assert article.language == "fr"


def _benchmark(passes: int = 5) -> None:
    """Per-page time of extract_article against a plain `trafilatura.extract(html)`."""
    import trafilatura

    logging.disable(logging.CRITICAL)
    pages = [p.read_bytes() for p in PAGES]

    def best(fn: Callable[[bytes], object]) -> float:
        times = []
        for _ in range(passes):
            start = time.perf_counter()
            for data in pages:
                fn(data)
            times.append(time.perf_counter() - start)
        return min(times) / len(pages)

    base = best(lambda d: trafilatura.extract(d))
    ours = best(lambda d: extract_article(d, url="https://corpus.invalid/page.html"))
    print(f"{len(pages)} pages, best of {passes} passes")
    print(f"trafilatura.extract(html): {base * 1000:.1f} ms/page")
    print(f"extract_article(html, url): {ours * 1000:.1f} ms/page  ({ours / base:.2f}x)")


if __name__ == "__main__":
    _benchmark()
