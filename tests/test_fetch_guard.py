"""Where and how much we fetch: fetch/netguard.py, fetch/bodies.py, the budget in fetch/limits.py.

Against real loopback servers (tests/hostile/server.py); the only thing faked is a DNS answer, for
the rebinding test. Figures (seconds, bytes) are printed; only memory is asserted on.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import anyio
import httpcore
import pytest

from diplowatch.errors import (
    BlockedURLError,
    FetchError,
    HostBudgetError,
    InternalAddressError,
    ResponseTooLargeError,
)
from diplowatch.fetch import netguard
from diplowatch.fetch.http import FetchResult, HostLimiter, fetch, fetch_many, make_client
from diplowatch.fetch.netguard import GuardedBackend, check_url, literal_address, non_public_kind
from diplowatch.settings.schema import FetchSettings
from tests.hostile.server import (
    HostileServer,
    InternalServers,
    answer,
    gzip_bomb,
    gzip_bomb_answer,
    redirect,
    trickle,
)
from tests.test_http import settings

PAGE = b"<html><body><p>Bonjour</p></body></html>"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, InternalServers]]:
    with InternalServers() as internal, HostileServer() as hostile:
        yield hostile, internal


def get(url: str, cfg: FetchSettings, limiter: HostLimiter | None = None) -> FetchResult:
    async def main() -> FetchResult:
        async with make_client(cfg) as client:
            return await fetch(client, url, settings=cfg, limiter=limiter)

    return asyncio.run(main())


# -- addresses -----------------------------------------------------------------------------------

SPELLINGS = [
    ("127.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ("::1", "::1"),
    ("0.0.0.0", "0.0.0.0"),
]


@pytest.mark.parametrize(("host", "address"), SPELLINGS)
def test_every_spelling_of_an_address_is_read(host: str, address: str) -> None:
    assert str(literal_address(host)) == address
    parsed = literal_address(host)
    assert parsed is not None and non_public_kind(parsed) is not None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.2", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT: not global
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
    ],
)
def test_non_public_kinds(address: str, kind: str | None) -> None:
    parsed = literal_address(address)
    assert parsed is not None and non_public_kind(parsed) == kind


def test_allow_list_is_the_host_as_written() -> None:
    allow = ["127.0.0.1"]
    assert check_url("http://127.0.0.1:8080/x", allow_hosts=allow, max_length=100).host
    for url in ("http://127.1/", "http://2130706433/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(InternalAddressError):
            check_url(url, allow_hosts=allow, max_length=100)
    # names are checked after resolution, by the transport
    assert check_url("http://localhost/", allow_hosts=allow, max_length=100).host == "localhost"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.org:70000/", "port 70000 is out of range"),
        ("http://example.org:99999999999999999999/", "out of range"),
        ("http://[::1/", "not a valid URL"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("data:text/html,x", "scheme 'data'"),
        ("http://example.org/" + "a" * 70_000, "URL longer than 8192 characters"),
    ],
)
def test_unusable_urls_are_one_short_line(url: str, reason: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        get(url, settings())
    message = str(info.value)
    assert reason in message and "\n" not in message and len(message) < 400


def test_names_resolving_inside_are_refused(servers: tuple[HostileServer, InternalServers]) -> None:
    _, internal = servers
    port = internal.ports["127.0.0.1"]
    with pytest.raises(InternalAddressError, match="localhost resolves to loopback address"):
        get(f"http://localhost:{port}/secret", settings(retries=0))
    assert internal.hits == []
    # let through by name when asked
    res = get(f"http://localhost:{port}/secret", settings(allow_hosts=["localhost"]))
    assert res.status == 200 and internal.hits == ["/secret"]
    internal.hits.clear()


def test_redirect_hops_inside_are_refused(servers: tuple[HostileServer, InternalServers]) -> None:
    hostile, internal = servers
    targets = [
        f"http://127.0.0.2:{internal.ports['127.0.0.2']}/secret",
        f"http://localhost:{internal.ports['127.0.0.1']}/secret",
        f"http://0x7f000001:{internal.ports['127.0.0.1']}/secret",
    ]
    for n, target in enumerate(targets):
        url = hostile.route(f"/guard-hop/{n}", redirect(target))
        with pytest.raises(InternalAddressError) as info:
            get(url, settings(retries=0))
        assert str(info.value).startswith(f"{url}: redirected to {target}: ")
    assert internal.hits == []


def test_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No second resolution (DNS rebinding): the backend dials the address it just checked."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding resolver's two answers
    dialled: list[str] = []

    async def resolver(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", (a, port)) for a in next(answers)]

    async def dial(self: Any, host: str, port: int, *args: Any) -> Any:
        dialled.append(host)
        raise httpcore.ConnectError("test: no network")

    monkeypatch.setattr(anyio, "getaddrinfo", resolver)  # what netguard resolves with
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", dial)
    backend = GuardedBackend([])
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(backend.connect_tcp("rebind.example", 80))
    assert dialled == ["93.184.216.34"]
    with pytest.raises(netguard.RefusedAddress, match=r"loopback address 127\.0\.0\.1"):
        asyncio.run(backend.connect_tcp("rebind.example", 80))
    assert dialled == ["93.184.216.34"]


# -- bodies ----------------------------------------------------------------------------------------


def test_gzip_bomb_costs_the_cap_not_its_expansion(
    servers: tuple[HostileServer, InternalServers],
) -> None:
    hostile, _ = servers
    url = hostile.route("/guard-bomb", gzip_bomb_answer)
    cap = 2_000_000
    gzip_bomb()  # built before measuring
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(ResponseTooLargeError, match="decompressed body exceeds"):
            get(url, settings(max_bytes=cap, retries=0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(
        f"\ngzip bomb of {len(gzip_bomb())} bytes refused in {time.perf_counter() - started:.2f} s,"
        f" peak traced memory {peak / 1e6:.1f} MB for a {cap / 1e6:.0f} MB cap"
    )
    assert peak < 4 * cap  # before: the whole 64 KB chunk's expansion, about 64 MB at once


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(PAGE)),
        ("deflate", zlib.compress(PAGE)),
        ("deflate", zlib.compress(PAGE)[2:-4]),  # raw DEFLATE, as some servers send it
        ("gzip, gzip", gzip.compress(gzip.compress(PAGE))),
        ("br", PAGE),  # not asked for, passed through as httpx does
    ],
)
def test_honest_encodings_decode(
    servers: tuple[HostileServer, InternalServers], encoding: str, body: bytes
) -> None:
    hostile, _ = servers
    path = f"/guard-enc/{encoding.replace(', ', '+')}/{len(body)}"
    url = hostile.route(path, answer(body, headers={"Content-Encoding": encoding}))
    assert get(url, settings()).content == PAGE


def test_corrupt_gzip_is_the_urls_error(servers: tuple[HostileServer, InternalServers]) -> None:
    hostile, _ = servers
    url = hostile.route(
        "/guard-corrupt", answer(b"\x1f\x8b\x08garbage", headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(FetchError, match="body is not valid gzip"):
        get(url, settings(retries=0))


# -- time ------------------------------------------------------------------------------------------


def test_request_deadline_cuts_a_trickle(servers: tuple[HostileServer, InternalServers]) -> None:
    hostile, _ = servers
    url = hostile.route("/guard-trickle", trickle(0.1))
    started = time.perf_counter()
    with pytest.raises(FetchError, match="timed out after 1 attempts"):
        get(url, settings(request_deadline=0.5, retries=0))
    print(f"\na trickle cut by its 0.5 s deadline after {time.perf_counter() - started:.2f} s")


def test_host_budget_spends_the_slow_hosts_time_only(
    servers: tuple[HostileServer, InternalServers],
) -> None:
    hostile, _ = servers
    slow = [hostile.route(f"/guard-slow/{n}", trickle(0.1)) for n in range(8)]
    quick = hostile.route("/guard-quick", answer(PAGE)).replace("127.0.0.1", "localhost")
    cfg = settings(
        request_deadline=5.0,
        host_budget_seconds=1.0,
        per_host=2,
        retries=0,
        allow_hosts=["127.0.0.1", "localhost"],
    )

    async def main() -> list[FetchResult | Exception]:
        async with make_client(cfg) as client:
            limiter = HostLimiter.from_settings(cfg)
            return await fetch_many(client, [*slow, quick], settings=cfg, limiter=limiter)

    started = time.perf_counter()
    results = asyncio.run(main())
    print(
        f"\n8 trickling pages at 2 a time, 5 s deadline each, 1 s host budget: "
        f"{time.perf_counter() - started:.2f} s"
    )
    assert all(isinstance(r, HostBudgetError) for r in results[:-1])
    assert "host 127.0.0.1 has used its time budget" in str(results[0])
    assert isinstance(results[-1], FetchResult) and results[-1].content == PAGE
