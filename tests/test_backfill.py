"""The backfill end to end: a loopback archive (CDX JSON, raw captures, sitemaps, live pages),
real Prefect, a real DuckDB file, the real spaCy model, through the `diplowatch` CLI.

The newsroom and its archive are in tests/backfill_fixtures.py (written for these tests).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.backfill_fixtures import (
    ARTICLES,
    EXPECTED,
    FEED_PATH,
    OUTLET,
    ArchiveSite,
    run_cli,
)

pytestmark = pytest.mark.slow


def backfill_args(db: Path, config: Path, start: str, end: str, *extra: str) -> list[str]:
    return [
        "backfill",
        "--since",
        start,
        "--until",
        end,
        "--db",
        str(db),
        "--config",
        str(config),
        "--outlet",
        OUTLET,
        *extra,
    ]


def snapshot(db: Path) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("articles", "flags", "claims")
        }


def stored(db: Path) -> dict[str, tuple[str, str, str | None]]:
    """url -> (status, run_date, link)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT url, status, run_date, link FROM articles").fetchall()
    return {url: (status, str(run_date), link) for url, status, run_date, link in rows}


def runs(db: Path) -> list[tuple[str, str, dict[str, int], str | None]]:
    """(run_date, status, counts, error) of the backfill runs, in start order."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT run_date, status, counts, error FROM runs WHERE kind = 'backfill'"
            " ORDER BY started"
        ).fetchall()
    return [(str(d), s, json.loads(c or "{}"), e) for d, s, c, e in rows]


def expected_urls(site: ArchiveSite, *days: str) -> dict[str, str]:
    return {site.url(slug): day for day in days for slug in EXPECTED[day]}


def page_requests(site: ArchiveSite) -> dict[str, int]:
    """How often each article page was asked of the live site."""
    return {slug: site.fetched(art["path"]) for slug, art in ARTICLES.items()}


def test_three_days_then_again_changes_nothing(
    prefect_harness: None,
    archive: tuple[ArchiveSite, HTTPServer],
    user_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site, _ = archive
    db = tmp_path / "news.duckdb"
    assert run_cli(*backfill_args(db, user_config, "2021-12-06", "2021-12-08")) == 0

    rows = stored(db)
    want = expected_urls(site, "2021-12-06", "2021-12-07", "2021-12-08")
    assert {url: row[1] for url, row in rows.items()} == want
    assert all(row[0] == "extracted" for row in rows.values()), rows
    # the page gone from the site came from its archived copy of 7 December, not the later one
    gone = rows[site.url("prix-goncourt")]
    assert gone[2] == f"{site.base}/web/20211207150000id_/{site.url('prix-goncourt')}"
    with duckdb.connect(str(db), read_only=True) as con:
        text = con.execute(
            "SELECT text FROM articles WHERE url = ?", [site.url("prix-goncourt")]
        ).fetchone()
        flagged = {r[0] for r in con.execute("SELECT url FROM flags WHERE relevant").fetchall()}
        claims = con.execute("SELECT count(*) FROM claims").fetchone()
    assert text is not None and "premier roman" in text[0] and "rectificatif" not in text[0]
    assert site.url("appel-biden-poutine") in flagged and site.url("kiev-garanties") in flagged
    assert site.url("tempete-bretagne") not in flagged
    assert claims is not None and claims[0] >= 3

    # one runs row per date, with its counts
    recorded = runs(db)
    assert [(d, s) for d, s, _, _ in recorded] == [
        ("2021-12-06", "completed"),
        ("2021-12-07", "completed"),
        ("2021-12-08", "completed"),
    ]
    counts = {d: c for d, _, c, _ in recorded}
    assert counts["2021-12-07"]["archived_pages"] == 1
    assert counts["2021-12-07"]["failed"] == 0
    assert counts["2021-12-07"]["extracted"] == 3
    assert counts["2021-12-08"]["new_articles"] == 2  # the story in feed and sitemap: once
    assert counts["2021-12-06"]["snapshots"] == 3  # two of the 6th, the next morning's first
    assert counts["2021-12-06"]["sitemaps"] == 2  # the index and December's

    # polite: every page once, the same capture once, November's sitemap never
    assert all(n <= 1 for n in page_requests(site).values()), page_requests(site)
    assert site.fetched(ARTICLES["marche-noel"]["path"]) == 0
    assert site.fetched(ARTICLES["conseil-europeen"]["path"]) == 0
    assert site.fetched("/sitemaps/articles-2021-11.xml") == 0
    assert site.fetched("/sitemaps/articles-2021-12.xml") == 1  # cached across the dates
    assert site.fetched(f"/web/20211207100000id_/{site.base}{FEED_PATH}") == 0  # same digest
    assert site.fetched(FEED_PATH) == 0  # the live feed says nothing of the past

    out = capsys.readouterr()
    assert "Backfill summary" in out.out and "2021-12-07" in out.out
    assert "2021-12-08: 2/2 articles" in out.err  # progress lines when not a terminal

    # the same backfill again: every date skipped, nothing fetched, nothing changed
    before, requests = snapshot(db), sum(site.requests.values())
    assert run_cli(*backfill_args(db, user_config, "2021-12-06", "2021-12-08")) == 0
    assert snapshot(db) == before
    assert sum(site.requests.values()) == requests
    assert len(runs(db)) == 3
    assert "skipped" in capsys.readouterr().out


def test_interrupted_backfill_resumes(
    prefect_harness: None,
    archive: tuple[ArchiveSite, HTTPServer],
    user_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    site, _ = archive
    db = tmp_path / "news.duckdb"
    site.fail_cdx_on = "20211207"  # the archive goes down on the second date
    assert run_cli(*backfill_args(db, user_config, "2021-12-06", "2021-12-08")) == 1
    err = capsys.readouterr().err
    assert "diplowatch: error: 2021-12-07" in err and "HTTP 503" in err
    # an expected failure: recorded, logged in one line, no traceback from Prefect or us
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []

    recorded = runs(db)
    assert [(d, s) for d, s, _, _ in recorded] == [
        ("2021-12-06", "completed"),
        ("2021-12-07", "failed"),
    ]
    assert recorded[1][3] is not None and "503" in recorded[1][3]
    assert set(stored(db)) == set(expected_urls(site, "2021-12-06"))
    fetched_once = page_requests(site)

    site.fail_cdx_on = None  # the archive is back
    assert run_cli(*backfill_args(db, user_config, "2021-12-06", "2021-12-08")) == 0
    recorded = runs(db)
    assert [(d, s) for d, s, _, _ in recorded][2:] == [
        ("2021-12-07", "completed"),
        ("2021-12-08", "completed"),
    ]  # 6 December skipped: no new run for it
    rows = stored(db)
    assert {u: r[1] for u, r in rows.items()} == expected_urls(
        site, "2021-12-06", "2021-12-07", "2021-12-08"
    )
    again = page_requests(site)
    for slug in EXPECTED["2021-12-06"]:
        assert again[slug] == fetched_once[slug] == 1  # never fetched twice
    assert all(n <= 1 for n in again.values()), again


def test_force_redoes_a_date_without_duplicating(
    prefect_harness: None,
    archive: tuple[ArchiveSite, HTTPServer],
    user_config: Path,
    tmp_path: Path,
) -> None:
    site, _ = archive
    db = tmp_path / "news.duckdb"
    assert run_cli(*backfill_args(db, user_config, "2021-12-07", "2021-12-07")) == 0
    before, pages = snapshot(db), page_requests(site)
    cdx_before = site.fetched("/cdx")

    assert run_cli(*backfill_args(db, user_config, "2021-12-07", "2021-12-07", "--force")) == 0
    assert snapshot(db) == before
    assert page_requests(site) == pages  # known articles are not fetched again
    assert site.fetched("/cdx") > cdx_before  # but the date's sources were read again
    recorded = runs(db)
    assert [(d, s) for d, s, _, _ in recorded] == [
        ("2021-12-07", "completed"),
        ("2021-12-07", "completed"),
    ]
    assert recorded[1][2]["items_seen"] == 4 and recorded[1][2]["new_articles"] == 0


def test_bad_requests_are_clear_errors(
    prefect_harness: None, user_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "news.duckdb"
    assert run_cli(*backfill_args(db, user_config, "2021-12-08", "2021-12-06")) == 1
    assert "before --since" in capsys.readouterr().err
    args = backfill_args(db, user_config, "2021-12-06", "2021-12-06")
    args[args.index(OUTLET)] = "Le Journal inconnu"
    assert run_cli(*args) == 1
    err = capsys.readouterr().err
    assert "unknown outlet 'Le Journal inconnu'" in err and OUTLET in err


def test_backfill_sources_per_outlet(user_config: Path) -> None:
    from diplowatch.settings.loader import load_config
    from diplowatch.settings.sources import backfill_sources

    cfg = load_config(user_config)
    ours = backfill_sources(cfg, [OUTLET.upper()])
    assert list(ours.feeds) == ["archives-international"]
    assert list(ours.sitemaps) == [OUTLET]
    everything = backfill_sources(cfg)
    assert "archives-international" in everything.feeds and len(everything.feeds) > 1
    assert all(isinstance(urls, list) for urls in everything.sitemaps.values())


def test_date_range() -> None:
    from diplowatch.flows.backfill import date_range

    assert date_range(date(2021, 12, 30), date(2022, 1, 2))[-1] == date(2022, 1, 2)
    assert len(date_range(date(2021, 12, 6), date(2021, 12, 6))) == 1


def test_transient_or_permanent() -> None:
    from diplowatch.errors import (
        ArchiveError,
        BlockedURLError,
        DiplowatchError,
        FetchError,
        HTTPStatusError,
        NotAFeedError,
        ResponseTooLargeError,
        SitemapError,
    )
    from diplowatch.flows.discovery import is_transient

    u = "http://x/"
    transient: tuple[DiplowatchError, ...] = (
        HTTPStatusError(u, 503),
        HTTPStatusError(u, 429),
        FetchError(u, "timed out"),
    )
    for exc in transient:
        assert is_transient(exc), exc
    assert is_transient(ArchiveError("CDX answer is not JSON"))
    for exc in (
        HTTPStatusError(u, 404),
        BlockedURLError(u, "ftp"),
        ResponseTooLargeError(u, "big"),
        NotAFeedError("f", "HTML"),
        SitemapError("not XML"),
    ):
        assert not is_transient(exc), exc


def test_progress_lines_and_bars() -> None:
    import io

    from rich.console import Console

    from diplowatch.flows.progress import LineReporter, RichReporter

    days = [date(2021, 12, 6), date(2021, 12, 7)]
    out = io.StringIO()
    lines = LineReporter(out, every=3600)
    lines.begin(days)
    lines.day_finished(days[0], "skipped", {})
    lines.day_started(days[1], 3)
    for done in (1, 2, 3):
        lines.day_progress(days[1], done, 3)
    lines.day_finished(days[1], "completed", {"extracted": 3})
    text = out.getvalue()
    assert "2021-12-07: 1/3" not in text  # throttled
    assert "[1/2 dates] 2021-12-07: 3/3 articles" in text
    assert "[2/2 dates] 2021-12-07: completed" in text
    columns, rows = lines.table()
    assert columns[:3] == ["date", "status", "snapshots"]
    assert [r[:2] for r in rows] == [["2021-12-06", "skipped"], ["2021-12-07", "completed"]]

    screen = io.StringIO()
    bars = RichReporter(Console(file=screen, force_terminal=True, width=100))
    bars.begin(days)
    bars.day_started(days[0], 2)
    bars.day_progress(days[0], 2, 2)
    bars.day_finished(days[0], "completed", {})
    bars.end()
    assert "dates" in screen.getvalue() and "2021-12-06" in screen.getvalue()
