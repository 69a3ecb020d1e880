"""The records that flow through the pipeline, one arrow to the next.

feed bytes -> FeedItem -> page bytes -> Article -> Flag -> Claim
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, its link already canonical."""

    url: str  # canonical URL: the key of an article everywhere
    link: str  # the link as the feed gave it
    feed: str  # id of the feed in config/feeds.toml
    outlet: str
    title: str | None = None
    published: datetime | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """What trafilatura made of one page. `text` is empty when the page yielded none."""

    url: str
    title: str | None
    text: str
    author: str | None = None
    published: date | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """The flag's decision: `score` is a probability, `relevant` is score >= threshold.

    `contributions` are (feature, weight x value) pairs: the largest positive first, then the
    largest negative; `reasons` are the strings the `analyze` contract shows, built from them.
    """

    relevant: bool
    score: float  # in [0, 1]
    reasons: list[str] = field(default_factory=list)
    contributions: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim, the fields of the `analyze` contract (DESIGN.md)."""

    speaker: str | None
    speaker_actor: str | None
    speaker_country: str | None
    kind: str
    cue: str
    addressee: str | None
    source: str | None
    content: str
    direct: bool
    sentence: str
    start: int  # character offsets of `sentence` in the article text
    end: int
    rule: str = ""  # the rule family that found it (extractors/claims/rules/)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ProcessedArticle:
    """One fetched page after cleaning, flagging and (for candidates) claim extraction.

    status: "extracted" (text found), "empty" (page fetched, no text), "failed" (fetch failed)
    """

    item: FeedItem
    status: str
    fetched_at: datetime | None = None
    http_status: int | None = None
    raw_html: bytes | None = None
    # raw_html compressed for the database (storage.blobs), made where the analysis ran so that
    # the single writer only stores it; then raw_html is dropped
    html_blob: bytes | None = None
    article: Article | None = None
    flag: Flag | None = None
    claims: list[Claim] = field(default_factory=list)
    error: str | None = None
    truncated: bool = False  # text or claims cut by a cap of [analysis] (settings.toml)
