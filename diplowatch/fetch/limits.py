"""Politeness and budgets per host: bounded concurrency, a request rate, a time budget.

No Prefect and no HTTP here: `diplowatch.fetch.http.fetch` takes a slot for every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from diplowatch.extractors.urls import host_of
from diplowatch.settings.schema import FetchSettings


class HostBudget:
    """Seconds each host may keep us busy (at least one request to it in flight) in a phase.

    One trickling server then costs its budget, not the run's: once a host has been busy for
    `seconds`, its requests in flight are cut and the rest fail at once (`HostBudgetError`).
    A limiter makes its own (a phase: the feeds, a batch, a backfill date); a flow may share
    one between limiters to make the budget run-wide.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._spent: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}
        self._since: dict[str, float] = {}

    def spent(self, host: str) -> float:
        busy = self._spent.get(host, 0.0)
        if self._in_flight.get(host):
            busy += time.monotonic() - self._since[host]
        return busy

    def remaining(self, host: str) -> float:
        """Seconds left to `host`; it keeps shrinking while a request to it is in flight."""
        if self.seconds is None:
            return float("inf")
        return self.seconds - self.spent(host)

    def enter(self, host: str) -> None:
        if not self._in_flight.get(host):
            self._since[host] = time.monotonic()
        self._in_flight[host] = self._in_flight.get(host, 0) + 1

    def leave(self, host: str) -> None:
        self._in_flight[host] -= 1
        if not self._in_flight[host]:
            elapsed = time.monotonic() - self._since.pop(host)
            self._spent[host] = self._spent.get(host, 0.0) + elapsed


class HostLimiter:
    """Bounded concurrency per host and overall, plus an optional per-host request rate.

    `rate` (requests per second per host, e.g. backfill.requests_per_second) spaces the *starts*
    of requests to one host at least 1/rate seconds apart; None means no spacing.
    The host semaphore is taken before the global one, so a request queued for a busy host
    never holds one of the global slots other hosts could use.
    """

    def __init__(
        self,
        per_host: int,
        concurrency: int,
        *,
        rate: float | None = None,
        budget: HostBudget | None = None,
    ) -> None:
        if per_host < 1 or concurrency < 1:
            raise ValueError("per_host and concurrency must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        self.per_host = per_host
        self.concurrency = concurrency
        self.rate = rate
        self.budget = budget or HostBudget(None)
        self._total = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._pace_locks: dict[str, asyncio.Lock] = {}
        self._next_start: dict[str, float] = {}

    @classmethod
    def from_settings(
        cls,
        settings: FetchSettings,
        *,
        rate: float | None = None,
        budget: HostBudget | None = None,
    ) -> HostLimiter:
        """A limiter with the settings' limits and, unless given one, its own host budget."""
        budget = budget or HostBudget(settings.host_budget_seconds)
        return cls(settings.per_host, settings.concurrency, rate=rate, budget=budget)

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
    async def slot(self, url: str) -> AsyncIterator[float]:
        """Hold one request slot for the host of `url`; yields the host's budget left (seconds).

        The budget keeps running while the block lasts: the request must end within it.
        """
        host = host_of(url)
        host_sem = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with host_sem, self._total:
            await self._pace(host)
            self.budget.enter(host)
            try:
                yield self.budget.remaining(host)
            finally:
                self.budget.leave(host)
