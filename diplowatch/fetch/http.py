"""All of diplowatch's HTTP: one shared client, polite limits, bounded retries, capped bodies.

No Prefect here: the flows wrap these coroutines in their tasks. Every failure is a `FetchError`
(see extractors/errors.py) whose message is one line naming the URL, so a flow can log it and
move on; `fetch_many` turns them into per-URL results so one bad URL never sinks a batch.

Politeness, because we hit the same few news sites every day: one identifying User-Agent,
conditional GETs (a feed that has not changed costs the site a 304), bounded concurrency per host
and overall, an optional minimum interval between requests to one host (backfills hammer one
archive), and backoff that honours Retry-After.

Safety, because the URLs come from outside: every URL and every redirect hop is checked
(`netguard.check_url`), the one transport connects only to public addresses after resolving them
itself (`netguard.GuardedBackend`), redirects are followed here, hop by hop, rather than by httpx,
bodies are decompressed under the size cap (`bodies.read_body`), one attempt has an overall
deadline and each host a time budget per phase, so a trickling server costs its own budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from diplowatch.errors import (
    BlockedURLError,
    FetchError,
    HostBudgetError,
    HTTPStatusError,
    InternalAddressError,
    ResponseTooLargeError,
)
from diplowatch.extractors.urls import host_of
from diplowatch.fetch.bodies import ACCEPT_ENCODING, read_body
from diplowatch.fetch.limits import HostBudget, HostLimiter
from diplowatch.fetch.netguard import (
    ALLOWED_SCHEMES,
    GuardedTransport,
    RefusedAddress,
    check_url,
    shown,
)
from diplowatch.settings.schema import FetchSettings

__all__ = [
    "ALLOWED_SCHEMES",
    "FetchRequest",
    "FetchResult",
    "HostBudget",
    "HostLimiter",
    "check_url",
    "fetch",
    "fetch_many",
    "make_client",
    "parse_retry_after",
]

RETRY_STATUSES = frozenset({429, *range(500, 600)})  # too many requests, any server error
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# httpx parses a redirect's Location even when it does not follow it, and a hostile one
# (`mailto:`, 70,000 characters, `http://[zz`) then raises from inside the request; the client
# moves it aside as soon as the response arrives, for `fetch` to check it itself.
LOCATION = "x-diplowatch-location"


async def _set_location_aside(response: httpx.Response) -> None:
    if "location" in response.headers:
        response.headers[LOCATION] = response.headers["location"]
        del response.headers["location"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful fetch (2xx with its body, or 304 with none)."""

    url: str  # as requested
    final_url: str  # after redirects: the base for relative links in the body
    status: int
    content: bytes
    content_type: str | None
    etag: str | None  # the validators to store for the next conditional GET; on a 304 the
    last_modified: str | None  # server's if it repeated them, else the ones we sent
    not_modified: bool
    elapsed: float  # seconds, all attempts and waits included
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One URL to fetch, with the validators stored from its last fetch (feeds)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class _Retryable:
    """A 5xx/429 answer: worth another attempt, after Retry-After if the server gave one."""

    status: int
    retry_after: float | None


def make_client(
    settings: FetchSettings, *, mounts: dict[str, httpx.AsyncBaseTransport] | None = None
) -> httpx.AsyncClient:
    """The one client of a run: timeouts, User-Agent, pool size from settings; guarded transport.

    Use it as `async with make_client(settings) as client:` so connections are closed.
    `mounts` diverts some hosts to other transports (the offline demo's loopback route: a
    route is set in code, never by a feed, so its hosts go where it says). Redirects are not
    followed by httpx but by `fetch`, which checks every hop. Proxies from the environment are
    not used: through a proxy we could not check where a connection goes.
    """
    timeout = settings.timeout
    limits = httpx.Limits(
        max_connections=settings.concurrency,
        max_keepalive_connections=settings.concurrency,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=settings.connect_timeout),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,
        max_redirects=settings.max_redirects,
        transport=GuardedTransport(settings.allow_hosts, limits),
        mounts=mounts,
        trust_env=False,
        event_hooks={"response": [_set_location_aside]},
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _backoff(settings: FetchSettings, attempt: int, retry_after: float | None) -> float:
    """The wait before attempt `attempt + 1`: Retry-After if given, else exponential; capped."""
    cap = settings.max_backoff
    if retry_after is not None:
        return min(retry_after, cap)
    return min(settings.backoff * 2.0 ** (attempt - 1), cap)


@dataclass(frozen=True, slots=True)
class _Answer:
    response: httpx.Response
    final_url: str
    body: bytes


def _hop(url: str, current: str, location: str, settings: FetchSettings) -> str:
    """The next URL of a redirect, checked like the first; errors name the URL we were asked."""
    try:
        target = urljoin(current, location.strip())
    except ValueError:
        raise BlockedURLError(
            shown(url), f"redirected to an invalid location {shown(location)!r}"
        ) from None
    try:
        check_url(target, allow_hosts=settings.allow_hosts, max_length=settings.max_url_length)
    except BlockedURLError as exc:
        raise type(exc)(shown(url), f"redirected to {exc}") from None
    return target


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    settings: FetchSettings,
) -> _Answer | _Retryable:
    """One GET, redirects followed hop by hop: the final answer, or a retryable status."""
    current = url
    for _ in range(settings.max_redirects + 1):
        try:
            async with client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                location = response.headers.get(LOCATION)
                if status in REDIRECT_STATUSES and location is not None:
                    current = _hop(url, current, location, settings)
                    continue
                if status in RETRY_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    return _Retryable(status, retry_after)
                if status == 304:
                    return _Answer(response, current, b"")
                if not 200 <= status < 300:
                    raise HTTPStatusError(url, status)
                declared = response.headers.get("content-length", "")
                max_bytes = settings.max_bytes
                if declared.isdigit() and int(declared) > max_bytes:
                    raise ResponseTooLargeError(
                        url, f"Content-Length {int(declared)} exceeds the {max_bytes}-byte cap"
                    )
                return _Answer(response, current, await read_body(response, url, max_bytes))
        except RefusedAddress as exc:
            via = "" if current == url else f"redirected to {shown(current)}: "
            raise InternalAddressError(shown(url), f"{via}{exc}") from None
    raise FetchError(url, f"more than {settings.max_redirects} redirects")


async def _bounded_attempt(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    settings: FetchSettings,
    limiter: HostLimiter | None,
) -> _Answer | _Retryable:
    """One attempt in a limiter slot, within fetch.request_deadline and the host's budget."""
    async with limiter.slot(url) if limiter else _unlimited() as budget_left:
        if budget_left <= 0:
            raise HostBudgetError(url, f"host {host_of(url)} has used its time budget")
        limit = min(settings.request_deadline, budget_left)
        try:
            async with asyncio.timeout(limit):
                return await _attempt(client, url, headers, settings)
        except TimeoutError:
            if budget_left < settings.request_deadline:
                raise HostBudgetError(
                    url, f"host {host_of(url)} has used its time budget (cut after {limit:.1f} s)"
                ) from None
            raise


@contextlib.asynccontextmanager
async def _unlimited() -> AsyncIterator[float]:
    yield float("inf")


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: FetchSettings,
    limiter: HostLimiter | None,
) -> FetchResult:
    """GET `url` politely and safely; see the module docstring. Raises a FetchError subclass.

    Retried (fetch.retries extra attempts, backoff doubling from fetch.backoff, Retry-After
    honoured, each wait capped by fetch.max_backoff): timeouts, connection errors, 5xx, 429.
    Not retried: other 4xx, oversize bodies, too many redirects, blocked URLs and addresses,
    a spent host budget. Nothing else escapes: an unusable URL is that URL's BlockedURLError.
    """
    check_url(url, allow_hosts=settings.allow_hosts, max_length=settings.max_url_length)
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    attempts = settings.retries + 1
    started = time.monotonic()
    failure = "no attempt made"
    last_status: int | None = None
    for attempt in range(1, attempts + 1):
        retry_after: float | None = None
        try:
            outcome = await _bounded_attempt(client, url, headers, settings, limiter)
        except (httpx.TimeoutException, TimeoutError):
            failure, last_status = "timeout", None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, OverflowError, UnicodeError) as exc:
            # check_url should have caught it first; whatever slips through is still this URL's
            raise BlockedURLError(
                shown(url), f"not a URL we can fetch ({shown(str(exc), 80)})"
            ) from None
        except httpx.TransportError as exc:  # connection refused/reset, DNS, protocol errors
            failure, last_status = f"connection failed ({type(exc).__name__})", None
        else:
            if isinstance(outcome, _Retryable):
                failure, last_status = f"HTTP {outcome.status}", outcome.status
                retry_after = outcome.retry_after
            else:
                return _result(url, outcome, etag, last_modified, started, attempt)
        if attempt < attempts:
            await asyncio.sleep(_backoff(settings, attempt, retry_after))
    if last_status is not None:
        raise HTTPStatusError(url, last_status)
    if failure == "timeout":
        raise FetchError(url, f"timed out after {attempts} attempts")
    raise FetchError(url, f"{failure} after {attempts} attempts")


def _result(
    url: str,
    answer: _Answer,
    etag: str | None,
    last_modified: str | None,
    started: float,
    attempt: int,
) -> FetchResult:
    response = answer.response
    not_modified = response.status_code == 304
    return FetchResult(
        url=url,
        final_url=answer.final_url,
        status=response.status_code,
        content=answer.body,
        content_type=response.headers.get("content-type"),
        etag=response.headers.get("etag") or (etag if not_modified else None),
        last_modified=response.headers.get("last-modified")
        or (last_modified if not_modified else None),
        not_modified=not_modified,
        elapsed=time.monotonic() - started,
        attempts=attempt,
    )


async def fetch_many(
    client: httpx.AsyncClient,
    requests: Sequence[str | FetchRequest],
    *,
    settings: FetchSettings,
    limiter: HostLimiter,
) -> list[FetchResult | Exception]:
    """Fetch every request concurrently under `limiter`; one result per request, input order.

    A failed URL yields its exception in its slot (a FetchError, or any other Exception from a
    bug) instead of raising, so one bad URL never sinks the others. Cancellation still propagates.
    """

    async def one(request: str | FetchRequest) -> FetchResult | Exception:
        req = FetchRequest(request) if isinstance(request, str) else request
        try:
            return await fetch(
                client,
                req.url,
                etag=req.etag,
                last_modified=req.last_modified,
                settings=settings,
                limiter=limiter,
            )
        except Exception as exc:  # the contract: a per-URL outcome, never a sunk batch
            return exc

    return list(await asyncio.gather(*(one(r) for r in requests)))
