"""All of diplowatch's HTTP: one shared client, polite limits, bounded retries, capped bodies.

No Prefect here: the flows wrap these coroutines in their tasks. Every failure is a `FetchError`
(see extractors/errors.py) whose message is one line naming the URL, so a flow can log it and
move on; `fetch_many` turns them into per-URL results so one bad URL never sinks a batch.

Politeness, because we hit the same few news sites every day: one identifying User-Agent,
conditional GETs (a feed that has not changed costs the site a 304), bounded concurrency per host
and overall, an optional minimum interval between requests to one host (backfills hammer one
archive), and backoff that honours Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from diplowatch.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
)
from diplowatch.extractors.urls import host_of
from diplowatch.flows.settings import FetchSettings

ALLOWED_SCHEMES = frozenset({"http", "https"})
RETRY_STATUSES = frozenset({429, *range(500, 600)})  # too many requests, any server error

# A whole attempt (connect, headers, body) may last at most this many read timeouts on top of
# the connect timeout: httpx's timeouts are per phase, and a server trickling one byte at a time
# would otherwise never time out.
ATTEMPT_DEADLINE_FACTOR = 3


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
    """The one client of a run: timeouts, User-Agent, redirect cap and pool size from settings.

    Use it as `async with make_client(settings) as client:` so connections are closed.
    `mounts` diverts some hosts to other transports (the offline demo's loopback route).
    """
    timeout = settings.timeout
    concurrency = settings.concurrency
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=settings.connect_timeout),
        headers={"User-Agent": settings.user_agent},
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        limits=httpx.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
        ),
        mounts=mounts,
    )


class HostLimiter:
    """Bounded concurrency per host and overall, plus an optional per-host request rate.

    `rate` (requests per second per host, e.g. backfill.requests_per_second) spaces the *starts*
    of requests to one host at least 1/rate seconds apart; None means no spacing.
    The host semaphore is taken before the global one, so a request queued for a busy host
    never holds one of the global slots other hosts could use.
    """

    def __init__(self, per_host: int, concurrency: int, *, rate: float | None = None) -> None:
        if per_host < 1 or concurrency < 1:
            raise ValueError("per_host and concurrency must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        self.per_host = per_host
        self.concurrency = concurrency
        self.rate = rate
        self._total = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._pace_locks: dict[str, asyncio.Lock] = {}
        self._next_start: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: FetchSettings, *, rate: float | None = None) -> HostLimiter:
        return cls(settings.per_host, settings.concurrency, rate=rate)

    async def _pace(self, host: str) -> None:
        if self.rate is None:
            return
        lock = self._pace_locks.setdefault(host, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + 1.0 / self.rate
        if start > now:
            await asyncio.sleep(start - now)

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one request slot for the host of `url` for the duration of the block."""
        host = host_of(url)
        host_sem = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with host_sem, self._total:
            await self._pace(host)
            yield


def check_url(url: str) -> None:
    """Raise BlockedURLError unless `url` is http(s) with a host: no file://, ftp://, data:."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise BlockedURLError(url, "not a valid URL") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedURLError(
            url, f"scheme {parts.scheme or '(none)'!r} not allowed, only http/https"
        )
    if not parts.hostname:
        raise BlockedURLError(url, "no host")


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


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
) -> tuple[httpx.Response, bytes] | _Retryable:
    """One GET: the response and its body (read under the cap), or a retryable status."""
    async with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status in RETRY_STATUSES:
            return _Retryable(status, parse_retry_after(response.headers.get("retry-after")))
        if status == 304:
            return response, b""
        if not 200 <= status < 300:
            raise HTTPStatusError(url, status)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLargeError(
                url, f"Content-Length {int(declared)} exceeds the {max_bytes}-byte cap"
            )
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLargeError(url, f"body exceeds the {max_bytes}-byte cap")
        return response, bytes(body)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: FetchSettings,
    limiter: HostLimiter | None,
) -> FetchResult:
    """GET `url` politely; see the module docstring. Raises a FetchError subclass on failure.

    Retried (fetch.retries extra attempts, backoff doubling from fetch.backoff, Retry-After
    honoured, each wait capped by fetch.max_backoff): timeouts, connection errors, 5xx, 429.
    Not retried: other 4xx, oversize bodies, too many redirects, blocked schemes.
    """
    check_url(url)
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    attempts = settings.retries + 1
    max_bytes = settings.max_bytes
    deadline = settings.connect_timeout + ATTEMPT_DEADLINE_FACTOR * settings.timeout
    started = time.monotonic()
    failure = "no attempt made"
    last_status: int | None = None
    for attempt in range(1, attempts + 1):
        retry_after: float | None = None
        try:
            async with limiter.slot(url) if limiter else contextlib.nullcontext():
                async with asyncio.timeout(deadline):
                    outcome = await _attempt(client, url, headers, max_bytes)
        except (httpx.TimeoutException, TimeoutError):
            failure, last_status = "timeout", None
        except httpx.UnsupportedProtocol as exc:  # a redirect to ftp:, file:, ...
            raise BlockedURLError(url, f"redirected to a non-http(s) URL ({exc})") from None
        except httpx.TooManyRedirects:
            cap = settings.max_redirects
            raise FetchError(url, f"more than {cap} redirects") from None
        except httpx.TransportError as exc:  # connection refused/reset, DNS, protocol errors
            failure, last_status = f"connection failed ({type(exc).__name__})", None
        else:
            if isinstance(outcome, _Retryable):
                failure, last_status = f"HTTP {outcome.status}", outcome.status
                retry_after = outcome.retry_after
            else:
                response, body = outcome
                not_modified = response.status_code == 304
                return FetchResult(
                    url=url,
                    final_url=str(response.url),
                    status=response.status_code,
                    content=body,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag") or (etag if not_modified else None),
                    last_modified=response.headers.get("last-modified")
                    or (last_modified if not_modified else None),
                    not_modified=not_modified,
                    elapsed=time.monotonic() - started,
                    attempts=attempt,
                )
        if attempt < attempts:
            await asyncio.sleep(_backoff(settings, attempt, retry_after))
    if last_status is not None:
        raise HTTPStatusError(url, last_status)
    if failure == "timeout":
        raise FetchError(url, f"timed out after {attempts} attempts")
    raise FetchError(url, f"{failure} after {attempts} attempts")


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
