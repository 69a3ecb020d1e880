"""The hostile battery (issue 13.9): every bad answer a server gives, through the daily flow.

One hostile loopback server (127.0.0.1, the only allow-listed host) serves every case; internal
servers (127.0.0.1 on another port, 127.0.0.2, ::1) answer with a marker that must never reach
the database. Each case is its own daily run into its own DuckDB file; its time and peak RSS are
measured and printed (`make hostile` prints the whole table), only memory is asserted on.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.hostile.cases import NAMES, OUTLET, SETTINGS, Case, build_cases
from tests.hostile.probe import (
    Outcome,
    peak_rss_mb,
    peak_rss_reset,
    problems,
    rows_of,
    run_case,
    run_daily,
    table,
)
from tests.hostile.server import HostileServer, InternalServers, answer

pytestmark = pytest.mark.slow

MAX_PEAK_MB = 1536  # issue 13: no hostile run above 1.5 GB


class Battery:
    def __init__(self, cases: dict[str, Case], internal: InternalServers, root: Path) -> None:
        self.cases = cases
        self.internal = internal
        self.root = root
        self.config = root / "config"
        self.config.mkdir()
        (self.config / "settings.toml").write_text(SETTINGS, encoding="utf-8")
        self.outcomes: dict[str, Outcome] = {}

    def run(self, name: str) -> Outcome:
        if name not in self.outcomes:
            db = self.root / f"case-{len(self.outcomes)}.duckdb"
            self.outcomes[name] = run_case(self.cases[name], db, self.config, self.internal.hits)
        return self.outcomes[name]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, InternalServers]]:
    with InternalServers() as internal, HostileServer() as hostile:
        yield hostile, internal


@pytest.fixture(scope="module")
def battery(
    prefect_harness: None,
    servers: tuple[HostileServer, InternalServers],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Battery]:
    from diplowatch.flows.workers import shared_nlp

    shared_nlp()  # the spaCy model loaded once, before any case: its seconds are no case's
    hostile, internal = servers
    bat = Battery(build_cases(hostile, internal), internal, tmp_path_factory.mktemp("hostile"))
    yield bat
    order = (*NAMES, BACKFILL_CASE, "all at once")
    ran = [bat.outcomes[n] for n in order if n in bat.outcomes]
    new = {name: case.new for name, case in bat.cases.items()} | {BACKFILL_CASE: True}
    text = table(ran, new)
    print("\n\nHostile inputs: one daily run per case\n\n" + text + "\n")
    if os.environ.get("HOSTILE_TABLE"):  # `make hostile` prints it after pytest's summary
        Path(os.environ["HOSTILE_TABLE"]).write_text(text + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_case(battery: Battery, name: str) -> None:
    outcome = battery.run(name)
    print(
        f"\n{name}: {outcome.seconds:.1f} s, peak RSS {outcome.peak_mb:.0f} MB, "
        f"{outcome.stored} stored, {outcome.failed} failed, counts {json.dumps(outcome.counts)}"
    )
    assert outcome.problems == []
    assert outcome.peak_mb < MAX_PEAK_MB
    assert battery.internal.hits == []


def test_all_at_once(battery: Battery) -> None:
    """Every daily case in one run: the same guarantees, one run's time and memory."""
    feeds = {fid: f for case in battery.cases.values() for fid, f in case.feeds.items()}
    db = battery.root / "all.duckdb"
    counts, seconds, peak = run_daily(feeds, db, battery.config)
    rows = rows_of(db)
    everything = Case("all at once", "every case above", new=True)
    everything.bad = [u for case in battery.cases.values() for u in case.bad]
    found = problems(everything, rows, battery.internal.hits)
    # good pages on the one host may be cut by its time budget, which the trickling pages spend
    # in the batches they share: those are failed with the budget's error, retried next run
    goods = [u for case in battery.cases.values() for u in case.good]
    by_url = {r["url"]: r for r in rows["articles"]}
    lost = [
        u
        for u in goods
        if by_url.get(u, {}).get("status") != "extracted"
        and "time budget" not in str(by_url.get(u, {}).get("error"))
    ]
    statuses = [r["status"] for r in rows["articles"]]
    battery.outcomes["all at once"] = Outcome(
        "all at once",
        seconds,
        peak,
        counts,
        statuses.count("extracted"),
        statuses.count("failed"),
        found + [f"lost {u[:60]}" for u in lost],
    )
    print(f"\nall at once: {seconds:.1f} s, peak RSS {peak:.0f} MB, counts {json.dumps(counts)}")
    assert found == [] and lost == []
    assert peak < MAX_PEAK_MB


BACKFILL_CASE = "nested CDX JSON, deep sitemap (backfill)"


def test_nested_cdx_and_deep_sitemap_fail_their_source_only(
    battery: Battery,
    servers: tuple[HostileServer, InternalServers],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Backfill: a CDX answer 100,000 arrays deep and a sitemap 100,000 elements deep."""
    from diplowatch.cli import main

    hostile, _ = servers
    base = hostile.base
    hostile.route_prefix("/cdx", answer(b"[" * 100_000 + b"]" * 100_000, content_type="text/json"))
    deep = b"<urlset>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</urlset>"
    hostile.route("/deep-sitemap.xml", answer(deep, content_type="application/xml"))
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text(
        SETTINGS + f'\n[backfill]\ncdx_url = "{base}/cdx"\nwayback_url = "{base}/web"\n',
        encoding="utf-8",
    )
    (config / "feeds.toml").write_text(
        f'[feeds.hostile-archive]\noutlet = "{OUTLET}"\nurl = "{base}/archived.xml"\n'
        f'section = "International"\n\n'
        f'[outlets."{OUTLET}"]\nsite = "{base}/"\nsitemap = "{base}/deep-sitemap.xml"\n',
        encoding="utf-8",
    )
    db = tmp_path / "backfill.duckdb"
    args = ["backfill", "--since", "2021-12-07", "--until", "2021-12-07"]
    peak_rss_reset()
    started = time.perf_counter()
    code = main([*args, "--db", str(db), "--config", str(config), "--outlet", OUTLET])
    seconds, peak = time.perf_counter() - started, peak_rss_mb()
    err = capsys.readouterr().err
    found = []
    if "Traceback" in err or "RecursionError" in err:
        found.append("a traceback")
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = con.execute("SELECT status, error FROM runs").fetchall()
    if [status for status, _ in recorded] != ["failed"]:
        found.append(f"runs: {recorded}")
    for _, error in recorded:
        if error is None or "\n" in error or "nested too deeply" not in error:
            found.append(f"not the CDX's one-line error: {error!r}")
    battery.outcomes[BACKFILL_CASE] = Outcome(BACKFILL_CASE, seconds, peak, {}, 0, 0, found)
    print(
        f"\nbackfill exit {code} in {seconds:.1f} s, peak RSS {peak:.0f} MB: {err.strip()[-200:]}"
    )
    assert found == [] and code == 1
