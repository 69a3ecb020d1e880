#!/usr/bin/env python3
"""Replay benchmark of the daily flow against trafilatura alone, in the same run.

    .venv/bin/python scripts/bench_pipeline.py [--articles 2000] [--sizes 2000,4000]
        [--flagged-share 0.1] [--baseline-articles 236] [--dask tcp://HOST:8786] [--config DIR]

Users backfill months of news on a laptop, and trafilatura's cleaning is the floor cost of every
article, so the pipeline is judged by its throughput relative to `trafilatura.extract` over the
same HTML, measured in the same process and the same minutes (the machine's noise weighs on both).

- Serves the 59 real pages of ../shared/corpus/pages (read at run time, never copied into the
  project; without them it says so and exits 0) from a loopback threaded HTTP server under N
  URLs (article i is page i mod 59), with 20 RSS feeds listing them that carry an ETag and answer
  304 to it. `--flagged-share` (default 0.1, one story in ten, what a day of diplomacy news looks
  like) mixes in the demo sample's diplomacy stories so that share goes through claims.
- Runs the real `flows.daily.daily` into a fresh DuckDB file under a temporary Prefect server,
  timed from outside; then again over the unchanged feeds (all 304): the second, idle run.
- Times `trafilatura.extract` alone, one page after another in this process, over the first
  `--baseline-articles` articles (default 236 = 4 rounds of the 59 pages), or all with 0.
- Samples the resident memory of this process and of its worker processes every 0.1 s.

Stage figures come from the run's `runs.seconds`: fetch, analyse, write and write wait are
task-seconds summed over the batch tasks (they overlap); clean, flag and claims are CPU seconds
summed over the workers. Orchestration is the wall time during which none of the run's task
bodies ran (wall - `busy`): flow-run creation, state reports, the flow's own bookkeeping.
`--sizes` runs each size in its own child process (peak memory is not inherited).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench_newsroom import MemorySampler, Newsroom, route_of, serving

ROOT = Path(__file__).resolve().parents[1]

# ../shared beside the checkout; DIPLOWATCH_SHARED points elsewhere (e.g. from a git worktree)
SHARED = Path(os.environ.get("DIPLOWATCH_SHARED") or ROOT.parent / "shared")
PAGES = SHARED / "corpus" / "pages"
FEEDS = 20
RUN_DATE = date(2022, 3, 7)


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
    total_pss_mb: float = 0.0  # shared pages split between their sharers (MemorySampler)
    baseline_articles: int = 0
    baseline_rate: float = 0.0
    baseline_cpu: float = 0.0  # CPU seconds per article, trafilatura alone
    cpu: float = 0.0  # CPU seconds of the whole run: flow process, HTTP server, workers
    engine_cpu: float = 0.0  # of which the engine's processes (forkserver and workers)
    ratio: float = 0.0
    second_wall: float = 0.0
    second_counts: dict[str, int] = field(default_factory=dict)
    second_ratio: float = 0.0
    hits: dict[str, int] = field(default_factory=dict)
    derived: float = 0.0  # copies + events, refreshed again over every article (copies_events_cost)
    derived_articles: int = 0


def run_flow(
    feeds: dict[str, dict[str, Any]],
    db: Path,
    config: str | None,
    dask: str | None,
    route: dict[str, str],
) -> tuple[float, Any]:
    from diplowatch.flows.daily import daily

    started = time.perf_counter()
    counts = daily(
        run_date=RUN_DATE, db=str(db), feeds=feeds, config_dir=config, dask=dask, route=route
    )
    return time.perf_counter() - started, counts


def copies_events_cost(db: Path, config: str | None) -> tuple[float, int]:
    """Seconds to refresh copy groups and events over every stored article, and how many.

    The daily flow already did this for its new articles (inside its wall time); this times it
    again, alone and over the whole file (all articles: the most a run can ask of it), so the
    share it adds to a run is printed apart from the rest.
    """
    from diplowatch.flows.derived import refresh_now
    from diplowatch.settings.loader import load_config

    cfg = load_config(config)
    started = time.perf_counter()
    counts = refresh_now(str(db), cfg, window=(None, None))
    return time.perf_counter() - started, counts["refreshed"]


def last_seconds(db: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT seconds FROM runs ORDER BY started DESC LIMIT 1").fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def baseline(room: Newsroom, count: int) -> tuple[int, float, float]:
    """`trafilatura.extract` alone over the first `count` articles, one after another:
    articles per second of wall time, and CPU seconds per article."""
    import trafilatura

    trafilatura.extract(room.page_of(0)[1])  # imports and lazy set-up out of the timing
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        trafilatura.extract(room.page_of(i)[1])
    return count, count / (time.perf_counter() - started), (time.process_time() - cpu) / count


def cpu_seconds() -> float:
    """CPU of this process so far (its threads: the flow's and the HTTP server's)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


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
            cpu = cpu_seconds()
            result.wall, result.counts = run_flow(
                feeds, db, args.config, args.dask, route_of(server)
            )
            result.cpu = cpu_seconds() - cpu
        # the engine's processes are not our children (the forkserver's): the sampler's last
        # look at each, at most 0.1 s before it ended
        result.engine_cpu = sum(memory.worker_cpu.values())
        result.cpu += result.engine_cpu
        result.seconds = last_seconds(db)
        result.rate = args.articles / result.wall
        result.orchestration = max(0.0, result.wall - result.seconds.get("busy", result.wall))
        result.main_mb = memory.main_kb / 1024
        result.worker_mb = [kb / 1024 for kb in memory.worker_kb.values()]
        result.total_mb = memory.total_kb / 1024
        result.total_pss_mb = memory.total_pss_kb / 1024

        result.derived, result.derived_articles = copies_events_cost(db, args.config)
        result.second_wall, result.second_counts = run_flow(
            feeds, db, args.config, args.dask, route_of(server)
        )
        result.second_ratio = result.second_wall / result.wall
        result.hits = dict(server.hits)

    wanted = args.baseline_articles or args.articles
    result.baseline_articles, result.baseline_rate, result.baseline_cpu = baseline(
        room, min(wanted, args.articles)
    )
    result.ratio = result.rate / result.baseline_rate
    return result


# -- output ------------------------------------------------------------------------------------


def command_line() -> str:
    return " ".join([".venv/bin/python", "scripts/bench_pipeline.py", *sys.argv[1:]])


def clean_note(r: Result) -> str:
    """Cleaning CPU per page against trafilatura's wall time per page alone (1 core, no noise)."""
    pages = r.counts.get("extracted", 0) + r.counts.get("empty", 0)
    if not pages or not r.baseline_rate:
        return ""
    per_page = r.seconds.get("clean", 0.0) / pages
    return f"{per_page * 1000:.1f} ms/page = {per_page / r.baseline_cpu:.2f} x trafilatura's CPU"


def writer_note(r: Result) -> str:
    write = r.seconds.get("write", 0.0)
    return f"{r.articles / write:.0f} articles/s for the single writer" if write else ""


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
        (
            "CPU per article",
            f"{1000 * r.cpu / r.articles:8.1f} ms",
            f"all processes; trafilatura alone {1000 * r.baseline_cpu:.1f} ms",
        ),
        (
            "  of which the engine",
            f"{1000 * r.engine_cpu / r.articles:8.1f} ms",
            "forkserver and workers; the rest is the flow process and the test server",
        ),
        ("", "", ""),
        ("feeds (wall)", f"{s.get('feeds', 0):8.2f} s", ""),
        ("fetch (task-seconds)", f"{s.get('fetch', 0):8.2f} s", "overlaps the analysis"),
        ("analyse (task-seconds)", f"{s.get('analyse', 0):8.2f} s", "waiting for the engine"),
        ("  clean (cpu, all workers)", f"{s.get('clean', 0):8.2f} s", clean_note(r)),
        ("  flag (cpu, all workers)", f"{s.get('flag', 0):8.2f} s", ""),
        ("  claims (cpu, all workers)", f"{s.get('claims', 0):8.2f} s", ""),
        ("write (task-seconds)", f"{s.get('write', 0):8.2f} s", writer_note(r)),
        ("write wait (task-seconds)", f"{s.get('write wait', 0):8.2f} s", ""),
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
            f"{len(r.worker_mb)} processes: the forkserver and its workers",
        ),
        ("peak RSS, flow + workers", f"{r.total_mb:8.0f} MB", "pages they share counted in each"),
        ("peak PSS, flow + workers", f"{r.total_pss_mb:8.0f} MB", "shared pages counted once"),
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
        f"{'flow MB':>8} {'worker MB':>16} {'RSS MB':>7} {'PSS MB':>7} {'2nd run %':>9}"
    )
    for r in results:
        workers = "/".join(f"{mb:.0f}" for mb in r.worker_mb)
        print(
            f"  {r.articles:8d} {r.wall:8.2f} {r.rate:7.1f} {r.ratio:6.2f} "
            f"{100 * r.orchestration / r.wall:7.1f} {r.main_mb:8.0f} {workers:>16} "
            f"{r.total_mb:7.0f} {r.total_pss_mb:7.0f} {100 * r.second_ratio:9.1f}"
        )


def diplomacy_pages(count: int) -> list[tuple[str, bytes]]:
    """`count` pages cycled from the demo sample's diplomacy stories, as its server renders them.

    The corpus holds no page the flag keeps, so without these the claims stage costs nothing.
    """
    import httpx

    from diplowatch.demo.server import DemoServer
    from diplowatch.fetch.routing import route_mounts

    with DemoServer() as server:
        stories = [a for a in server.articles() if a["diplomacy"]]
        with httpx.Client(mounts=route_mounts(server.route, sync=True)) as client:
            rendered = [(a["slug"] + ".html", client.get(a["url"]).content) for a in stories]
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
        default=0.1,
        help="mix in the demo sample's diplomacy pages (ours) so that this share of the articles"
        " is flagged and goes through claims (default 0.1; 0: the corpus pages alone)",
    )
    parser.add_argument("--dask", metavar="ADDRESS", help="run the analysis on this Dask cluster")
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
                cmd += ["--dask", args.dask] if args.dask else []
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
    from diplowatch.cli.allocator import limit_malloc_arenas
    from diplowatch.flows.prefect_runtime import prefect_runtime

    limit_malloc_arenas()  # as the CLI does before a flow
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
