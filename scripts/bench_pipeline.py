#!/usr/bin/env python3
"""Replay benchmark of the daily flow against trafilatura alone, in the same run.

    .venv/bin/python scripts/bench_pipeline.py [--articles 2000] [--sizes 1000,2000]
                                               [--baseline-articles 236] [--config DIR]

Why this shape: users backfill months of news on a laptop, and trafilatura's cleaning is the floor
cost of every article, so the pipeline is judged by its throughput relative to `trafilatura.extract`
over the same HTML, measured in the same process and the same minutes (the machine's noise then
weighs on both).

What it does:

- reads the 59 real pages of ../shared/corpus/pages at run time (never copied into the project;
  without them it says so and exits 0) and serves them from a loopback threaded HTTP server under
  N distinct URLs (article i is page i mod 59), with 20 RSS feeds listing them; feeds carry an ETag
  and answer 304 to a matching If-None-Match;
- runs the real `flows.daily.daily` flow into a fresh DuckDB file, under a temporary Prefect
  server (`prefect_test_harness`), and times the call from outside;
- runs it again over the same unchanged feeds (all 304, nothing new): the second, idle run;
- times `trafilatura.extract` alone, one page after another in this process, over the first
  `--baseline-articles` articles (default 236 = 4 whole rounds of the 59 pages, so the mix is
  the one the flow saw; per-article cost is what the ratio needs), or all N with
  `--baseline-articles 0`;
- samples the resident memory of this process and of its worker processes every 0.1 s.

Stage figures come from the run's `runs.seconds` JSON: feeds, fetch, analyse, write are wall
seconds spent in those task bodies (analyse overlaps fetch); clean, flag, claims are CPU-side
seconds summed over the worker processes (so they can exceed wall time on 2 cores).
Orchestration is what Prefect costs beyond our code: the flow's own tally (task calls minus their
bodies, plus the delay before a submitted task starts) plus the time the flow call takes outside
the flow body (flow-run creation, state reports, result handling), i.e. wall - body, where body is
`seconds["body"]` (the flow's own timing of its function body).

`--sizes 1000,2000` runs each size in its own child process (so peak memory is not inherited from
the previous size) and prints one row per size.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# ../shared beside the checkout; DIPLOWATCH_SHARED points elsewhere (e.g. from a git worktree)
SHARED = Path(os.environ.get("DIPLOWATCH_SHARED") or ROOT.parent / "shared")
PAGES = SHARED / "corpus" / "pages"
FEEDS = 20
RUN_DATE = date(2022, 3, 7)
# the items' pubDate: a fixed day, so the run's date-aware flagging is reproducible
PUB_DATE = formatdate(time.mktime((2022, 3, 7, 9, 0, 0, 0, 0, -1)), usegmt=True)


# -- the loopback newsroom ---------------------------------------------------------------------


class Newsroom:
    """N article URLs over the corpus pages, and the feeds that list them (rendered once)."""

    def __init__(self, pages: list[tuple[str, bytes]], articles: int, feeds: int) -> None:
        self.pages = pages
        self.articles = articles
        self.per_feed = -(-articles // feeds)
        self.feed_count = -(-articles // self.per_feed)
        self.base = ""
        self.feed_bodies: dict[int, tuple[bytes, str]] = {}

    def page_of(self, article: int) -> tuple[str, bytes]:
        return self.pages[article % len(self.pages)]

    def path_of(self, article: int) -> str:
        return f"/a/{article}/{self.page_of(article)[0]}"

    def render(self, base: str) -> None:
        """The feed bodies and their ETags, once the server's address is known."""
        self.base = base
        for k in range(self.feed_count):
            items = []
            for i in range(k * self.per_feed, min(self.articles, (k + 1) * self.per_feed)):
                name = self.page_of(i)[0].rsplit(".", 1)[0]
                link = escape(base + self.path_of(i))
                items.append(
                    f"<item><title>{escape(name)} #{i}</title><link>{link}</link>"
                    f"<guid>{link}</guid><pubDate>{PUB_DATE}</pubDate></item>"
                )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                f"<title>Bench {k}</title><link>{base}/</link><description>bench</description>"
                + "".join(items)
                + "</channel></rss>"
            ).encode()
            self.feed_bodies[k] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')

    def feeds(self) -> dict[str, dict[str, Any]]:
        """The `feeds` argument of the daily flow."""
        return {
            f"bench-{k}": {"url": f"{self.base}/feeds/{k}.xml", "outlet": f"Bench {k % 5}"}
            for k in range(self.feed_count)
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real news sites
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        room = self.server.room
        parts = self.path.split("/")
        try:
            if parts[1] == "feeds":
                body, etag = room.feed_bodies[int(parts[2].split(".")[0])]
                if self.headers.get("If-None-Match") == etag:
                    self.server.count("304")
                    self._send(304, b"", "application/rss+xml", etag)
                else:
                    self.server.count("feed")
                    self._send(200, body, "application/rss+xml; charset=utf-8", etag)
                return
            if parts[1] == "a" and 0 <= int(parts[2]) < room.articles:
                self.server.count("page")
                self._send(200, room.page_of(int(parts[2]))[1], "text/html", None)
                return
        except (IndexError, ValueError, KeyError):
            pass
        self._send(404, b"not found", "text/plain", None)

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    room: Newsroom

    def __init__(self, room: Newsroom) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.room = room
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, what: str) -> None:
        with self._lock:
            self.hits[what] = self.hits.get(what, 0) + 1


# The newsroom is served under a fake host routed to its loopback port (as the demo is): the
# fetch guard refuses loopback addresses to a feed, and a user's --config need not allow them.
BENCH_HOST = "bench.diplowatch.invalid"


def route_of(server: _Server) -> dict[str, str]:
    return {BENCH_HOST: f"127.0.0.1:{server.server_address[1]}"}


@contextlib.contextmanager
def serving(room: Newsroom) -> Iterator[_Server]:
    server = _Server(room)
    room.render(f"http://{BENCH_HOST}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- memory ------------------------------------------------------------------------------------


def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: read after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class MemorySampler:
    """Peak RSS of this process and of its multiprocessing workers, sampled every 0.1 s.

    Worker peaks read VmHWM (the kernel's own high-water mark), so a spike between two samples
    still counts; the total is the largest sum seen in one sample (this process + workers).
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.main_kb = 0
        self.worker_kb: dict[int, int] = {}
        self.total_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = Path("/proc/self/status").exists()

    def _sample(self) -> None:
        main = _status_kb("self", "VmRSS")
        self.main_kb = max(self.main_kb, main)
        current = 0
        for pid in _children(os.getpid()):
            if _is_worker(pid):
                self.worker_kb[pid] = max(self.worker_kb.get(pid, 0), _status_kb(pid, "VmHWM"))
                current += _status_kb(pid, "VmRSS")
        self.total_kb = max(self.total_kb, main + current)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()
        else:  # no /proc: the kernel's maxima for this process and its largest child
            import resource

            self.main_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.worker_kb = {0: resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


# -- runs --------------------------------------------------------------------------------------


@dataclass
class Result:
    articles: int
    wall: float = 0.0
    rate: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    orchestration: float = 0.0
    main_mb: float = 0.0
    worker_mb: list[float] = field(default_factory=list)
    total_mb: float = 0.0
    baseline_articles: int = 0
    baseline_rate: float = 0.0
    ratio: float = 0.0
    second_wall: float = 0.0
    second_counts: dict[str, int] = field(default_factory=dict)
    second_ratio: float = 0.0
    hits: dict[str, int] = field(default_factory=dict)
    derived: float = 0.0  # copies + events, refreshed again over every article (copies_events_cost)
    derived_articles: int = 0


def run_flow(
    feeds: dict[str, dict[str, Any]], db: Path, config: str | None, route: dict[str, str]
) -> tuple[float, Any]:
    from diplowatch.flows.daily import daily

    started = time.perf_counter()
    counts = daily(run_date=RUN_DATE, db=str(db), feeds=feeds, config_dir=config, route=route)
    return time.perf_counter() - started, counts


def last_seconds(db: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT seconds, epoch(finished) - epoch(started) FROM runs"
            " ORDER BY started DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    if not row:
        return {}
    seconds: dict[str, float] = json.loads(row[0]) if row[0] else {}
    # a flow that does not time its own body: the run row's start and finish stamps are close
    seconds.setdefault("body", float(row[1]))
    return seconds


def orchestration_of(wall: float, seconds: dict[str, float]) -> float:
    """The flow's own tally of Prefect's cost, plus the time the call spent outside the body."""
    return seconds.get("orchestration", 0.0) + max(0.0, wall - seconds.get("body", wall))


def copies_events_cost(db: Path, config: str | None) -> tuple[float, int]:
    """Seconds to refresh copy groups and events over every stored article, and how many.

    The daily flow already did this for its new articles (inside `end to end`); this times it
    again, alone and over the whole file (all articles: the most a run can ask of it), so the
    share it adds to a run is printed apart from the rest.
    """
    from diplowatch.flows.config import load_config
    from diplowatch.flows.derived import refresh_now

    cfg = load_config(config)
    started = time.perf_counter()
    counts = refresh_now(str(db), cfg, window=(None, None))
    return time.perf_counter() - started, counts["refreshed"]


def baseline(room: Newsroom, count: int) -> tuple[int, float]:
    """`trafilatura.extract` alone over the first `count` articles, one after another."""
    import trafilatura

    trafilatura.extract(room.page_of(0)[1])  # imports and lazy set-up out of the timing
    started = time.perf_counter()
    for i in range(count):
        trafilatura.extract(room.page_of(i)[1])
    return count, count / (time.perf_counter() - started)


def bench(args: argparse.Namespace, pages: list[tuple[str, bytes]]) -> Result:
    from prefect.testing.utilities import prefect_test_harness

    room = Newsroom(pages, args.articles, FEEDS)
    result = Result(args.articles)
    with (
        tempfile.TemporaryDirectory(prefix="diplowatch-bench-") as tmp,
        prefect_test_harness(server_startup_timeout=90),
        serving(room) as server,
    ):
        db = Path(tmp) / "bench.duckdb"
        feeds = room.feeds()
        with MemorySampler() as memory:
            result.wall, result.counts = run_flow(feeds, db, args.config, route_of(server))
        result.seconds = last_seconds(db)
        result.rate = args.articles / result.wall
        result.orchestration = orchestration_of(result.wall, result.seconds)
        result.main_mb = memory.main_kb / 1024
        result.worker_mb = [kb / 1024 for kb in memory.worker_kb.values()]
        result.total_mb = memory.total_kb / 1024

        result.derived, result.derived_articles = copies_events_cost(db, args.config)
        result.second_wall, result.second_counts = run_flow(
            feeds, db, args.config, route_of(server)
        )
        result.second_ratio = result.second_wall / result.wall
        result.hits = dict(server.hits)

    wanted = args.baseline_articles or args.articles
    result.baseline_articles, result.baseline_rate = baseline(room, min(wanted, args.articles))
    result.ratio = result.rate / result.baseline_rate
    return result


# -- output ------------------------------------------------------------------------------------


def command_line() -> str:
    return " ".join([".venv/bin/python", "scripts/bench_pipeline.py", *sys.argv[1:]])


def print_result(r: Result) -> None:
    s = r.seconds
    c = r.counts
    print(
        f"\n== {r.articles} articles: {c.get('extracted', 0)} extracted, {c.get('empty', 0)} "
        f"empty, {c.get('failed', 0)} failed, {c.get('flagged', 0)} flagged, "
        f"{c.get('claims', 0)} claims"
    )
    rows = [
        ("end to end", f"{r.wall:8.2f} s", f"{r.rate:7.1f} articles/s"),
        (
            "trafilatura alone",
            f"{r.articles / r.baseline_rate:8.2f} s",
            f"{r.baseline_rate:7.1f} articles/s  (timed over {r.baseline_articles}, scaled)",
        ),
        ("ratio pipeline/baseline", f"{r.ratio:8.2f} x", ""),
        ("", "", ""),
        ("feeds (wall)", f"{s.get('feeds', 0):8.2f} s", ""),
        ("fetch (wall)", f"{s.get('fetch', 0):8.2f} s", ""),
        ("analyse (wall, overlaps fetch)", f"{s.get('analyse', 0):8.2f} s", ""),
        ("  clean (cpu, all workers)", f"{s.get('clean', 0):8.2f} s", ""),
        ("  flag (cpu, all workers)", f"{s.get('flag', 0):8.2f} s", ""),
        ("  claims (cpu, all workers)", f"{s.get('claims', 0):8.2f} s", ""),
        ("write (wall)", f"{s.get('write', 0):8.2f} s", ""),
        (
            "orchestration",
            f"{r.orchestration:8.2f} s",
            f"{100 * r.orchestration / r.wall:5.1f} % of wall",
        ),
        (
            "copies + events (all again)",
            f"{r.derived:8.2f} s",
            f"{100 * r.derived / r.wall:5.1f} % of wall; {r.derived_articles} articles",
        ),
        ("", "", ""),
        ("peak RSS, flow process", f"{r.main_mb:8.0f} MB", ""),
        (
            "peak RSS, each worker",
            " ".join(f"{mb:.0f}" for mb in r.worker_mb) + " MB",
            f"{len(r.worker_mb)} workers",
        ),
        ("peak RSS, flow + workers", f"{r.total_mb:8.0f} MB", ""),
        ("", "", ""),
        (
            "second run (unchanged feeds)",
            f"{r.second_wall:8.2f} s",
            f"{100 * r.second_ratio:5.1f} % of the first; "
            f"{r.second_counts.get('feeds_unchanged', 0)} feeds 304, "
            f"{r.second_counts.get('new_articles', 0)} new",
        ),
    ]
    for name, value, note in rows:
        print(f"  {name:32} {value:>12}  {note}" if name else "")
    print(f"  server hits: {r.hits}")


def print_sizes(results: list[Result]) -> None:
    print("\n== sizes")
    print(
        f"  {'articles':>8} {'wall s':>8} {'art/s':>7} {'ratio':>6} {'orch %':>7} "
        f"{'flow MB':>8} {'worker MB':>12} {'total MB':>9} {'2nd run %':>9}"
    )
    for r in results:
        workers = "/".join(f"{mb:.0f}" for mb in r.worker_mb)
        print(
            f"  {r.articles:8d} {r.wall:8.2f} {r.rate:7.1f} {r.ratio:6.2f} "
            f"{100 * r.orchestration / r.wall:7.1f} {r.main_mb:8.0f} {workers:>12} "
            f"{r.total_mb:9.0f} {100 * r.second_ratio:9.1f}"
        )


def diplomacy_pages(count: int) -> list[tuple[str, bytes]]:
    """`count` pages cycled from the demo sample's diplomacy stories, as its server renders them.

    The corpus holds no page the flag keeps, so without these the claims stage costs nothing.
    """
    import httpx

    from diplowatch.flows.demo_server import DemoServer

    with DemoServer() as server:
        stories = [a for a in server.articles() if a["diplomacy"]]
        # the sample's origin is a fake host (`.invalid`): fetch through its loopback address
        loopback = f"http://{server.address}"
        rendered = [
            (a["slug"] + ".html", httpx.get(a["url"].replace(server.base_url, loopback)).content)
            for a in stories
        ]
    return [rendered[i % len(rendered)] for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles served (default 2000)")
    parser.add_argument("--sizes", help="comma-separated sizes, each in its own process")
    parser.add_argument(
        "--baseline-articles",
        type=int,
        default=4 * 59,
        help="articles timed for the trafilatura baseline (0: all; default 236 = 4 x 59 pages)",
    )
    parser.add_argument(
        "--flagged-share",
        type=float,
        default=0.0,
        help="mix in the demo sample's diplomacy pages (ours) so that this share of the articles"
        " is flagged and goes through claims (default 0: the corpus pages alone)",
    )
    parser.add_argument("--config", help="a diplowatch config dir (e.g. to try other settings)")
    parser.add_argument("--json", dest="json_out", help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="keep Prefect's INFO logs")
    args = parser.parse_args(argv)

    if not PAGES.is_dir():
        print(f"skipped: no corpus at {PAGES} (the benchmark serves ../shared/corpus/pages)")
        return 0
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if args.sizes:
        results = []
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                cmd = [sys.executable, __file__, "--articles", str(size), "--json", out.name]
                cmd += ["--baseline-articles", str(args.baseline_articles)]
                cmd += ["--flagged-share", str(args.flagged_share)]
                if args.config:
                    cmd += ["--config", args.config]
                subprocess.run(cmd, check=True)
                results.append(Result(**json.loads(Path(out.name).read_text())))
        print_sizes(results)
        print(f"\ncommand: {command_line()}")
        return 0

    pages = [(p.name, p.read_bytes()) for p in sorted(PAGES.glob("*.htm*"))]
    if args.flagged_share > 0:
        pages += diplomacy_pages(round(len(pages) * args.flagged_share / (1 - args.flagged_share)))
    from diplowatch.flows.prefect_runtime import prefect_runtime

    with prefect_runtime():
        result = bench(args, pages)
    print_result(result)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(asdict(result)))
    else:
        print(f"\ncommand: {command_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
