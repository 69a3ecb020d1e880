"""The offline demo sample as data: its articles and feeds, read from `sample/`.

The sample in `diplowatch/demo/sample/` is ours: invented dispatches in the style of French news
(`articles.toml`) and the feeds that list them (`feeds.toml`). `pages.py` renders them, `server.py`
serves them.
"""

from __future__ import annotations

import tomllib
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

DEFAULT_SAMPLE_DIR: Traversable = files("diplowatch.demo") / "sample"
SITE_NAME = "Le Journal démo"


@dataclass(frozen=True)
class SampleArticle:
    """One article of the sample, as written in `articles.toml`."""

    slug: str
    feeds: tuple[str, ...]
    section: str
    title: str
    author: str
    published: datetime
    paragraphs: tuple[str, ...]
    diplomacy: bool
    summary: str = ""

    @property
    def id(self) -> int:
        """A stable numeric identifier derived from the slug, as outlets put in their URLs."""
        return 6_000_000 + zlib.crc32(self.slug.encode()) % 1_000_000

    @property
    def path(self) -> str:
        """The canonical path of the page, e.g. `/international/2021/12/07/<slug>_6123456.html`."""
        return f"/{self.section}/{self.published:%Y/%m/%d}/{self.slug}_{self.id}.html"


@dataclass(frozen=True)
class SampleFeed:
    """One feed of the sample, as written in `feeds.toml`."""

    id: str
    title: str
    description: str
    outlet: str
    section: str
    format: str  # "rss" or "atom"
    tracking: str = ""  # query string added to the links of every other item
    articles: tuple[SampleArticle, ...] = field(default=())


def _read_toml(path: Traversable) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_sample(sample_dir: Traversable) -> tuple[list[SampleArticle], dict[str, SampleFeed]]:
    """Read `articles.toml` and `feeds.toml`; check that every listed feed exists."""
    raw_articles = _read_toml(sample_dir / "articles.toml").get("articles", [])
    raw_feeds = _read_toml(sample_dir / "feeds.toml").get("feeds", {})
    articles = [
        SampleArticle(
            slug=a["slug"],
            feeds=tuple(a["feeds"]),
            section=a["section"],
            title=a["title"],
            author=a["author"],
            published=datetime.fromisoformat(a["published"]),
            paragraphs=tuple(a["paragraphs"]),
            diplomacy=bool(a["diplomacy"]),
            summary=a.get("summary", ""),
        )
        for a in raw_articles
    ]
    slugs = [a.slug for a in articles]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"{sample_dir}/articles.toml: duplicate slugs")
    feeds: dict[str, SampleFeed] = {}
    for feed_id, f in raw_feeds.items():
        listed = sorted(
            (a for a in articles if feed_id in a.feeds), key=lambda a: a.published, reverse=True
        )
        feeds[feed_id] = SampleFeed(
            id=feed_id,
            title=f["title"],
            description=f.get("description", f["title"]),
            outlet=f.get("outlet", SITE_NAME),
            section=f.get("section", ""),
            format=f.get("format", "rss"),
            tracking=f.get("tracking", ""),
            articles=tuple(listed),
        )
    unknown = {fid for a in articles for fid in a.feeds} - set(feeds)
    if unknown:
        raise ValueError(f"{sample_dir}/articles.toml: unknown feeds {sorted(unknown)}")
    return articles, feeds


__all__ = [
    "DEFAULT_SAMPLE_DIR",
    "SITE_NAME",
    "SampleArticle",
    "SampleFeed",
    "load_sample",
]
