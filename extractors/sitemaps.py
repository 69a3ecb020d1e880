"""Sitemap bytes -> the articles of one past date.

French outlets list their articles in sitemaps: an index (`<sitemapindex>`) pointing to monthly
or daily sitemaps (`<urlset>`), each URL with its `<lastmod>` and, in Google News sitemaps, a
`<news:news><news:publication_date>`. A backfill reads the index, keeps the child sitemaps that
may hold the wanted dates, then keeps the URLs published on the wanted date. The rules here:

- bytes may be gzip (`sitemap.xml.gz`), are parsed by lxml in recover mode (real sitemaps carry
  undeclared prefixes and raw `&` in URLs, which are escaped first so the URL survives), with no
  entity expansion and no network;
- elements are matched by local name, whatever their namespace: some outlets use the wrong
  sitemap namespace, or none;
- choosing child sitemaps is generous: a date in the sitemap's URL (`2021-12`, `2021/12/07`)
  decides when there is one, else `lastmod >= start`, else it is read anyway; reading one sitemap
  too many costs one request, missing one loses a month of articles;
- a URL's date is its `news:publication_date`, else a date in its path (`/2021/12/07/`, which
  does not move when the article is corrected), else its `lastmod`; dates are compared in the
  outlet's time zone (an article of 00:30 in Paris belongs to that Paris day).

Pure: bytes in, records out. Fetching lives in `flows/backfill.py`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Literal

from lxml import etree

from diplowatch.errors import SitemapError
from diplowatch.extractors.records import FeedItem
from diplowatch.extractors.urls import canonical_url

#: The sitemap protocol's own cap on an uncompressed sitemap; a bigger gzip is refused.
MAX_UNCOMPRESSED = 50 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"

# `2021-12-07`, `2021/12/07`, `2021_12_07`, `2021-12`, `2021/12`: a year 19xx/20xx, a month, an
# optional day, one separator used throughout, and no digit glued on either side (ids).
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})([-/_])(0[1-9]|1[0-2])(?:\2(0[1-9]|[12]\d|3[01]))?(?!\d)"
)
# A `&` that starts no entity or character reference: a raw one, as in `?a=1&b=2`, which
# strict XML forbids and lxml's recover mode would drop along with the name after it.
_RAW_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#\d+|#x[0-9A-Fa-f]+);)")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """One child sitemap listed by an index."""

    loc: str
    lastmod: datetime | None = None


@dataclass(frozen=True, slots=True)
class SitemapURL:
    """One page listed by a urlset."""

    loc: str
    lastmod: datetime | None = None
    published: datetime | None = None  # news:publication_date
    title: str | None = None  # news:title


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: Literal["index", "urlset"]
    sitemaps: list[SitemapRef]
    urls: list[SitemapURL]


# -- reading -------------------------------------------------------------------------------------


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_UNCOMPRESSED + 1)
    except zlib.error as exc:
        raise SitemapError(f"corrupt gzip ({exc})") from None
    if len(out) > MAX_UNCOMPRESSED:
        raise SitemapError(f"more than {MAX_UNCOMPRESSED} bytes once decompressed")
    return out


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A sitemap date (W3C datetime: `2021`, `2021-12`, `2021-12-07`, `2021-12-07T18:30+01:00`).

    Returns an aware datetime when the value has an offset, a naive one otherwise (the caller
    reads naive values in the outlet's time zone); None when unreadable: a bad date costs the
    date, not the URL.
    """
    text = (value or "").strip()
    if not text:
        return None
    if _YEAR.match(text):
        return datetime(int(text), 1, 1)
    match = _YEAR_MONTH.match(text)
    if match:
        try:
            return datetime(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            return None
    try:
        # 3.11's fromisoformat takes Z, offsets, fractions and a space for T
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el.iter():
        text = child.text
        # isinstance, not truthiness: lxml ships no stubs, so `text` is Any to mypy
        if child is not el and _local(child) == name and isinstance(text, str) and text.strip():
            return text.strip()
    return None


# libxml2's own limits: what it stopped at is a hostile document, not a truncated sitemap to
# recover (a nesting of thousands of elements, an entity loop or amplification).
_PATHOLOGICAL = ("RESOURCE_LIMIT", "ENTITY_LOOP", "AMPLIFICATION", "HUGE")


def _refuse_pathological(parser: etree.XMLParser) -> None:
    for entry in parser.error_log:
        if any(mark in entry.type_name for mark in _PATHOLOGICAL):
            raise SitemapError(f"refused: {entry.message.strip()[:200]}")


def parse_sitemap(data: bytes) -> Sitemap:
    """A sitemap index or urlset, from plain or gzip bytes.

    Entries without a `<loc>` are skipped. Raises SitemapError on bytes that hold no sitemap.
    """
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data)
    if not data.strip():
        raise SitemapError("empty document")
    data = _RAW_AMPERSAND.sub(b"&amp;", data)
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, RecursionError, ValueError) as exc:
        raise SitemapError(f"not XML ({str(exc)[:200]})") from None
    _refuse_pathological(parser)
    if root is None:
        raise SitemapError("not XML")
    kind = _local(root)
    if kind == "sitemapindex":
        refs = [
            SitemapRef(loc, parse_w3c_datetime(_child_text(el, "lastmod")))
            for el in root
            if _local(el) == "sitemap" and (loc := _child_text(el, "loc"))
        ]
        return Sitemap("index", refs, [])
    if kind == "urlset":
        urls = [
            SitemapURL(
                loc,
                lastmod=parse_w3c_datetime(_child_text(el, "lastmod")),
                published=parse_w3c_datetime(_child_text(el, "publication_date")),
                title=_child_text(el, "title"),
            )
            for el in root
            if _local(el) == "url" and (loc := _child_text(el, "loc"))
        ]
        return Sitemap("urlset", [], urls)
    raise SitemapError(f"<{kind}> is neither a <urlset> nor a <sitemapindex>")


# -- choosing ------------------------------------------------------------------------------------


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The calendar date of a moment in `tz`; a naive moment is already local."""
    return moment.astimezone(tz).date() if moment.tzinfo else moment.date()


def url_period(url: str) -> tuple[date, date] | None:
    """The dates a URL names (`…/2021-12.xml`: the month; `…/2021/12/07/…`: that day), if any.

    The last date in the URL wins: hosts and section names come first, the period last.
    """
    matches = list(_URL_DATE.finditer(url))
    if not matches:
        return None
    year, _, month, day = matches[-1].groups()
    y, m = int(year), int(month)
    if day:
        try:
            one = date(y, m, int(day))
        except ValueError:  # 2021-02-31: not a date, so not a period
            return None
        return one, one
    first = date(y, m, 1)
    last = date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1
    return first, date.fromordinal(last)


def select_child_sitemaps(
    refs: Iterable[SitemapRef], start: date, end: date, tz: tzinfo = UTC
) -> list[SitemapRef]:
    """The child sitemaps that may hold articles of start..end (inclusive), in index order.

    A period in the URL decides; else a lastmod before `start` rules a sitemap out (nothing was
    added to it since); else it is kept.
    """
    chosen: list[SitemapRef] = []
    for ref in refs:
        period = url_period(ref.loc)
        if period is not None:
            if period[0] <= end and start <= period[1]:
                chosen.append(ref)
            continue
        if ref.lastmod is not None and local_day(ref.lastmod, tz) < start:
            continue
        chosen.append(ref)
    return chosen


def url_day(entry: SitemapURL, tz: tzinfo = UTC) -> date | None:
    """The date an article was published: publication_date, else its path's date, else lastmod."""
    if entry.published is not None:
        return local_day(entry.published, tz)
    period = url_period(entry.loc)
    if period is not None and period[0] == period[1]:
        return period[0]
    if entry.lastmod is not None:
        return local_day(entry.lastmod, tz)
    return None


def _aware(moment: datetime | None, tz: tzinfo) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def sitemap_items(
    urls: Iterable[SitemapURL],
    day: date,
    *,
    outlet: str,
    feed_id: str,
    tz: tzinfo = UTC,
    include_undated: bool = False,
) -> list[FeedItem]:
    """The FeedItems of the URLs published on `day`, canonical and unique, in sitemap order.

    `include_undated` keeps the URLs that carry no date at all: right for a sitemap whose own
    URL names that very day.
    """
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in urls:
        link = entry.loc.strip()
        if not link.lower().startswith(("http://", "https://")):
            continue
        when = url_day(entry, tz)
        if when != day and not (when is None and include_undated):
            continue
        key = canonical_url(link)
        if key in seen:
            continue
        seen.add(key)
        published = _aware(entry.published, tz)
        if published is None and when is not None:
            # a date without a time: noon in the outlet's zone stays that day in any zone nearby
            published = datetime.combine(when, time(12), tzinfo=tz)
        items.append(
            FeedItem(
                url=key,
                link=link,
                feed=feed_id,
                outlet=outlet,
                title=entry.title,
                published=published.astimezone(UTC) if published else None,
            )
        )
    return items
