"""Feed bytes -> FeedItems: feedparser on bytes we already fetched, never on a URL.

Real French feeds are messy (see `../shared/corpus/feeds`): no charset declared, pretty-printed
`<title>`/`<link>` full of newlines, `?xtor=` tracking on every link, undefined HTML entities that
break strict XML, and feed URLs that now answer with an HTML page. The rules here:

- a bozo feed (malformed XML) keeps every entry the lenient parser recovered;
- an HTML page served instead of a feed raises `NotAFeedError` (one line, names the feed), since
  it means the feed URL in `config/feeds.toml` has to be fixed, not that the day had no news;
- an empty but valid feed is an expected miss: `[]`;
- links are resolved against the feed URL and canonicalised, entries without an http(s) link are
  skipped, and a canonical URL appears once per feed.
"""

from __future__ import annotations

import calendar
import codecs
import html
import io
import re
import time
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from diplowatch.errors import NotAFeedError
from diplowatch.extractors.records import FeedItem
from diplowatch.extractors.urls import canonical_url

_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# What may precede the root element: BOM, whitespace, XML declaration, comments, PIs.
_PROLOG = re.compile(rb"^(?:\xef\xbb\xbf|\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_TAG = re.compile(r"<[^>]*>")
# ASCII whitespace only: the no-break spaces of French typography ("«\xa0", "\xa0:") are kept.
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def _charset_of(content_type: str | None) -> str | None:
    match = _HTTP_CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _utf8_more_likely(data: bytes) -> bool:
    """Whether undeclared bytes that are not valid UTF-8 still read mostly as UTF-8.

    Windows-1252 text has no valid multi-byte sequences (an accent is one byte followed by
    ASCII); UTF-8 with a stray bad byte has many. More valid non-ASCII characters than invalid
    sequences: UTF-8, the bad bytes replaced.
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 127) - invalid
    return valid > invalid


def _choose_encoding(data: bytes, content_type: str | None) -> tuple[str | None, bytes]:
    """The encoding to tell feedparser, and the bytes to give it.

    The first of (HTTP charset, XML declaration, UTF-8) that decodes the bytes is used as is.
    feedparser alone follows RFC 3023 to the letter: no HTTP header and no declaration means a
    guess that is often Latin-1, and `text/xml` without charset means US-ASCII; feeds in the wild
    are mostly undeclared UTF-8, and the rest Windows-1252. When none decodes, invalid bytes cost
    those bytes only: the declared encoding (else UTF-8) decodes with U+FFFD for each bad
    sequence, unless "UTF-8" bytes hold no valid accent at all (Windows-1252 mislabelled); then
    feedparser gets the text as UTF-8 (it rewrites the declaration). None leaves a UTF-16/32
    BOM to feedparser.
    """
    if data.startswith(_UTF16_32_BOMS):
        return None, data
    declared_match = _XML_DECL_ENCODING.match(data)
    declared = [
        _charset_of(content_type),
        declared_match.group(1).decode("ascii").lower() if declared_match else None,
    ]
    for candidate in [*declared, "utf-8"]:
        if not candidate:
            continue
        try:
            data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
        return candidate, data
    fallback = next((c for c in map(_known_codec, declared) if c), "utf-8")
    if fallback == "utf-8" and not _utf8_more_likely(data):
        fallback = "windows-1252"  # "UTF-8" (declared or not) that is really Windows-1252
    return "utf-8", data.decode(fallback, errors="replace").encode("utf-8")


def _looks_like_html(data: bytes) -> bool:
    """Whether the document starts like an HTML page (after BOM, declaration and comments)."""
    head = data[:4096]
    prolog = _PROLOG.match(head)
    start = head[prolog.end() if prolog else 0 :]
    return _HTML_START.match(start) is not None


def _is_html_content_type(content_type: str | None) -> bool:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime in {"text/html", "application/xhtml+xml"}


def _clean_text(value: str | None) -> str | None:
    """Whitespace runs (the newlines of pretty-printed feeds) folded to one space; "" -> None."""
    if not value:
        return None
    text = _SPACES.sub(" ", value).strip()
    return text or None


def _plain_summary(value: str | None) -> str | None:
    """feedparser hands summaries back as sanitised HTML; downstream wants plain text."""
    if not value:
        return None
    return _clean_text(html.unescape(_TAG.sub(" ", value)))


def _title(entry: Any) -> str | None:
    """The entry title as plain text: Atom `type="html"` titles come back as markup."""
    title = entry.get("title")
    detail = entry.get("title_detail") or {}
    if title and "html" in str(detail.get("type", "")):
        return _plain_summary(title)
    return _clean_text(title)


def _published(entry: Any) -> datetime | None:
    """An aware UTC datetime from the first date feedparser could read.

    feedparser normalises `pubDate`, Atom `published`/`updated` and `dc:date` (which it maps to
    `updated`) into UTC `struct_time`s.
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The items taken from one feed, and whether the feed held more than were taken.

    A truncated feed's validators must not be stored: the next run has to fetch it again to
    take the items left out (the first `max_items` are then known and skipped by the caller).
    """

    items: list[FeedItem]
    truncated: bool = False
    entries: int = 0  # entries in the document, taken or not


def parse_feed(
    data: bytes,
    *,
    feed_id: str,
    outlet: str,
    url: str,
    content_type: str | None = None,
    max_items: int | None = None,
) -> list[FeedItem]:
    """The items of one fetched feed (see `read_feed`), without the truncation flag."""
    return read_feed(
        data,
        feed_id=feed_id,
        outlet=outlet,
        url=url,
        content_type=content_type,
        max_items=max_items,
    ).items


def read_feed(
    data: bytes,
    *,
    feed_id: str,
    outlet: str,
    url: str,
    content_type: str | None = None,
    max_items: int | None = None,
    skip: Container[str] = frozenset(),
) -> ParsedFeed:
    """The items of one fetched feed, in feed order, each URL canonical and unique.

    At most `max_items` items (fetch.max_items_per_feed) are taken; canonical URLs in `skip`
    (those already stored, when the caller knows them) are left out and do not count, so a
    long feed is taken a slice per run, the rest the next runs. `truncated` says items were
    left for later. Raises NotAFeedError when the bytes are an HTML page (or anything else
    with no RSS/Atom structure and no entries). An empty but valid feed gives no items.
    """
    label = feed_id or url
    if not data.strip():
        raise NotAFeedError(label, "served an empty body, not a feed")
    if _looks_like_html(data):
        raise NotAFeedError(label, "served an HTML page, not a feed")

    headers = {"content-location": url}
    encoding, data = _choose_encoding(data, content_type)
    if encoding:
        headers["content-type"] = f"application/xml; charset={encoding}"
    # A file-like object: given bytes or str, feedparser would try them as a path or a URL.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)

    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        if _is_html_content_type(content_type):
            raise NotAFeedError(label, "served an HTML page, not a feed")
        raise NotAFeedError(label, "served a document with no RSS or Atom feed in it")

    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in entries:
        raw_link = (entry.get("link") or "").strip()
        if not raw_link:
            continue
        link = urljoin(url, raw_link)
        if not link.lower().startswith(("http://", "https://")):
            continue
        key = canonical_url(link)
        if key in seen:
            continue
        seen.add(key)
        if key in skip:
            continue
        if max_items is not None and len(items) >= max_items:
            return ParsedFeed(items, truncated=True, entries=len(entries))
        items.append(
            FeedItem(
                url=key,
                link=link,
                feed=feed_id,
                outlet=outlet,
                title=_title(entry),
                published=_published(entry),
                summary=_plain_summary(entry.get("summary")),
            )
        )
    return ParsedFeed(items, truncated=False, entries=len(entries))
