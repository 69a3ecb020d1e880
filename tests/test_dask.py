"""The analysis on a real Dask cluster: a scheduler and two workers, separate processes on loopback.

The daily flow and a two-date backfill on the cluster store exactly the rows the same runs store
with the analysis in-process; a worker killed mid-run costs nothing: the run completes on the
other (or fails in one line), and a rerun leaves every article once.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.backfill_fixtures import OUTLET, run_cli
from tests.flow_fixtures import ARTICLES, page, rss

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))
SLUGS = list(ARTICLES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """`dask scheduler` and `dask worker`s as child processes; all killed on `close`."""

    def __init__(self, workers: int, tmp: Path) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.log = (tmp / "dask.log").open("w")
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port")
        self.workers = [self._start("worker", self.address) for _ in range(workers)]
        self.wait_for(workers)

    def _start(self, what: str, *args: str) -> subprocess.Popen[bytes]:
        if what == "scheduler":
            cmd = [DASK, "scheduler", *args, self.address.rsplit(":", 1)[1], "--no-dashboard"]
        else:
            cmd = [DASK, "worker", *args, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
            cmd += ["--host", "127.0.0.1", "--death-timeout", "30"]
        return subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_for(self, workers: int) -> None:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(self.address, timeout="2s") as client:
                    client.wait_for_workers(workers, timeout=60)
                    return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(2, tmp_path_factory.mktemp("dask"))
    try:
        yield running
    finally:
        running.close()


def serve_day(httpserver: HTTPServer, count: int, delay: float = 0.0) -> dict[str, Any]:
    served: list[str] = []

    def article(request: Request) -> Response:
        served.append(request.path)
        time.sleep(delay)
        n = int(request.path.rsplit("-", 1)[1].split(".")[0])
        return Response(page(SLUGS[n % len(SLUGS)]), content_type="text/html; charset=utf-8")

    items = [(httpserver.url_for(f"/article-{n}.html"), f"Article {n}") for n in range(count)]
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss("Flux", items), content_type="application/rss+xml"
    )
    for n in range(count):
        httpserver.expect_request(f"/article-{n}.html").respond_with_handler(article)
    feed = {"outlet": "Le Quotidien test", "url": httpserver.url_for("/feed.xml")}
    return {"feeds": {"dask-test": feed}, "served": served}


ROWS = {
    "articles": "SELECT url, outlet, feed_id, link, title, author, published, language, text,"
    " status, http_status, raw_html, run_date FROM articles",
    "flags": "SELECT url, relevant, score, reasons, extractor_version FROM flags",
    "claims": "SELECT * FROM claims",
}


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a run stores, less what differs between two runs of it (run ids, timestamps)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"{sql} ORDER BY ALL").fetchall() for t, sql in ROWS.items()}


def test_daily_and_backfill_on_the_cluster_store_the_local_rows(
    prefect_harness: None,
    cluster: Cluster,
    httpserver: HTTPServer,
    user_config: Path,
    tmp_path: Path,
) -> None:
    from diplowatch.flows.daily import daily

    day = serve_day(httpserver, 12)
    common = {"run_date": date(2021, 12, 7), "config_dir": str(user_config), "feeds": day["feeds"]}
    local, remote = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    daily(db=str(local), **common)
    counts = daily(db=str(remote), dask=cluster.address, **common)
    assert counts["extracted"] == 12 and counts["flagged"] >= 3 and counts["claims"] > 0
    assert rows(remote) == rows(local)
    with duckdb.connect(str(remote), read_only=True) as con:
        [(params,)] = con.execute("SELECT params FROM runs").fetchall()
    assert cluster.address in params  # the run says where its analysis ran

    window = ["--since", "2021-12-06", "--until", "2021-12-07", "--config", str(user_config)]
    window += ["--outlet", OUTLET]
    local, remote = tmp_path / "local-backfill.duckdb", tmp_path / "dask-backfill.duckdb"
    assert run_cli("backfill", "--db", str(local), *window) == 0
    assert run_cli("backfill", "--db", str(remote), "--dask", cluster.address, *window) == 0
    found = rows(remote)
    assert found == rows(local)
    assert len(found["articles"]) >= 4 and found["claims"]


def test_a_worker_killed_mid_run(
    prefect_harness: None, httpserver: HTTPServer, config_dir: Path, tmp_path: Path
) -> None:
    """Kill one of two workers once pages flow: the run completes on the other or fails in one
    line; a rerun leaves every article stored once."""
    from diplowatch.errors import EngineError
    from diplowatch.flows.daily import daily

    count = 40
    day = serve_day(httpserver, count, delay=0.05)
    db = tmp_path / "news.duckdb"
    common = {"run_date": date(2021, 12, 7), "config_dir": str(config_dir), "feeds": day["feeds"]}
    cluster = Cluster(2, tmp_path)
    try:

        def kill_when_pages_flow() -> None:
            deadline = time.monotonic() + 120
            while len(day["served"]) < 8 and time.monotonic() < deadline:
                time.sleep(0.02)
            cluster.workers[0].send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_when_pages_flow)
        killer.start()
        try:
            first: dict[str, int] | None = daily(db=str(db), dask=cluster.address, **common)
        except EngineError as exc:
            assert "\n" not in str(exc)
            first = None
        killer.join()
        assert cluster.workers[0].wait() == -signal.SIGKILL
        again = daily(db=str(db), dask=cluster.address, **common)
    finally:
        cluster.close()

    with duckdb.connect(str(db), read_only=True) as con:
        urls = [row[0] for row in con.execute("SELECT url FROM articles").fetchall()]
        statuses = con.execute("SELECT status FROM articles").fetchall()
    assert len(urls) == len(set(urls)) == count
    assert set(statuses) == {("extracted",)}
    if first is not None:  # completed on the surviving worker: nothing left for the rerun
        assert first["extracted"] == count and again["new_articles"] == 0
