"""extractors.archive: CDX answers (golden files in tests/golden/backfill) and snapshot choice.

`cdx_*.json` are CDX `output=json` answers written for these tests; each has a
`cdx_*.expected.json` beside it with what `parse_cdx` makes of it. To regenerate after a
deliberate change: `DIPLOWATCH_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_archive.py`,
then review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from diplowatch.errors import ArchiveError
from diplowatch.extractors.archive import (
    Snapshot,
    archived_url,
    cdx_query_url,
    latest_snapshot,
    parse_cdx,
    parse_timestamp,
    select_snapshots,
    timestamp_of,
)

GOLDEN = Path(__file__).parent / "golden" / "backfill"
REGEN = os.environ.get("DIPLOWATCH_REGEN_GOLDEN") == "1"
CDX_FILES = sorted(p.stem for p in GOLDEN.glob("cdx_*.json") if ".expected" not in p.name)


def _golden(name: str, actual: Any) -> None:
    expected_file = GOLDEN / f"{name}.expected.json"
    if REGEN:
        expected_file.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert actual == json.loads(expected_file.read_text("utf-8"))


def test_there_are_cdx_goldens() -> None:
    assert CDX_FILES == ["cdx_feed", "cdx_reordered"]


@pytest.mark.parametrize("name", CDX_FILES)
def test_parse_cdx_golden(name: str) -> None:
    snapshots = parse_cdx((GOLDEN / f"{name}.json").read_bytes())
    _golden(name, [asdict(s) for s in snapshots])


def test_parse_cdx_skips_bad_rows_and_reads_dashes() -> None:
    snapshots = parse_cdx((GOLDEN / "cdx_feed.json").read_bytes())
    assert len(snapshots) == 11  # 13 rows: one bad timestamp and one without URL skipped
    html = next(s for s in snapshots if s.timestamp == "20211206224500")
    assert html.statuscode == 503 and html.length is None
    assert snapshots[0].captured == datetime(2021, 12, 5, 23, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]", b'[["urlkey","timestamp","original"]]'])
def test_no_snapshot_is_not_an_error(body: bytes) -> None:
    assert parse_cdx(body) == []


def test_rows_without_header_use_the_default_columns() -> None:
    row = ["fr,x)/", "20211207000000", "https://x.fr/", "text/html", "-", "D1", "10"]
    assert parse_cdx(json.dumps([row])) == [
        Snapshot("20211207000000", "https://x.fr/", "text/html", None, "D1", 10, "fr,x)/")
    ]


@pytest.mark.parametrize("body", [b"<html>503</html>", b'{"error": "x"}', b"[1, 2]"])
def test_not_a_cdx_answer(body: bytes) -> None:
    with pytest.raises(ArchiveError):
        parse_cdx(body)


def test_timestamps() -> None:
    assert parse_timestamp("2021120718") == datetime(2021, 12, 7, 18, tzinfo=UTC)
    assert parse_timestamp("2021") == datetime(2021, 1, 1, tzinfo=UTC)
    assert timestamp_of(date(2021, 12, 7)) == "20211207000000"
    assert timestamp_of(datetime(2021, 12, 7, 0, 30, tzinfo=UTC)) == "20211207003000"
    for bad in ("", "21", "20211307000000", "2021-12-07"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_select_snapshots_dedupes_filters_and_spreads() -> None:
    snapshots = parse_cdx((GOLDEN / "cdx_feed.json").read_bytes())
    chosen = select_snapshots(snapshots, date(2021, 12, 6), date(2021, 12, 7), max_per_date=3)
    stamps = [s.timestamp for s in chosen]
    # 6 December: 06:10, 09:05, 12:00, 18:30, 21:45 usable (15:15 repeats 06:10's digest,
    # 22:45 answered 503); three spread over the day, the first and the last included
    assert stamps == [
        "20211206061000",
        "20211206120000",
        "20211206214500",
        "20211207080000",
        "2021120720",
    ]
    assert all(s.day in (date(2021, 12, 6), date(2021, 12, 7)) for s in chosen)
    one = select_snapshots(snapshots, date(2021, 12, 6), date(2021, 12, 6), max_per_date=1)
    assert [s.timestamp for s in one] == ["20211206214500"]  # the latest of the day
    assert select_snapshots(snapshots, date(2021, 12, 8), date(2021, 12, 8), 4) == []


def test_latest_snapshot_before_a_moment() -> None:
    snapshots = parse_cdx((GOLDEN / "cdx_reordered.json").read_bytes())
    until = datetime(2021, 12, 9, tzinfo=UTC)
    best = latest_snapshot(snapshots, until)
    assert best is not None and best.timestamp == "20211208101010"
    assert latest_snapshot(snapshots, datetime(2021, 12, 7, tzinfo=UTC)) is None


def test_archived_url_is_the_raw_form() -> None:
    assert (
        archived_url("http://127.0.0.1:8/web/", "20211207101010", "https://x.fr/a.html?b=1")
        == "http://127.0.0.1:8/web/20211207101010id_/https://x.fr/a.html?b=1"
    )


def test_cdx_query_url() -> None:
    url = cdx_query_url(
        "https://web.archive.org/cdx/search/cdx",
        "https://www.quotidien-essai.fr/rss.xml?xtor=1&a=2",
        date(2021, 12, 6),
        date(2021, 12, 8),
    )
    parts = urlsplit(url)
    assert parts.netloc == "web.archive.org" and parts.path == "/cdx/search/cdx"
    assert parse_qs(parts.query) == {
        "url": ["https://www.quotidien-essai.fr/rss.xml?xtor=1&a=2"],
        "from": ["20211206"],
        "to": ["20211208"],
        "output": ["json"],
        "filter": ["statuscode:200"],
        "collapse": ["digest"],
    }
    open_start = parse_qs(urlsplit(cdx_query_url("http://h/cdx?k=v", "u", None, None)).query)
    assert "from" not in open_start and open_start["k"] == ["v"]


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json_is_an_archive_error(opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    with pytest.raises(ArchiveError, match="nested too deeply") as info:
        parse_cdx(opener * 100_000 + b"1" + closer * 100_000)
    assert "\n" not in str(info.value)


def test_row_holding_arrays_is_skipped() -> None:
    nested = b"[" * 500 + b"]" * 500
    data = (
        b'[["urlkey","timestamp","original"],["k","20211207000000",' + nested + b"],"
        b'["k","20211207000000","https://ex.fr/rss"]]'
    )
    assert [s.original for s in parse_cdx(data)] == ["https://ex.fr/rss"]
