"""The daily flow end to end: a loopback HTTP server, real Prefect, a real DuckDB file, real spaCy.

One newsroom, every trouble at once: a diplomacy story listed by two feeds (one with tracking
parameters), a feed that serves an HTML page, a page that fails once with a 500, a page that
never answers in time, an oversize page and a page declared UTF-8 that is not. Then the same day
again: the feed whose items are all stored answers 304; the one whose two pages failed kept no
validators, so it is read whole again and only those two pages are retried; nothing stored
changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.flow_fixtures import NOT_A_FEED, page, rss

pytestmark = pytest.mark.slow

ETAG = '"v1"'


def feed_handler(body: bytes) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        if request.headers.get("If-None-Match") == ETAG:
            return Response(status=304, headers={"ETag": ETAG})
        return Response(body, content_type="application/rss+xml", headers={"ETag": ETAG})

    return handle


def slow(_: Request) -> Response:
    time.sleep(3.5)
    return Response(page("marche-de-noel"), content_type="text/html")


@pytest.fixture
def newsroom(httpserver: HTTPServer) -> dict[str, dict[str, Any]]:
    url = httpserver.url_for
    diplomacy = url("/monde/appel-biden-poutine.html")
    monde = rss(
        "Monde",
        [
            (
                diplomacy + "?utm_source=rss&utm_medium=feed#xtor=RSS-1",
                "Biden et Poutine se parlent",
            ),
            (url("/sport/ligue-1.html"), "Ligue 1"),
            (url("/region/marche.html"), "Marché de Noël"),
            (url("/france/budget.html"), "Budget des régions"),
        ],
    )
    une = rss(
        "À la une",
        [
            (diplomacy, "Biden et Poutine se parlent"),
            (url("/lent.html"), "Une page qui ne répond pas"),
            (url("/enorme.html"), "Une page trop grosse"),
        ],
    )
    httpserver.expect_request("/monde.xml").respond_with_handler(feed_handler(monde))
    httpserver.expect_request("/une.xml").respond_with_handler(feed_handler(une))
    httpserver.expect_request("/casse.xml").respond_with_data(NOT_A_FEED, content_type="text/html")
    httpserver.expect_request("/monde/appel-biden-poutine.html").respond_with_data(
        page("appel-biden-poutine"), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/sport/ligue-1.html").respond_with_data(
        page("ligue-1-nantes"), content_type="text/html"
    )
    # declared UTF-8, but with Latin-1 bytes in the middle
    broken = page("marche-de-noel").replace("Après".encode(), b"Apr\xe8s")
    httpserver.expect_request("/region/marche.html").respond_with_data(
        broken, content_type="text/html"
    )
    httpserver.expect_oneshot_request("/france/budget.html").respond_with_data("panne", status=500)
    httpserver.expect_request("/france/budget.html").respond_with_data(
        page("budget-regions"), content_type="text/html"
    )
    httpserver.expect_request("/lent.html").respond_with_handler(slow)
    httpserver.expect_request("/enorme.html").respond_with_data(
        b"<html><body>" + b"<p>bla</p>" * 50_000 + b"</body></html>", content_type="text/html"
    )
    return {
        "test-monde": {"outlet": "Le Quotidien test", "url": url("/monde.xml")},
        "test-une": {"outlet": "Le Quotidien test", "url": url("/une.xml")},
        "test-casse": {"outlet": "Le Quotidien test", "url": url("/casse.xml")},
    }


def snapshot(db: Path) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} {where} ORDER BY ALL").fetchall()
            for table, where in (
                ("articles", "WHERE status <> 'failed'"),
                ("flags", ""),
                ("claims", ""),
            )
        }


def test_daily_flow_end_to_end(
    prefect_harness: None, newsroom: dict[str, dict[str, Any]], config_dir: Path, tmp_path: Path
) -> None:
    from datetime import date

    from diplowatch.flows.daily import daily

    db = tmp_path / "news.duckdb"
    counts = daily(
        run_date=date(2021, 12, 7), db=str(db), config_dir=str(config_dir), feeds=newsroom
    )
    assert isinstance(counts, dict)  # a failed run raises

    assert counts["feeds_ok"] == 2
    assert counts["feeds_failed"] == 1
    assert counts["items_seen"] == 7
    assert counts["new_articles"] == 6  # the story listed by both feeds is fetched once
    assert counts["extracted"] == 4
    assert counts["failed"] == 2
    assert counts["flagged"] == 1
    assert counts["claims"] >= 2

    con = duckdb.connect(str(db), read_only=True)
    rows = dict(con.execute("SELECT url, status FROM articles").fetchall())
    base = newsroom["test-monde"]["url"].rsplit("/", 1)[0]
    assert rows == {
        f"{base}/monde/appel-biden-poutine.html": "extracted",
        f"{base}/sport/ligue-1.html": "extracted",
        f"{base}/region/marche.html": "extracted",
        f"{base}/france/budget.html": "extracted",  # a 500, then retried
        f"{base}/lent.html": "failed",  # timed out on every attempt
        f"{base}/enorme.html": "failed",  # over the size cap
    }
    errors = dict(con.execute("SELECT url, error FROM articles WHERE status = 'failed'").fetchall())
    assert "lent.html" in errors[f"{base}/lent.html"]
    assert "enorme.html" in errors[f"{base}/enorme.html"]
    text = con.execute(
        "SELECT text FROM articles WHERE url = ?", [f"{base}/region/marche.html"]
    ).fetchone()
    assert text is not None and "marché de Noël" in text[0]  # the bad byte cost one character
    assert "Mentions légales" not in text[0]

    feeds = {
        r[0]: r[1:]
        for r in con.execute("SELECT feed_id, last_status, last_error, etag FROM feeds").fetchall()
    }
    assert feeds["test-monde"][0] == "ok" and feeds["test-monde"][2] == ETAG
    assert feeds["test-une"][2] is None  # two of its pages failed: read whole next time
    assert feeds["test-casse"][0] == "failed"
    assert "test-casse" in feeds["test-casse"][1] and "HTML" in feeds["test-casse"][1]

    flagged = con.execute("SELECT url FROM flags WHERE relevant").fetchall()
    assert flagged == [(f"{base}/monde/appel-biden-poutine.html",)]
    speakers = {r[0] for r in con.execute("SELECT speaker_country FROM claims").fetchall()}
    assert "USA" in speakers
    run = con.execute("SELECT status, counts, kind FROM runs").fetchall()
    assert len(run) == 1 and run[0][0] == "completed" and run[0][2] == "daily"
    assert json.loads(run[0][1])["new_articles"] == 6
    con.close()

    before = snapshot(db)
    again = daily(
        run_date=date(2021, 12, 7), db=str(db), config_dir=str(config_dir), feeds=newsroom
    )
    assert isinstance(again, dict)
    assert again["feeds_unchanged"] == 1 and again["feeds_ok"] == 1
    assert again["new_articles"] == 2  # the two pages that failed, and only they
    assert again["failed"] == 2
    assert snapshot(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone() == (
            2,
        )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_rows(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, error, counts FROM runs ORDER BY started").fetchall()


def test_a_day_where_no_feed_answers_is_red(
    prefect_harness: None, config_dir: Path, tmp_path: Path
) -> None:
    """Every feed down: Failed in Prefect, `failed` in runs with the reason; nothing stored."""
    from datetime import date

    from diplowatch.errors import RunError
    from diplowatch.flows.daily import daily

    port = free_port()  # nothing listens there
    feeds = {
        f"mort-{n}": {"outlet": "Le Quotidien test", "url": f"http://127.0.0.1:{port}/{n}.xml"}
        for n in range(2)
    }
    db = tmp_path / "news.duckdb"
    args: dict[str, Any] = {
        "run_date": date(2021, 12, 7),
        "db": str(db),
        "config_dir": str(config_dir),
        "feeds": feeds,
    }
    state = daily(**args, return_state=True)
    assert state.is_failed()
    assert "no feed answered" in str(state.message)
    with pytest.raises(RunError, match="no feed answered: all 2 failed"):
        daily(**args)
    rows = run_rows(db)
    assert [r[0] for r in rows] == ["failed", "failed"]
    assert "no feed answered" in rows[0][1] and f"127.0.0.1:{port}" in rows[0][1]
    assert json.loads(rows[0][2])["feeds_failed"] == 2


def test_an_engine_that_fails_makes_the_run_red(
    prefect_harness: None, newsroom: dict[str, dict[str, Any]], config_dir: Path, tmp_path: Path
) -> None:
    """A Dask scheduler that is not there: Failed, `failed` with a one-line reason."""
    from datetime import date

    from diplowatch.errors import EngineError
    from diplowatch.flows.daily import daily

    db = tmp_path / "news.duckdb"
    address = f"tcp://127.0.0.1:{free_port()}"
    state = daily(
        run_date=date(2021, 12, 7),
        db=str(db),
        config_dir=str(config_dir),
        feeds={"test-monde": newsroom["test-monde"]},
        dask=address,
        return_state=True,
    )
    assert state.is_failed()
    with pytest.raises(EngineError, match="cannot reach the Dask scheduler"):
        state.result()
    [(status, error, _)] = run_rows(db)
    assert status == "failed" and error.startswith(f"cannot reach the Dask scheduler at {address}")
    assert "\n" not in error
