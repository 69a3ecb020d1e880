"""A daily run killed halfway (SIGKILL, no clean-up at all) leaves whole batches, and the next
run of the same day stores the rest, each article once.

The feed sends an ETag and a Last-Modified and answers 304 to them: had the killed run stored
them before its items, the next run would get a 304 and never fetch the rest of the day.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.db_probe import stored_now
from tests.flow_fixtures import ARTICLES, page, rss

pytestmark = pytest.mark.slow

SLUGS = list(ARTICLES)
COUNT = 12  # three batches of five, the last one short
ETAG = '"flux-v1"'
LAST_MODIFIED = "Tue, 07 Dec 2021 17:00:00 GMT"
FEED_ANSWERS: list[int] = []


#: Set once the first run is killed: until then its later batches' pages are held, so the kill
#: lands after the first batch is written and before any other can be (a fixed sleep raced).
RELEASE = threading.Event()


def serve(httpserver: HTTPServer) -> dict[str, dict[str, str]]:
    def slow_page(request: Request) -> Response:
        n = int(request.path.rsplit("-", 1)[1].split(".")[0])
        if n >= 5 and not RELEASE.is_set():
            RELEASE.wait(60)
        time.sleep(0.2)
        return Response(page(SLUGS[n % len(SLUGS)]), content_type="text/html; charset=utf-8")

    items = [(httpserver.url_for(f"/article-{n}.html"), f"Article {n}") for n in range(COUNT)]
    body = rss("Flux", items)

    def feed(request: Request) -> Response:
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == ETAG or (
            request.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            FEED_ANSWERS.append(304)
            return Response(status=304, headers=validators)
        FEED_ANSWERS.append(200)
        return Response(body, content_type="application/rss+xml", headers=validators)

    httpserver.expect_request("/feed.xml").respond_with_handler(feed)
    for n in range(COUNT):
        httpserver.expect_request(f"/article-{n}.html").respond_with_handler(slow_page)
    return {"crash-test": {"outlet": "Le Quotidien test", "url": httpserver.url_for("/feed.xml")}}


def test_a_killed_run_is_finished_by_the_next(
    httpserver: HTTPServer, config_dir: Path, tmp_path: Path, prefect_harness: None
) -> None:
    FEED_ANSWERS.clear()
    RELEASE.clear()
    # every page fetched at once: a held page must not keep a first-batch page waiting for a
    # slot; and a held page waits for the kill rather than timing out: with the tests' 2 s, the
    # later batches failed while a loaded machine still analysed the first, and were written
    # first, as failed (the flaky "12 == 12 - 5": the next run retried all of them)
    settings = config_dir / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    assert "\ntimeout = 2.0\n" in text
    text = text.replace("[fetch]\n", "[fetch]\nper_host = 16\n")
    settings.write_text(text.replace("\ntimeout = 2.0\n", "\ntimeout = 90.0\n"), encoding="utf-8")
    feeds = serve(httpserver)
    db = tmp_path / "crash.duckdb"
    script = (
        "import json, sys; from datetime import date; from diplowatch.flows.daily import daily; "
        "daily(run_date=date(2021, 12, 7), db=sys.argv[1], config_dir=sys.argv[2], "
        "feeds=json.loads(sys.argv[3]))"
    )
    from prefect.settings import PREFECT_API_URL

    # the harness's server: left to itself the child would start one of its own, which the
    # SIGKILL below would leave running, orphaned
    env = {
        **os.environ,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(db), str(config_dir), json.dumps(feeds)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        # kill as soon as a first batch is in: the rest is still being fetched or analysed
        while stored_now(db) == 0 and time.monotonic() < deadline:
            assert child.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        RELEASE.set()

    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM articles").fetchone()
        statuses_stored = con.execute("SELECT DISTINCT status FROM articles").fetchall()
        runs = con.execute("SELECT status FROM runs").fetchall()
    assert statuses_stored == [("extracted",)]  # the first batch, fetched: none left to retry
    # whole batches (of 5, 5 and 2, written in any order), and not all of them
    assert stored is not None and stored[0] in (2, 5, 7, 10)
    assert runs == [("running",)]  # what a kill leaves: a run that never finished
    with duckdb.connect(str(db), read_only=True) as con:
        # the feed's validators wait for its items: none stored yet
        assert con.execute("SELECT etag, last_modified FROM feeds").fetchall() == [(None, None)]

    from diplowatch.flows.daily import daily

    counts = daily(run_date=date(2021, 12, 7), db=str(db), config_dir=str(config_dir), feeds=feeds)
    assert isinstance(counts, dict)  # a failed run raises
    assert FEED_ANSWERS == [200, 200]  # the whole feed again, not a 304
    assert counts["new_articles"] == COUNT - stored[0]
    with duckdb.connect(str(db), read_only=True) as con:
        urls = con.execute("SELECT url FROM articles").fetchall()
        statuses = con.execute("SELECT status, error FROM runs ORDER BY started").fetchall()
        flags = con.execute("SELECT count(*) FROM flags").fetchone()
        validators = con.execute("SELECT etag, last_modified FROM feeds").fetchall()
    assert len(urls) == len(set(urls)) == COUNT
    assert flags == (COUNT,)
    # the next run found the killed one's process gone and closed its row
    assert statuses[0][0] == "failed" and statuses[0][1].startswith("interrupted")
    assert statuses[1] == ("completed", None)
    assert validators == [(ETAG, LAST_MODIFIED)]  # every item stored: now a 304 loses nothing

    again = daily(run_date=date(2021, 12, 7), db=str(db), config_dir=str(config_dir), feeds=feeds)
    assert isinstance(again, dict)
    assert FEED_ANSWERS[-1] == 304 and again["new_articles"] == 0


def test_recorded_run_closes_its_row_however_the_block_ends(tmp_path: Path) -> None:
    from diplowatch.storage.runs import close_dead_runs, recorded_run, this_process

    db = str(tmp_path / "runs.duckdb")
    common: dict = {"kind": "daily", "run_date": date(2021, 12, 7), "params": {}}
    with recorded_run(db, counts=("extracted",), **common) as ok:
        ok.add({"extracted": 3}, {"write": 0.5})
    with recorded_run(db, counts=(), **common) as red:
        red.fail("no feed answered: all 2 failed")
    with pytest.raises(ValueError), recorded_run(db, counts=(), **common):
        raise ValueError("a bug\nwith a second line")
    with pytest.raises(KeyboardInterrupt), recorded_run(db, counts=(), **common):
        raise KeyboardInterrupt
    with duckdb.connect(db) as con:
        rows = con.execute("SELECT status, error, counts FROM runs ORDER BY started").fetchall()
        # a row left running by a process that is gone, and one by this very process
        owner = {**this_process(), "pid": 2**22 + 1}
        for who in (owner, this_process()):
            con.execute(
                "INSERT INTO runs (run_id, kind, params, started, status)"
                " VALUES (?, 'daily', ?, now(), 'running')",
                [str(who["pid"]), json.dumps({"owner": who})],
            )
        assert close_dead_runs(con) == [str(owner["pid"])]
        left = con.execute("SELECT status FROM runs WHERE run_id = ?", [str(os.getpid())])
        assert left.fetchall() == [("running",)]
    assert rows[0] == ("completed", None, '{"extracted": 3}')
    assert rows[1][:2] == ("failed", "no feed answered: all 2 failed")
    assert rows[2][:2] == ("failed", "a bug")
    assert rows[3][:2] == ("failed", "interrupted")
