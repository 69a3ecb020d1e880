"""Where a past date's articles are found: archived copies of the feeds, and the sitemaps.

Per outlet of `config/feeds.toml`:

- archived copies of every enabled feed, listed by the Wayback Machine CDX API
  (`backfill.cdx_url`) and read raw (`{backfill.wayback_url}/{timestamp}id_/{feed}`): up to
  `backfill.max_snapshots` captures of that date spread over the day, plus the first capture of
  the next morning (it holds the evening's items); the items published on that date are kept,
  and the undated ones of a capture taken that date;
- the outlet's sitemaps (`[outlets."NAME"] sitemap = "..."`, a URL or a list): the index, then
  the child sitemaps that may hold the date, then the URLs published on it;
  `[outlets."NAME"] archive = false` leaves out an outlet's archived feeds.

And, for the pages gone from the live site (404, 410), their latest archived capture. All through
the run's Fetcher (flows.ingest); no Prefect here: flows.backfill wraps these in its tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from diplowatch.errors import (
    ArchiveError,
    BlockedURLError,
    DiplowatchError,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
)
from diplowatch.extractors.archive import (
    Snapshot,
    archived_url,
    cdx_query_url,
    latest_snapshot,
    parse_cdx,
    select_snapshots,
)
from diplowatch.extractors.feeds import parse_feed
from diplowatch.extractors.records import FeedItem
from diplowatch.extractors.sitemaps import (
    local_day,
    parse_sitemap,
    select_child_sitemaps,
    sitemap_items,
    url_period,
)
from diplowatch.fetch import http
from diplowatch.flows.ingest import Fetcher
from diplowatch.settings.loader import Feed
from diplowatch.settings.schema import Settings
from diplowatch.settings.sources import Sources

#: Feed id of the items found in sitemaps (the `articles.feed_id` column).
SITEMAP_FEED = "sitemap"

#: Nested sitemap indexes followed at most this deep (index -> index -> urlset).
MAX_SITEMAP_DEPTH = 3

#: Sitemaps kept in memory for the length of a backfill (the month's sitemap serves 30 dates).
SITEMAP_CACHE_SIZE = 32


# -- discovery -----------------------------------------------------------------------------------


@dataclass
class Discovery:
    """A date's items from every source, and what went wrong on the way."""

    items: list[FeedItem] = field(default_factory=list)
    snapshots: int = 0
    sitemaps: int = 0
    problems: list[str] = field(default_factory=list)  # permanent: logged, date still complete
    errors: list[str] = field(default_factory=list)  # transient: the date must be redone

    def merge(self, other: Discovery) -> None:
        self.items += other.items
        self.snapshots += other.snapshots
        self.sitemaps += other.sitemaps
        self.problems += other.problems
        self.errors += other.errors

    def failed(self, exc: DiplowatchError) -> None:
        (self.errors if is_transient(exc) else self.problems).append(str(exc))


def is_transient(exc: DiplowatchError) -> bool:
    """Whether trying again later may succeed: timeouts, refused connections, 5xx, 429.

    An unreadable CDX answer counts as transient: the archive serves error pages under load.
    """
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, BlockedURLError | ResponseTooLargeError):
        return False
    return isinstance(exc, FetchError | ArchiveError)


class SourceFetcher:
    """The run's Fetcher, the settings, and the sitemaps already read, for the discovery."""

    def __init__(self, fetcher: Fetcher, settings: Settings, cache: dict[str, bytes]) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.cache = cache

    async def get(self, url: str) -> http.FetchResult:
        return await self.fetcher.fetch(url)

    async def cached(self, url: str) -> bytes:
        if url not in self.cache:
            content = (await self.get(url)).content
            while len(self.cache) >= SITEMAP_CACHE_SIZE:
                self.cache.pop(next(iter(self.cache)))
            self.cache[url] = content
        return self.cache[url]

    async def snapshots(self, url: str, start: date | None, end: date | None) -> list[Snapshot]:
        cdx = self.settings.backfill.cdx_url
        return parse_cdx((await self.get(cdx_query_url(cdx, url, start, end))).content)


def _wanted_snapshots(snaps: list[Snapshot], day: date, most: int) -> list[Snapshot]:
    """Up to `most` captures of `day`, plus the next morning's first: late items live there."""
    chosen = select_snapshots(snaps, day, day, most)
    digests = {s.digest for s in chosen if s.digest}
    after = select_snapshots(snaps, day + timedelta(days=1), day + timedelta(days=1), len(snaps))
    if after and (after[0].digest is None or after[0].digest not in digests):
        chosen.append(after[0])
    return chosen


async def _archived_feed(
    fetcher: SourceFetcher, feed_id: str, feed: Feed, day: date, tz: tzinfo
) -> Discovery:
    found = Discovery()
    outlet = feed.outlet
    try:
        snaps = await fetcher.snapshots(feed.url, day, day + timedelta(days=1))
    except DiplowatchError as exc:
        found.failed(exc)
        return found
    wayback = fetcher.settings.backfill.wayback_url
    chosen = _wanted_snapshots(snaps, day, fetcher.settings.backfill.max_snapshots)

    async def one(snap: Snapshot) -> Discovery:
        part = Discovery()
        try:
            res = await fetcher.get(archived_url(wayback, snap.timestamp, snap.original))
            items = parse_feed(
                res.content,
                feed_id=feed_id,
                outlet=outlet,
                url=snap.original,  # links resolve against the feed, not the archive
                content_type=res.content_type,
            )
        except DiplowatchError as exc:
            part.failed(exc)
            return part
        part.snapshots = 1
        part.items = [
            item
            for item in items
            if (item.published is not None and local_day(item.published, tz) == day)
            or (item.published is None and snap.day == day)
        ]
        return part

    for part in await asyncio.gather(*(one(s) for s in chosen)):
        found.merge(part)
    return found


async def _sitemap(
    fetcher: SourceFetcher, outlet: str, url: str, day: date, tz: tzinfo, depth: int = 0
) -> Discovery:
    found = Discovery()
    try:
        sitemap = parse_sitemap(await fetcher.cached(url))
    except DiplowatchError as exc:
        found.failed(exc)
        return found
    found.sitemaps = 1
    if sitemap.kind == "urlset":
        found.items = sitemap_items(
            sitemap.urls,
            day,
            outlet=outlet,
            feed_id=SITEMAP_FEED,
            tz=tz,
            include_undated=url_period(url) == (day, day),
        )
        return found
    if depth + 1 >= MAX_SITEMAP_DEPTH:
        found.problems.append(f"{url}: sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH}")
        return found
    children = select_child_sitemaps(sitemap.sitemaps, day, day, tz)
    parts = await asyncio.gather(
        *(_sitemap(fetcher, outlet, c.loc, day, tz, depth + 1) for c in children)
    )
    for part in parts:
        found.merge(part)
    return found


async def discover(day: date, sources: Sources, fetcher: SourceFetcher) -> Discovery:
    tz = ZoneInfo(fetcher.settings.schedule.timezone)
    jobs = [_archived_feed(fetcher, fid, feed, day, tz) for fid, feed in sources.feeds.items()]
    jobs += [
        _sitemap(fetcher, outlet, url, day, tz)
        for outlet, urls in sources.sitemaps.items()
        for url in urls
    ]
    found = Discovery()
    for part in await asyncio.gather(*jobs):  # feeds first: their items carry summaries
        found.merge(part)
    return found


async def archived_copies(
    items: Sequence[FeedItem], day: date, fetcher: SourceFetcher
) -> tuple[list[FeedItem], list[str]]:
    """The items whose live page is gone, pointed at their latest capture up to day + 1."""
    until = datetime.combine(day + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    wayback = fetcher.settings.backfill.wayback_url

    async def one(item: FeedItem) -> FeedItem | str | None:
        try:
            snaps = await fetcher.snapshots(item.url, None, day + timedelta(days=1))
        except DiplowatchError as exc:
            return str(exc)
        best = latest_snapshot(snaps, until)
        if best is None:
            return None
        return replace(item, link=archived_url(wayback, best.timestamp, best.original))

    results = await asyncio.gather(*(one(item) for item in items))
    found = [r for r in results if isinstance(r, FeedItem)]
    return found, [r for r in results if isinstance(r, str)]
