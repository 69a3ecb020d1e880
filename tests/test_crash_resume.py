"""A daily run killed halfway (SIGKILL, no clean-up at all) leaves whole batches, and the next
run of the same day stores the rest, each article once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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


def serve(httpserver: HTTPServer) -> dict[str, dict[str, str]]:
    def slow_page(request: Request) -> Response:
        time.sleep(1.0)  # slow enough for the kill to land between two batches
        n = int(request.path.rsplit("-", 1)[1].split(".")[0])
        return Response(page(SLUGS[n % len(SLUGS)]), content_type="text/html; charset=utf-8")

    items = [(httpserver.url_for(f"/article-{n}.html"), f"Article {n}") for n in range(COUNT)]
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss("Flux", items), content_type="application/rss+xml"
    )
    for n in range(COUNT):
        httpserver.expect_request(f"/article-{n}.html").respond_with_handler(slow_page)
    return {"crash-test": {"outlet": "Le Quotidien test", "url": httpserver.url_for("/feed.xml")}}


def test_a_killed_run_is_finished_by_the_next(
    httpserver: HTTPServer, config_dir: Path, tmp_path: Path, prefect_harness: None
) -> None:
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

    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM articles").fetchone()
        runs = con.execute("SELECT status FROM runs").fetchall()
    assert stored is not None and stored[0] in (5, 10)  # whole batches, and not all of them
    assert runs == [("running",)]  # what a kill leaves: a run that never finished

    from diplowatch.flows.daily import daily

    counts = daily(run_date=date(2021, 12, 7), db=str(db), config_dir=str(config_dir), feeds=feeds)
    assert counts["new_articles"] == COUNT - stored[0]
    with duckdb.connect(str(db), read_only=True) as con:
        urls = con.execute("SELECT url FROM articles").fetchall()
        statuses = con.execute("SELECT status FROM runs ORDER BY started").fetchall()
        flags = con.execute("SELECT count(*) FROM flags").fetchone()
    assert len(urls) == len(set(urls)) == COUNT
    assert flags == (COUNT,)
    assert statuses == [("running",), ("completed",)]
