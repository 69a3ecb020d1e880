"""What a backfill reads, chosen from the configuration alone (no Prefect, no network).

Kept apart from the backfill flow so the CLI can check a user's `--outlet` before any flow starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diplowatch.errors import ConfigError
from diplowatch.settings.loader import Config, Feed


@dataclass(frozen=True)
class Sources:
    """What a backfill reads: feeds to look up in the archive, sitemaps per outlet."""

    feeds: dict[str, Feed]
    sitemaps: dict[str, list[str]]

    def __bool__(self) -> bool:
        return bool(self.feeds or self.sitemaps)


def backfill_sources(cfg: Config, outlets: Sequence[str] | None = None) -> Sources:
    """The enabled feeds and the sitemaps of the chosen outlets (all when `outlets` is None).

    Outlet names compare without case; a name no feed or outlet table knows is a ConfigError
    listing the known ones, since a typo would otherwise backfill nothing, silently.
    """
    feeds = cfg.enabled_feeds()
    known = {f.outlet for f in feeds.values()} | set(cfg.outlets)
    wanted: set[str] | None = None
    if outlets:
        by_fold = {name.casefold(): name for name in known}
        missing = [name for name in outlets if name.casefold() not in by_fold]
        if missing:
            raise ConfigError(
                f"backfill: unknown outlet {', '.join(map(repr, missing))} "
                f"(known: {', '.join(sorted(known))})"
            )
        wanted = {by_fold[name.casefold()] for name in outlets}

    def chosen(outlet: str) -> bool:
        return wanted is None or outlet in wanted

    archived = {
        fid: feed
        for fid, feed in feeds.items()
        if chosen(feed.outlet)
        and (feed.outlet not in cfg.outlets or cfg.outlets[feed.outlet].archive)
    }
    sitemaps = {
        name: list(outlet.sitemaps)
        for name, outlet in cfg.outlets.items()
        if chosen(name) and outlet.sitemaps
    }
    sources = Sources(archived, sitemaps)
    if not sources:
        raise ConfigError("backfill: no enabled feed and no sitemap for the chosen outlets")
    return sources
