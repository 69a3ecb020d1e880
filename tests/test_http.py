"""diplowatch/fetch/http.py against a real loopback HTTP server (pytest-httpserver, threaded).

Backoffs and timeouts are tiny so the whole module runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from diplowatch.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
)
from diplowatch.fetch import http
from diplowatch.fetch.http import (
    FetchRequest,
    FetchResult,
    HostLimiter,
    fetch,
    fetch_many,
    make_client,
)
from diplowatch.settings.schema import FetchSettings

T = TypeVar("T")
UA = "diplowatch-test/1.0 (+https://example.invalid/contact)"


def settings(**fetch_overrides: Any) -> FetchSettings:
    fetch_settings: dict[str, Any] = {
        "user_agent": UA,
        "timeout": 2.0,
        "connect_timeout": 2.0,
        "retries": 2,
        "backoff": 0.01,
        "max_backoff": 2.0,
        "max_bytes": 10_000,
        "max_redirects": 3,
        "per_host": 4,
        "concurrency": 8,
        "request_deadline": 6.0,
        "host_budget_seconds": 60.0,
        "max_url_length": 8192,
        "max_items_per_feed": 500,
        "allow_hosts": ["127.0.0.1"],
    }
    fetch_settings.update(fetch_overrides)
    return FetchSettings(**fetch_settings)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    """A threaded server: slow handlers and concurrency tests need parallel requests."""
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def httpserver(server: HTTPServer) -> HTTPServer:
    server.clear()
    return server


def run(coro_fn: Callable[[Any], Awaitable[T]], cfg: FetchSettings | None = None) -> T:
    """Run `coro_fn(client)` with a fresh client made from `cfg`."""
    cfg = cfg or settings()

    async def main() -> T:
        async with make_client(cfg) as client:
            return await coro_fn(client)

    return asyncio.run(main())


def get(url: str, cfg: FetchSettings | None = None, **kwargs: Any) -> FetchResult:
    cfg = cfg or settings()
    return run(
        lambda c: fetch(c, url, settings=cfg, limiter=HostLimiter.from_settings(cfg), **kwargs), cfg
    )


# --- the plain cases -------------------------------------------------------------------------


def test_200_with_headers_and_user_agent(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/feed.xml", method="GET", headers={"User-Agent": UA}
    ).respond_with_data(
        b"<rss/>",
        content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 07 Dec 2021 18:00:00 GMT"},
    )
    res = get(httpserver.url_for("/feed.xml"))
    assert res.status == 200 and not res.not_modified
    assert res.content == b"<rss/>"
    assert res.content_type == "application/rss+xml; charset=utf-8"
    assert res.etag == '"v1"'
    assert res.last_modified == "Tue, 07 Dec 2021 18:00:00 GMT"
    assert res.final_url == res.url == httpserver.url_for("/feed.xml")
    assert res.attempts == 1 and res.elapsed > 0
    httpserver.check_assertions()


def test_304_with_etag(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/feed.xml", headers={"If-None-Match": '"v1"'}
    ).respond_with_data(b"", status=304)
    res = get(httpserver.url_for("/feed.xml"), etag='"v1"')
    assert res.not_modified and res.status == 304 and res.content == b""
    assert res.etag == '"v1"'  # kept for the next run even though the 304 did not repeat it
    httpserver.check_assertions()


def test_304_with_last_modified(httpserver: HTTPServer) -> None:
    stamp = "Tue, 07 Dec 2021 18:00:00 GMT"
    httpserver.expect_oneshot_request(
        "/feed.xml", headers={"If-Modified-Since": stamp}
    ).respond_with_data(b"", status=304, headers={"Last-Modified": stamp})
    res = get(httpserver.url_for("/feed.xml"), last_modified=stamp)
    assert res.not_modified and res.last_modified == stamp and res.etag is None
    httpserver.check_assertions()


def test_500_then_200_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/flaky").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("ok")
    res = get(httpserver.url_for("/flaky"))
    assert res.content == b"ok" and res.attempts == 2
    httpserver.check_assertions()


def test_persistent_503_gives_http_status_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    url = httpserver.url_for("/down")
    with pytest.raises(HTTPStatusError) as info:
        get(url)
    assert info.value.status == 503
    assert str(info.value) == f"{url}: HTTP 503"
    assert len(httpserver.log) == 3  # 1 + fetch.retries


def test_429_with_retry_after_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/busy").respond_with_data("ok")
    started = time.monotonic()
    res = get(httpserver.url_for("/busy"))
    assert res.content == b"ok"
    assert time.monotonic() - started >= 0.95  # waited Retry-After, not the 0.01 s backoff


def test_retry_after_capped_by_max_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    httpserver.expect_ordered_request("/busy").respond_with_data("ok")
    started = time.monotonic()
    res = get(httpserver.url_for("/busy"), settings(max_backoff=0.2))
    assert res.content == b"ok"
    assert time.monotonic() - started < 2


def test_404_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    url = httpserver.url_for("/gone")
    with pytest.raises(HTTPStatusError, match=r"HTTP 404$") as info:
        get(url)
    assert str(info.value).startswith(url)
    assert len(httpserver.log) == 1


def test_timeout_after_retries(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    url = httpserver.url_for("/slow")
    with pytest.raises(FetchError) as info:
        get(url, settings(timeout=0.2, retries=1))
    assert str(info.value) == f"{url}: timed out after 2 attempts"
    assert type(info.value) is FetchError


def test_connection_refused(httpserver: HTTPServer) -> None:
    with pytest.raises(FetchError, match=r"connection failed \(ConnectError\) after 2 attempts"):
        get("http://127.0.0.1:9/", settings(retries=1))


# --- size cap --------------------------------------------------------------------------------


def test_oversize_with_content_length(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 20_000)
    url = httpserver.url_for("/big")
    with pytest.raises(ResponseTooLargeError) as info:
        get(url)
    assert str(info.value) == f"{url}: Content-Length 20000 exceeds the 10000-byte cap"


def test_oversize_streamed_without_content_length(httpserver: HTTPServer) -> None:
    sent = []

    def stream(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(1000):  # 1 MB if read to the end
                sent.append(1)
                yield b"y" * 1000

        return Response(body(), direct_passthrough=True)

    httpserver.expect_request("/chunked").respond_with_handler(stream)
    url = httpserver.url_for("/chunked")
    with pytest.raises(ResponseTooLargeError, match="body exceeds the 10000-byte cap"):
        get(url)
    # the server is shared and threaded: pick this test's own request out of its log
    responses = [resp for req, resp in httpserver.log if req.path == "/chunked"]
    assert responses and responses[0].headers.get("Content-Length") is None


def test_body_at_the_cap_is_accepted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/exact").respond_with_data(b"z" * 10_000)
    assert len(get(httpserver.url_for("/exact")).content) == 10_000


# --- redirects and schemes -------------------------------------------------------------------


def test_redirects_followed_and_final_url_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_data("here")
    res = get(httpserver.url_for("/old"))
    assert res.content == b"here" and res.final_url == httpserver.url_for("/new")


def test_redirect_chain_longer_than_cap(httpserver: HTTPServer) -> None:
    def hop(request: Request) -> Response:
        n = int(request.path.rsplit("/", 1)[1])
        return Response("", status=302, headers={"Location": f"/hop/{n + 1}"})

    for n in range(10):
        httpserver.expect_request(f"/hop/{n}").respond_with_handler(hop)
    url = httpserver.url_for("/hop/0")
    with pytest.raises(FetchError) as info:
        get(url)
    assert str(info.value) == f"{url}: more than 3 redirects"


def test_redirect_to_file_scheme_blocked(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/evil").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(BlockedURLError, match="redirected to file:///etc/passwd: scheme 'file'"):
        get(httpserver.url_for("/evil"))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example.org/feed.xml",
        "data:text/plain,x",
        "http:///nohost",
        "/relative",
    ],
)
def test_blocked_schemes(url: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        get(url)
    assert str(info.value).startswith(f"{url}: ")
    assert "\n" not in str(info.value)


# --- Retry-After parsing ---------------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2025, 2, 10, 12, 0, 0, tzinfo=UTC)
    assert http.parse_retry_after("120") == 120.0
    assert (
        http.parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now)
        == 30.0
    )
    assert (
        http.parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now)
        == 0.0
    )
    assert http.parse_retry_after("soon") is None
    assert http.parse_retry_after(None) is None


def test_http_date_retry_after_honoured(httpserver: HTTPServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    httpserver.expect_ordered_request("/date").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    httpserver.expect_ordered_request("/date").respond_with_data("ok")
    started = time.monotonic()
    assert get(httpserver.url_for("/date")).content == b"ok"
    assert time.monotonic() - started >= 0.5  # HTTP dates have 1 s resolution


# --- limits and fetch_many -------------------------------------------------------------------


class InFlight:
    """Counts requests in flight in the (threaded) server, per Host header and overall."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total = 0
        self.peak_total = 0
        self.starts: list[float] = []

    def __call__(self, request: Request) -> Response:
        host = request.host.split(":")[0]
        with self.lock:
            self.now[host] = self.now.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
            self.total += 1
            self.peak_total = max(self.peak_total, self.total)
            self.starts.append(time.monotonic())
        time.sleep(self.delay)
        with self.lock:
            self.now[host] -= 1
            self.total -= 1
        return Response(request.path)


def test_per_host_and_total_concurrency_never_exceeded(httpserver: HTTPServer) -> None:
    counter = InFlight(delay=0.15)
    httpserver.expect_request("/page").respond_with_handler(counter)
    port = httpserver.port
    urls = [f"http://127.0.0.1:{port}/page?n={i}" for i in range(8)]
    urls += [f"http://localhost:{port}/page?n={i}" for i in range(8)]
    cfg = settings(per_host=2, concurrency=3, allow_hosts=["127.0.0.1", "localhost"])
    limiter = HostLimiter.from_settings(cfg)
    results = run(lambda c: fetch_many(c, urls, settings=cfg, limiter=limiter), cfg)
    assert all(isinstance(r, FetchResult) for r in results)
    assert counter.peak["127.0.0.1"] == 2
    assert counter.peak.get("localhost", 0) <= 2
    assert counter.peak_total <= 3


def test_rate_spaces_requests_to_one_host(httpserver: HTTPServer) -> None:
    counter = InFlight(delay=0.0)
    httpserver.expect_request("/page").respond_with_handler(counter)
    urls = [httpserver.url_for(f"/page?n={i}") for i in range(4)]
    cfg = settings()
    limiter = HostLimiter(4, 8, rate=10.0)  # at most one start every 0.1 s per host
    run(lambda c: fetch_many(c, urls, settings=cfg, limiter=limiter), cfg)
    gaps = [b - a for a, b in zip(counter.starts, counter.starts[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.08


def test_fetch_many_keeps_order_and_isolates_failures(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("A")
    httpserver.expect_request("/missing").respond_with_data("", status=404)
    httpserver.expect_request("/b", headers={"If-None-Match": '"e"'}).respond_with_data(
        "", status=304
    )
    requests: list[str | FetchRequest] = [
        httpserver.url_for("/a"),
        httpserver.url_for("/missing"),
        "ftp://example.org/x",
        FetchRequest(httpserver.url_for("/b"), etag='"e"'),
    ]
    cfg = settings()
    results = run(
        lambda c: fetch_many(c, requests, settings=cfg, limiter=HostLimiter.from_settings(cfg)), cfg
    )
    assert isinstance(results[0], FetchResult) and results[0].content == b"A"
    assert isinstance(results[1], HTTPStatusError) and results[1].status == 404
    assert isinstance(results[2], BlockedURLError)
    assert isinstance(results[3], FetchResult) and results[3].not_modified


def test_limiter_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        HostLimiter(0, 4)
    with pytest.raises(ValueError):
        HostLimiter(1, 4, rate=0)


def test_make_client_uses_settings() -> None:
    cfg = settings(timeout=7.0, connect_timeout=3.0, max_redirects=4)

    async def check() -> None:
        async with make_client(cfg) as client:
            assert client.headers["User-Agent"] == UA
            assert client.timeout.read == 7.0 and client.timeout.connect == 3.0
            # redirects are followed by fetch, hop by hop, each hop checked
            assert not client.follow_redirects
            assert client.headers["Accept-Encoding"] == "gzip, deflate"

    asyncio.run(check())
