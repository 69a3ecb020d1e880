"""extractors.sitemaps: golden sitemaps (tests/golden/backfill) and the choice of a date's URLs.

Each `sitemap_*.xml` (written for these tests) has a `sitemap_*.expected.json` beside it: what
`parse_sitemap` makes of it. To regenerate after a deliberate change:
`DIPLOWATCH_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_sitemaps.py`, then review.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from diplowatch.errors import SitemapError
from diplowatch.extractors.sitemaps import (
    SitemapRef,
    SitemapURL,
    parse_sitemap,
    parse_w3c_datetime,
    select_child_sitemaps,
    sitemap_items,
    url_day,
    url_period,
)

GOLDEN = Path(__file__).parent / "golden" / "backfill"
REGEN = os.environ.get("DIPLOWATCH_REGEN_GOLDEN") == "1"
PARIS = ZoneInfo("Europe/Paris")
SITEMAPS = sorted(p.stem for p in GOLDEN.glob("sitemap_*.xml"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _as_json(name: str) -> dict[str, Any]:
    sitemap = parse_sitemap((GOLDEN / f"{name}.xml").read_bytes())
    return {
        "kind": sitemap.kind,
        "sitemaps": [{"loc": r.loc, "lastmod": _iso(r.lastmod)} for r in sitemap.sitemaps],
        "urls": [
            {
                "loc": u.loc,
                "lastmod": _iso(u.lastmod),
                "published": _iso(u.published),
                "title": u.title,
            }
            for u in sitemap.urls
        ],
    }


def test_there_are_sitemap_goldens() -> None:
    assert SITEMAPS == ["sitemap_index", "sitemap_news", "sitemap_no_namespace"]


@pytest.mark.parametrize("name", SITEMAPS)
def test_parse_sitemap_golden(name: str) -> None:
    actual = _as_json(name)
    expected_file = GOLDEN / f"{name}.expected.json"
    if REGEN:
        expected_file.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert actual == json.loads(expected_file.read_text("utf-8"))


def test_gzip_bytes_are_the_same_sitemap() -> None:
    data = (GOLDEN / "sitemap_news.xml").read_bytes()
    assert parse_sitemap(gzip.compress(data)) == parse_sitemap(data)


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>Page introuvable</body></html>", b"\x1f\x8bpas du gzip", b"\x00\x01"],
)
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(SitemapError):
        parse_sitemap(body)


def test_w3c_dates() -> None:
    assert parse_w3c_datetime("2021") == datetime(2021, 1, 1)
    assert parse_w3c_datetime("2021-12") == datetime(2021, 12, 1)
    assert parse_w3c_datetime("2021-12-07") == datetime(2021, 12, 7)
    assert parse_w3c_datetime("2021-12-07T18:30Z") == datetime(2021, 12, 7, 18, 30, tzinfo=UTC)
    assert parse_w3c_datetime("2021-12-07T18:30:05.123+01:00") == datetime(
        2021, 12, 7, 18, 30, 5, 123000, tzinfo=timezone(timedelta(hours=1))
    )
    for bad in (None, "", "hier", "2021-13", "07/12/2021"):
        assert parse_w3c_datetime(bad) is None


def test_url_period() -> None:
    assert url_period("https://x.fr/sitemaps/2021-12.xml") == (
        date(2021, 12, 1),
        date(2021, 12, 31),
    )
    assert url_period("https://x.fr/s/2024_02.xml") == (date(2024, 2, 1), date(2024, 2, 29))
    assert url_period("https://x.fr/s/2021/12/07.xml") == (date(2021, 12, 7), date(2021, 12, 7))
    assert url_period("https://x.fr/2020/01/x/2021-12-07.xml") == (date(2021, 12, 7),) * 2
    assert url_period("https://x.fr/article_120211207.html") is None  # an id, not a date
    assert url_period("https://x.fr/2021-12/07.xml") == (date(2021, 12, 1), date(2021, 12, 31))
    assert url_period("https://x.fr/2021-02-31.xml") is None
    assert url_period("https://x.fr/sitemap.xml") is None


def test_select_child_sitemaps() -> None:
    index = parse_sitemap((GOLDEN / "sitemap_index.xml").read_bytes())
    chosen = select_child_sitemaps(index.sitemaps, date(2021, 12, 6), date(2021, 12, 8), PARIS)
    assert [r.loc.rsplit("/sitemaps/", 1)[1] for r in chosen] == [
        "articles/2021-12.xml",  # its month
        "jour/2021/12/07.xml",  # its day
        "news.xml",  # modified since the start
        "rubriques.xml",  # nothing says: read it anyway
    ]
    # November's sitemap, touched in 2023, is ruled out by its URL whatever its lastmod
    november = select_child_sitemaps(index.sitemaps, date(2021, 11, 30), date(2021, 11, 30))
    assert [r.loc.rsplit("/", 1)[1] for r in november] == [
        "2021-11.xml",
        "news.xml",
        "rubriques.xml",
    ]


def test_lastmod_is_read_in_the_outlet_zone() -> None:
    late = SitemapRef("https://x.fr/s.xml", datetime(2021, 12, 5, 23, 30, tzinfo=UTC))
    assert select_child_sitemaps([late], date(2021, 12, 6), date(2021, 12, 6), PARIS) == [late]
    assert select_child_sitemaps([late], date(2021, 12, 6), date(2021, 12, 6), UTC) == []


def test_url_day_prefers_publication_then_path_then_lastmod() -> None:
    pub = datetime(2021, 12, 6, 23, 30, tzinfo=UTC)  # 7 December 00:30 in Paris
    assert url_day(
        SitemapURL("https://x.fr/a", lastmod=datetime(2022, 1, 1), published=pub), PARIS
    ) == date(2021, 12, 7)
    assert url_day(
        SitemapURL("https://x.fr/2021/12/05/a.html", lastmod=datetime(2023, 5, 1))
    ) == date(2021, 12, 5)
    assert url_day(SitemapURL("https://x.fr/a.html", lastmod=datetime(2021, 12, 4))) == date(
        2021, 12, 4
    )
    assert url_day(SitemapURL("https://x.fr/2021-12/a.html")) is None


def test_items_of_one_day() -> None:
    news = parse_sitemap((GOLDEN / "sitemap_news.xml").read_bytes())
    items = sitemap_items(
        news.urls, date(2021, 12, 7), outlet="Le Quotidien d'essai", feed_id="sitemap", tz=PARIS
    )
    base = "https://www.quotidien-essai.fr"
    assert [i.url for i in items] == [
        f"{base}/international/article/appel-washington-moscou_6104.html",  # tracking gone, once
        f"{base}/societe/article/neige-a-lyon_6105.html",  # 00:30 in Paris
        f"{base}/international/2021/12/07/kiev-appelle-a-l-aide_6107.html",  # its path's date
        f"{base}/economie/article/inflation_6108.html",  # its lastmod
    ]
    first = items[0]
    assert first.link.endswith("?xtor=RSS-3208") and first.feed == "sitemap"
    assert first.title == "Washington et Moscou renouent le dialogue & fixent un calendrier"
    assert first.published == datetime(2021, 12, 7, 18, 42, tzinfo=UTC)
    assert all(
        i.published is not None and i.published.astimezone(PARIS).date() == date(2021, 12, 7)
        for i in items
    )
    # the Tour de France story is of 8 December in Paris (23:30 UTC)
    eighth = sitemap_items(news.urls, date(2021, 12, 8), outlet="x", feed_id="s", tz=PARIS)
    assert [i.url.rsplit("/", 1)[1] for i in eighth] == ["tour-de-france_6106.html"]


def test_undated_urls_only_on_request() -> None:
    news = parse_sitemap((GOLDEN / "sitemap_news.xml").read_bytes())
    kept = sitemap_items(
        news.urls, date(2021, 12, 7), outlet="x", feed_id="s", include_undated=True
    )
    names = [i.url.rsplit("/", 1)[1] for i in kept]
    assert "sans-date_6109.html" in names and "cesar_6110.html" in names
    undated = next(i for i in kept if i.url.endswith("sans-date_6109.html"))
    assert undated.published is None


def test_sitemap_without_namespace_and_with_a_raw_ampersand() -> None:
    sitemap = parse_sitemap((GOLDEN / "sitemap_no_namespace.xml").read_bytes())
    items = sitemap_items(sitemap.urls, date(2021, 12, 7), outlet="Gazette", feed_id="s", tz=PARIS)
    assert [i.url.rsplit("/", 1)[1] for i in items] == [
        "otan-sommet_77.html",
        "bourse_78.html?a=1&b=2",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<urlset>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</urlset>", "Excessive depth"),
        (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "&b;"><!ENTITY b "&a;">]>'
            b"<urlset><url><loc>https://ex.fr/&a;</loc></url></urlset>",
            "entity reference loop",
        ),
    ],
)
def test_pathological_xml_is_a_sitemap_error(data: bytes, reason: str) -> None:
    with pytest.raises(SitemapError, match=reason) as info:
        parse_sitemap(data)
    assert "\n" not in str(info.value)


def test_entities_are_not_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        b"<urlset><url><loc>https://ex.fr/&c;&e;</loc></url></urlset>"
    )
    (url,) = parse_sitemap(laughs).urls
    assert "aaaa" not in url.loc and len(url.loc) < 40
