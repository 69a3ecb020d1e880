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
import html
import io
import re
import time
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


def _choose_encoding(data: bytes, content_type: str | None) -> str | None:
    """The first of (HTTP charset, XML declaration, UTF-8, Windows-1252) that decodes the bytes.

    feedparser alone follows RFC 3023 to the letter: no HTTP header and no declaration means a
    guess that is often Latin-1, and `text/xml` without charset means US-ASCII. Feeds in the wild
    are mostly undeclared UTF-8, and the rest Windows-1252, so we pick a codec that actually
    decodes and tell feedparser. None leaves a UTF-16/32 BOM to feedparser.
    """
    if data.startswith(_UTF16_32_BOMS):
        return None
    declared = _XML_DECL_ENCODING.match(data)
    candidates = [
        _charset_of(content_type),
        declared.group(1).decode("ascii").lower() if declared else None,
        "utf-8",
        "windows-1252",
    ]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
        return candidate
    return "iso-8859-1"  # decodes any byte: the last resort keeps whatever text there is


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


def parse_feed(
    data: bytes,
    *,
    feed_id: str,
    outlet: str,
    url: str,
    content_type: str | None = None,
) -> list[FeedItem]:
    """The items of one fetched feed, in feed order, each URL canonical and unique.

    Raises NotAFeedError when the bytes are an HTML page (or anything else with no RSS/Atom
    structure and no entries). An empty but valid feed gives `[]`.
    """
    label = feed_id or url
    if not data.strip():
        raise NotAFeedError(label, "served an empty body, not a feed")
    if _looks_like_html(data):
        raise NotAFeedError(label, "served an HTML page, not a feed")

    headers = {"content-location": url}
    encoding = _choose_encoding(data, content_type)
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
    return items
