"""The offline demo sample and its loopback server (flows/demo_server.py), through real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import feedparser
import httpx
import pytest
import trafilatura

from diplowatch.flows.demo_server import COOKIE_TEXT, FOOTER_NOTICE, DemoServer


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as demo:
        yield demo


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as http:
        yield http


def strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def fetch_feeds(server: DemoServer, client: httpx.Client) -> dict[str, feedparser.FeedParserDict]:
    parsed = {}
    for feed_id, feed in server.feeds().items():
        response = client.get(feed["url"])
        assert response.status_code == 200, feed_id
        assert response.headers["ETag"] and response.headers["Last-Modified"]
        parsed[feed_id] = feedparser.parse(response.content)
    return parsed


def test_feeds_have_the_shape_of_feeds_toml(server: DemoServer) -> None:
    feeds = server.feeds()
    assert len(feeds) >= 3
    for feed in feeds.values():
        assert set(feed) == {"outlet", "url", "section", "enabled"}
        assert feed["enabled"] is True
        assert feed["url"].startswith(server.base_url + "/feeds/")


def test_feeds_list_the_whole_sample(server: DemoServer, client: httpx.Client) -> None:
    parsed = fetch_feeds(server, client)
    versions = {d.version for d in parsed.values()}
    assert "atom10" in versions and "rss20" in versions
    links = [e.link for d in parsed.values() for e in d.entries]
    assert all(not d.bozo for d in parsed.values())
    assert all(d.feed.get("title") for d in parsed.values())
    assert any("xtor=" in link for link in links)
    assert any("utm_source=" in link for link in links)

    canonical = [strip_query(link) for link in links]
    distinct = set(canonical)
    assert len(distinct) >= 24
    assert len(canonical) - len(distinct) >= 2  # articles listed by two feeds
    known = {a["url"]: a for a in server.articles()}
    assert distinct == set(known)
    assert sum(known[url]["diplomacy"] for url in distinct) >= 8


def test_sample_articles(server: DemoServer) -> None:
    articles = server.articles()
    assert len(articles) >= 24
    assert sum(a["diplomacy"] for a in articles) >= 8
    assert len({a["url"] for a in articles}) == len(articles)
    for a in articles:
        assert 4 <= len(a["paragraphs"]) <= 10, a["slug"]
        assert a["published"].startswith("2021-12-") and a["published"].endswith("+01:00")
        assert re.search(r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+_\d+\.html$", a["url"]), a["url"]


@pytest.mark.parametrize("validator", ["If-None-Match", "If-Modified-Since"])
def test_conditional_request_gets_304(
    server: DemoServer, client: httpx.Client, validator: str
) -> None:
    for feed in server.feeds().values():
        first = client.get(feed["url"])
        header = "ETag" if validator == "If-None-Match" else "Last-Modified"
        second = client.get(feed["url"], headers={validator: first.headers[header]})
        assert second.status_code == 304
        assert second.content == b""
        assert second.headers["ETag"] == first.headers["ETag"]


def test_stale_validator_gets_200(server: DemoServer, client: httpx.Client) -> None:
    url = next(iter(server.feeds().values()))["url"]
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    old = "Mon, 01 Nov 2021 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": old}).status_code == 200


def test_article_pages_clean_to_their_paragraphs(server: DemoServer, client: httpx.Client) -> None:
    for article in server.articles():
        response = client.get(article["url"])
        assert response.status_code == 200, article["url"]
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.text
        assert page.startswith("<!DOCTYPE html>")
        assert '<html lang="fr">' in page
        assert FOOTER_NOTICE.split(".")[0] in page  # the boilerplate is there to be removed

        text = trafilatura.extract(page, url=article["url"])
        assert text, article["url"]
        cleaned = squash(text)
        for paragraph in article["paragraphs"]:
            assert squash(paragraph) in cleaned, (article["slug"], paragraph[:60])
        assert "Toute reproduction interdite" not in cleaned
        assert COOKIE_TEXT[:40] not in cleaned
        assert "Lire aussi" not in cleaned


def test_article_metadata(server: DemoServer, client: httpx.Client) -> None:
    article = server.articles()[0]
    meta = trafilatura.extract_metadata(client.get(article["url"]).text)
    assert meta.title == article["title"]
    assert meta.author == article["author"]
    assert meta.date == article["published"][:10]


def test_tracked_link_serves_the_same_page(server: DemoServer, client: httpx.Client) -> None:
    article = server.articles()[0]
    plain = client.get(article["url"])
    tracked = client.get(article["url"] + "?xtor=RSS-3208&utm_source=rss")
    assert tracked.status_code == 200 and tracked.content == plain.content


def test_unknown_paths_are_404(server: DemoServer, client: httpx.Client) -> None:
    for path in ("/nope", "/feeds/nope.xml", "/international/2021/12/07/nope_1.html"):
        assert client.get(server.base_url + path).status_code == 404


def test_front_page_and_head(server: DemoServer, client: httpx.Client) -> None:
    assert client.get(server.base_url + "/").status_code == 200
    head = client.head(server.feeds()["demo-monde"]["url"])
    assert head.status_code == 200 and head.content == b""


def test_not_started_has_no_base_url() -> None:
    with pytest.raises(RuntimeError):
        _ = DemoServer().base_url


def test_stops_cleanly() -> None:
    with DemoServer() as demo:
        url = demo.base_url
        assert httpx.get(url + "/").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/", timeout=1.0)
