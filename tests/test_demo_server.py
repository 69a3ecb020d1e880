"""The offline demo sample and its loopback server (diplowatch/demo/), through real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import feedparser
import httpx
import pytest
import trafilatura

from diplowatch.demo.pages import COOKIE_TEXT, FOOTER_NOTICE
from diplowatch.demo.server import DEMO_ORIGIN, DemoServer
from diplowatch.fetch.routing import route_mounts


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as demo:
        yield demo


@pytest.fixture(scope="module")
def client(server: DemoServer) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0, mounts=route_mounts(server.route, sync=True)) as http:
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


def test_sample_holds_a_reprint_by_another_outlet(server: DemoServer) -> None:
    """Issue 12: a dispatch two outlets ran, the second under its own title and cut short."""
    articles = server.articles()
    feeds = server.feeds()
    outlets = {a["slug"]: {feeds[f]["outlet"] for f in a["feeds"]} for a in articles}
    pairs = [
        (a, b)
        for a in articles
        for b in articles
        if a is not b
        and outlets[a["slug"]] != outlets[b["slug"]]
        and b["paragraphs"] == a["paragraphs"][: len(b["paragraphs"])]
    ]
    assert len(pairs) == 1
    original, reprint = pairs[0]
    assert original["title"] != reprint["title"]
    assert len(reprint["paragraphs"]) < len(original["paragraphs"])
    assert original["published"] < reprint["published"]


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


def test_not_started_has_no_address() -> None:
    demo = DemoServer()
    assert demo.base_url == DEMO_ORIGIN  # known at once: it never depends on the port
    with pytest.raises(RuntimeError):
        _ = demo.route


def test_stops_cleanly() -> None:
    with DemoServer() as demo:
        route = demo.route
        url = f"http://{demo.address}/"
        with httpx.Client(mounts=route_mounts(route, sync=True)) as http:
            assert http.get(demo.base_url + "/").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=1.0)


def test_urls_name_the_fake_host_whatever_the_port(server: DemoServer) -> None:
    assert server.base_url == DEMO_ORIGIN == "http://demo.diplowatch.invalid"
    with DemoServer() as other:
        assert other.address != server.address  # both serve at once, each on its own port
        assert other.feeds() == server.feeds() and other.articles() == server.articles()
        assert set(other.route) == set(server.route) == {"demo.diplowatch.invalid"}


def test_the_fake_host_keeps_its_name_on_the_wire(server: DemoServer) -> None:
    """The request reaches the loopback port with `Host: demo.diplowatch.invalid`, and the
    response's URL (the base of relative links, the stored final URL) is the fake one."""
    url = server.articles()[0]["url"]
    with httpx.Client(mounts=route_mounts(server.route, sync=True)) as http:
        response = http.get(url)
    assert response.status_code == 200
    assert str(response.url) == url
    assert response.request.headers["Host"] == "demo.diplowatch.invalid"
    assert f'<link rel="canonical" href="{url}">' in response.text


def test_other_hosts_are_not_routed(server: DemoServer) -> None:
    mounts = route_mounts(server.route, sync=True)
    assert list(mounts) == ["all://demo.diplowatch.invalid"]
    assert route_mounts(None) == {} and route_mounts({}, sync=True) == {}


def test_a_taken_port_does_not_matter() -> None:
    """Whatever holds the port the demo once used (8642), or any other, a demo starts."""
    with socket.socket() as holder:
        try:
            holder.bind(("127.0.0.1", 8642))
            holder.listen()
        except OSError:
            pass  # taken already: all the better
        with DemoServer() as demo, httpx.Client(mounts=route_mounts(demo.route, sync=True)) as c:
            assert c.get(demo.base_url + "/").status_code == 200


def test_two_servers_serve_at_once() -> None:
    def fetch_all(_: int) -> list[int]:
        with DemoServer() as demo, httpx.Client(mounts=route_mounts(demo.route, sync=True)) as c:
            return [c.get(a["url"]).status_code for a in demo.articles()]

    with ThreadPoolExecutor(2) as pool:
        for codes in pool.map(fetch_all, range(2)):
            assert codes and set(codes) == {200}


# -- the demo command ----------------------------------------------------------------------------


def demo_urls(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT url FROM articles ORDER BY url").fetchall()]


@pytest.mark.slow
def test_two_demos_at_once_then_a_third_adds_nothing(
    tmp_path: Path, config_dir: Path, prefect_harness: None
) -> None:
    """Two `diplowatch demo` processes at once, each with its own file, both succeed with the
    same URLs; a demo run again into one of the files adds no row."""
    from prefect.settings import PREFECT_API_URL

    command = [str(Path(sys.executable).with_name("diplowatch")), "demo", "--config"]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}  # the session's server
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    dbs = [tmp_path / "first.duckdb", tmp_path / "second.duckdb"]
    children = [
        subprocess.Popen(
            [*command, str(config_dir), "--db", str(db)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for db in dbs
    ]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        assert "Traceback" not in err
        assert "Serving the offline sample at http://demo.diplowatch.invalid" in out
    with DemoServer() as demo:
        expected = sorted(a["url"] for a in demo.articles())
    assert demo_urls(dbs[0]) == demo_urls(dbs[1]) == expected

    again = subprocess.run(
        [*command, str(config_dir), "--db", str(dbs[0])],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "new articles: 0" in again.stdout
    assert demo_urls(dbs[0]) == expected
