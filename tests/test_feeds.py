"""parse_feed: golden files (our own fixtures in tests/golden/feeds) plus targeted unit tests.

Each `tests/golden/feeds/NAME.xml` has a `NAME.expected.json` beside it: the items parse_feed
returns (as JSON), or the error it raises. To regenerate after a deliberate change, run
`DIPLOWATCH_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_feeds.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from diplowatch.errors import FeedError, NotAFeedError
from diplowatch.extractors.feeds import parse_feed, read_feed
from diplowatch.extractors.records import FeedItem

GOLDEN = Path(__file__).parent / "golden" / "feeds"
REGEN = os.environ.get("DIPLOWATCH_REGEN_GOLDEN") == "1"

# How each fixture is "served": the call parse_feed gets.
CALLS: dict[str, dict[str, Any]] = {
    "rss20_tracking_entities": {
        "url": "https://www.quotidien-essai.fr/international/rss.xml",
        "content_type": "application/rss+xml; charset=utf-8",
    },
    "atom": {"url": "https://atom.essai.fr/monde/atom.xml", "content_type": "application/atom+xml"},
    "latin1_no_charset": {"url": "http://gazette-essai.fr/rss.xml", "content_type": None},
    "bozo_bad_entity": {"url": "https://casse.essai.fr/rss.xml", "content_type": "text/xml"},
    "html_page": {"url": "https://www.quotidien-essai.fr/flux-disparu.xml", "content_type": None},
    "empty_feed": {"url": "https://vide.essai.fr/rss.xml", "content_type": "application/rss+xml"},
}


def _item_json(item: FeedItem) -> dict[str, Any]:
    data = asdict(item)
    data["published"] = item.published.isoformat() if item.published else None
    return data


def _run(name: str) -> Any:
    call = CALLS[name]
    data = (GOLDEN / f"{name}.xml").read_bytes()
    try:
        items = parse_feed(data, feed_id=f"test-{name}", outlet="Essai", **call)
    except FeedError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return [_item_json(item) for item in items]


def test_every_golden_fixture_has_a_call() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.xml")) == sorted(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_golden(name: str) -> None:
    expected_path = GOLDEN / f"{name}.expected.json"
    got = _run(name)
    if REGEN:
        text = json.dumps(got, ensure_ascii=False, indent=2) + "\n"
        expected_path.write_text(text, encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected


# --- targeted behaviour, independent of the golden files -------------------------------------


def _rss(items: str, decl: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    body = f'{decl}<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    return body.encode("utf-8")


def test_tracking_removed_and_duplicates_collapsed() -> None:
    data = _rss(
        "<item><title>a</title><link>https://ex.fr/a?xtor=RSS-1</link></item>"
        "<item><title>b</title><link>https://ex.fr/a?utm_source=x#frag</link></item>"
    )
    items = parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/rss")
    assert [i.url for i in items] == ["https://ex.fr/a"]
    assert items[0].link == "https://ex.fr/a?xtor=RSS-1"
    assert items[0].title == "a"
    assert items[0].feed == "f" and items[0].outlet == "O"


def test_relative_link_resolved_against_feed_url() -> None:
    data = _rss("<item><title>a</title><link>../monde/a.html</link></item>")
    items = parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/rss/une.xml")
    assert items[0].url == "https://ex.fr/monde/a.html"


def test_published_is_aware_utc() -> None:
    data = _rss(
        "<item><title>a</title><link>https://ex.fr/a</link>"
        "<pubDate>Tue, 07 Dec 2021 19:45:00 +0100</pubDate></item>"
    )
    (item,) = parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/rss")
    assert item.published == datetime(2021, 12, 7, 18, 45, tzinfo=UTC)
    assert item.published is not None and item.published.tzinfo is not None


def test_title_whitespace_folded_but_no_break_spaces_kept() -> None:
    data = _rss(
        "<item><title>\n   Kiev\u00a0: \n   accord  </title><link>https://ex.fr/a</link></item>"
    )
    (item,) = parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/rss")
    assert item.title == "Kiev\u00a0: accord"


def test_empty_valid_feed_is_empty_list() -> None:
    assert parse_feed(_rss(""), feed_id="f", outlet="O", url="https://ex.fr/rss") == []


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>x</title></head><body>x</body></html>",
        b"\xef\xbb\xbf  <!-- cache --> <HTML lang='fr'><body>x</body></HTML>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>',
    ],
)
def test_html_page_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, feed_id="lefigaro-x", outlet="O", url="https://ex.fr/rss")
    assert str(info.value) == "lefigaro-x: served an HTML page, not a feed"
    assert "\n" not in str(info.value)


def test_html_content_type_without_feed_is_not_a_feed() -> None:
    body = b"<div><p>fragment served as text/html</p></div>"
    with pytest.raises(NotAFeedError, match="served an HTML page"):
        parse_feed(body, feed_id="f", outlet="O", url="https://ex.fr/rss", content_type="text/html")


def test_feed_served_as_text_html_still_parses() -> None:
    data = _rss("<item><title>a</title><link>https://ex.fr/a</link></item>")
    items = parse_feed(
        data, feed_id="f", outlet="O", url="https://ex.fr/rss", content_type="text/html"
    )
    assert len(items) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "f: served an empty body, not a feed"),
        (b"  \n ", "f: served an empty body, not a feed"),
        (b'{"items": []}', "f: served a document with no RSS or Atom feed in it"),
    ],
)
def test_other_non_feeds(body: bytes, message: str) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, feed_id="f", outlet="O", url="https://ex.fr/rss")
    assert str(info.value) == message


def test_feed_id_falls_back_to_url_in_message() -> None:
    with pytest.raises(NotAFeedError, match=r"^https://ex\.fr/rss: served an HTML page"):
        parse_feed(b"<html></html>", feed_id="", outlet="O", url="https://ex.fr/rss")


def test_http_charset_wins_when_it_decodes() -> None:
    data = _rss(
        "<item><title>caf\u00e9</title><link>https://ex.fr/a</link></item>",
        decl='<?xml version="1.0"?>',
    ).replace("caf\u00e9".encode(), "caf\u00e9".encode("iso-8859-1"))
    (item,) = parse_feed(
        data,
        feed_id="f",
        outlet="O",
        url="https://ex.fr/rss",
        content_type="text/xml; charset=ISO-8859-1",
    )
    assert item.title == "caf\u00e9"


def test_wrong_declared_charset_falls_back_to_one_that_decodes() -> None:
    # declares UTF-8 but holds Latin-1 bytes: Windows-1252 is used instead of mojibake
    data = _rss("<item><title>d\u00e9bat</title><link>https://ex.fr/a</link></item>")
    data = data.replace("d\u00e9bat".encode(), "d\u00e9bat".encode("iso-8859-1"))
    (item,) = parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/rss")
    assert item.title == "d\u00e9bat"


def test_never_fetches_even_if_bytes_look_like_a_url() -> None:
    with pytest.raises(NotAFeedError):
        parse_feed(b"http://127.0.0.1:9/rss", feed_id="f", outlet="O", url="https://ex.fr/rss")


def test_one_invalid_utf8_sequence_costs_those_bytes_only() -> None:
    # one stray byte in a UTF-8 feed used to send the whole feed through Windows-1252
    titles = ["Kiev réclame des garanties", "Moscou dénonce l'élargissement", "Trêve à l'Est"]
    items = "".join(
        f"<item><title>{t}</title><link>https://ex.fr/{n}</link></item>"
        for n, t in enumerate(titles)
    )
    for decl in ('<?xml version="1.0" encoding="UTF-8"?>', ""):
        data = _rss(items, decl=decl).replace(b"Kiev r\xc3\xa9", b"Kiev r\xc3")
        got = [i.title for i in parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/")]
        assert got == ["Kiev r\ufffdclame des garanties", *titles[1:]]


def test_max_items_truncates_and_says_so() -> None:
    items = "".join(
        f"<item><title>n{n}</title><link>https://ex.fr/{n}</link></item>" for n in range(10)
    )
    data = _rss(items + "<item><title>again</title><link>https://ex.fr/0</link></item>")
    whole = read_feed(data, feed_id="f", outlet="O", url="https://ex.fr/", max_items=10)
    assert len(whole.items) == 10 and not whole.truncated  # the 11th entry is a duplicate
    assert whole.entries == 11
    first = read_feed(data, feed_id="f", outlet="O", url="https://ex.fr/", max_items=4)
    assert [i.title for i in first.items] == ["n0", "n1", "n2", "n3"] and first.truncated
    # the next run skips what it stored: the next slice, until none is left
    known = {i.url for i in first.items}
    second = read_feed(data, feed_id="f", outlet="O", url="https://ex.fr/", max_items=4, skip=known)
    assert [i.title for i in second.items] == ["n4", "n5", "n6", "n7"] and second.truncated
    known |= {i.url for i in second.items}
    third = read_feed(data, feed_id="f", outlet="O", url="https://ex.fr/", max_items=4, skip=known)
    assert [i.title for i in third.items] == ["n8", "n9"] and not third.truncated
    assert (
        parse_feed(data, feed_id="f", outlet="O", url="https://ex.fr/", max_items=2)
        == (first.items[:2])
    )
