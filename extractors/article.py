"""Page bytes -> Article (text, title, author, date, language) with trafilatura.

Why not just `trafilatura.bare_extraction(html, with_metadata=True)`:

- Decoding. trafilatura ignores the declared charset and runs charset detection on anything
  that is not valid UTF-8; we honour what the server or the page declares, and decode with
  `errors="replace"` so a page with stray invalid bytes (the maville-laseyne page in the corpus
  declares UTF-8 and is not) keeps its text instead of being re-guessed as another codec.
- Speed. `with_metadata=True` costs ~25% more than a plain `trafilatura.extract` (licence,
  categories and tags scans, and a body-wide author heuristic we do not need). We parse the tree
  once, read only the metadata we keep (meta tags, JSON-LD, title, date) from it, and hand the
  tree to `bare_extraction`. With the fast mode below, measured over the 59 corpus pages:
  0.76-0.84x the CPU of a plain `trafilatura.extract` (`make bench` prints the ratio).
- Fallbacks only when needed. trafilatura's default cascade runs readability (and, on a short or
  unclean result, jusText) on every page to compare with its own extractor: a third of its time.
  Its `fast` mode skips that comparison and keeps the later rescues (baseline, recall retry). Over
  the 59 corpus pages fast mode gives the same text on 58, and on the 59th drops a cookie banner
  the full cascade kept, at 0.66x the CPU. A page whose fast text is shorter than trafilatura's
  own minimum (`FALLBACK_BELOW`) is the case the comparison exists for: it gets the full cascade.
- Date. htmldate (inside trafilatura) runs on the parsed tree, never on a URL, so it never
  touches the network; `extensive_search` is off: over the corpus it found the same dates.
- Language. trafilatura only sets a language when asked to filter by one; we read the page's
  declaration (`<html lang>`, then Content-Language / og:locale meta), first two letters.

An empty `text` is an expected miss (a video page, a paywall stub), never an exception.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from datetime import date, datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
from trafilatura.utils import load_html

from diplowatch.extractors.records import Article

#: trafilatura's MIN_EXTRACTED_SIZE (settings.cfg): below it, its own cascade treats a result as
#: an under-extraction. A fast text this short is redone with readability and jusText compared.
FALLBACK_BELOW = 250

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_LANG = re.compile(r"[A-Za-z]{2}(?![A-Za-z])")  # "fr", "fr-FR", "fr_FR"; not "fra", not "x-"
# Per the WHATWG encoding standard, browsers read these labels as Windows-1252: pages that say
# Latin-1 routinely hold curly quotes and the euro sign from 1252's 0x80-0x9F range.
_AS_WINDOWS_1252 = {"iso8859_1", "latin_1", "ascii", "cp1252"}


def _normalised_codec(label: str | None) -> str | None:
    """Python's codec name for a declared label, or None if Python does not know it."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name.replace("-", "_") in _AS_WINDOWS_1252:
        return "cp1252"
    return name


def _sniff_undeclared(data: bytes) -> str:
    """No usable declaration and not valid UTF-8: UTF-8 with a few bad bytes, or Windows-1252?

    Whichever explains more of the non-ASCII bytes wins: a UTF-8 page with stray bytes has many
    good multi-byte sequences and few replacement characters; a Windows-1252 page has the reverse.
    """
    decoded = data.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    good = sum(1 for ch in decoded if ord(ch) > 127) - bad
    if good > bad:
        return decoded
    return data.decode("cp1252", errors="replace")


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Bytes to text, never raising: BOM, then HTTP charset, then <meta charset>, then sniffing.

    A declared codec is trusted and decoded with `errors="replace"`: a page that declares UTF-8
    but holds a few invalid bytes keeps all its good text with U+FFFD in the bad spots.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    http = _HTTP_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(data[:8192])
    labels = (http.group(1) if http else None, meta.group(1).decode("ascii") if meta else None)
    for label in labels:
        declared = _normalised_codec(label)
        # A declaration we could read as ASCII bytes is never really UTF-16/32: ignore it.
        if declared and not declared.replace("-", "_").startswith(("utf_16", "utf_32")):
            return data.decode(declared, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _sniff_undeclared(data)


def _language(tree: HtmlElement) -> str | None:
    """The declared language, two lowercase letters: <html lang>, xml:lang, then meta tags."""
    candidates: list[Any] = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *tree.xpath(
            './/meta[translate(@http-equiv, "CONTENLAGU", "contenlagu")="content-language"]'
            '/@content|.//meta[@property="og:locale"]/@content'
        ),
    ]
    for value in candidates:
        match = _LANG.match(str(value or "").strip())
        if match:
            return match.group(0).lower()
    return None


def _published(tree: HtmlElement, url: str) -> date | None:
    """The original publication date; htmldate reads the tree and the URL, never the network."""
    found = find_date(
        tree,
        url=url or None,
        original_date=True,  # the first publication, not the last update
        extensive_search=False,  # same results over the corpus; skips a text-wide regex pass
        max_date=datetime.now().strftime("%Y-%m-%d"),
    )
    if not found:
        return None
    try:
        return date.fromisoformat(str(found)[:10])
    except ValueError:
        return None


def _metadata(tree: HtmlElement) -> tuple[str | None, str | None]:
    """Title and author from meta tags and JSON-LD, as trafilatura's own metadata step does.

    trafilatura's body-wide author heuristic (`extract_author`) is left out: it cost ~6 ms on
    pages without an author meta tag, more than the rest of the metadata together.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a bare handle ("redaction"), as trafilatura also discards
    # trafilatura guards this call the same way: JSON-LD in the wild is often broken.
    with contextlib.suppress(Exception):
        meta = extract_meta_json(tree, meta)
    title = meta.title or extract_title(tree)
    return ((title.strip() or None) if title else None), (meta.author or None)


def _cleaned_text(tree: HtmlElement, url: str, *, fast: bool) -> str:
    document = bare_extraction(tree, url=url, include_comments=False, fast=fast)
    return (getattr(document, "text", None) or "").strip() if document is not None else ""


def extract_article(html: bytes, *, url: str, content_type: str | None = None) -> Article:
    """Clean one fetched page. `url` is the article's canonical URL (kept as the Article's key
    and used by htmldate for dates in the path); `content_type` is the HTTP header, if known,
    for its charset.
    """
    text_html = decode_html(html, content_type)
    tree = load_html(text_html)
    if tree is None:  # empty or not HTML at all
        return Article(url=url, title=None, text="")
    title, author = _metadata(tree)
    published = _published(tree, url)
    language = _language(tree)
    # bare_extraction copies a tree it is handed, so the metadata reads above and the cleaning
    # below cannot disturb each other.
    text = _cleaned_text(tree, url, fast=True)
    if len(text) < FALLBACK_BELOW:
        text = _cleaned_text(tree, url, fast=False) or text
    return Article(
        url=url,
        title=title,
        text=text,
        author=author,
        published=published,
        language=language,
    )
