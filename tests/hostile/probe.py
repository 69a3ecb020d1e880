"""Running one case of the battery through the daily flow, and reading what it left behind."""

from __future__ import annotations

import contextlib
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tests.hostile.cases import Case
from tests.hostile.server import MARKER

TABLES = ("articles", "feeds", "flags", "claims", "runs")
FILE_CONTENT = "root:x:0:0"  # the first line of /etc/passwd, which a file:// leak would carry
RUN_DATE = date(2021, 12, 7)


def peak_rss_reset() -> None:
    """Start a new peak-RSS window for this process (Linux: /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):  # elsewhere the figure is the process's peak so far
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


@dataclass
class Outcome:
    name: str
    seconds: float
    peak_mb: float
    counts: dict[str, int]
    stored: int  # articles extracted
    failed: int  # articles stored as failed (retried next run)
    problems: list[str] = field(default_factory=list)


Rows = dict[str, list[dict[str, Any]]]


def rows_of(db: Path) -> Rows:
    """Every row of every table, as {column: value}."""
    out: Rows = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for t in TABLES:
            cur = con.execute(f"SELECT * FROM {t}")
            names = [d[0] for d in cur.description or []]
            out[t] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return out


def _texts(value: Any) -> list[str]:
    """A value as text; a BLOB (the stored pages) also decompressed."""
    if isinstance(value, bytes):
        try:
            return [zlib.decompress(value).decode("utf-8", "replace")]
        except zlib.error:
            return [value.decode("utf-8", "replace")]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return [str(value)]


def leaks(rows: Rows) -> list[str]:
    """The internal marker or file content, in any column of any table."""
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            for text in _texts(list(row.values())):
                if MARKER in text:
                    found.append(f"internal marker in {table}")
                if FILE_CONTENT in text:
                    found.append(f"file content in {table}")
    return found


def problems(case: Case, rows: Rows, internal_hits: list[str]) -> list[str]:
    found: list[str] = []
    articles = {r["url"]: r for r in rows["articles"]}
    if len(articles) != len(rows["articles"]):
        found.append("an article stored twice")
    for url in case.good:
        row = articles.get(url)
        if row is None or row["status"] != "extracted":
            why = f"{row['status']}: {row['error']}" if row else "not stored"
            found.append(f"lost {url[:60]} ({why})")
    for url in case.bad:
        row = articles.get(url)
        if row is not None and row["status"] == "extracted":
            found.append(f"stored a page it should not have: {url[:80]}")
    found += leaks(rows)
    errors = [r["error"] for r in rows["articles"]] + [r["last_error"] for r in rows["feeds"]]
    for error in errors:
        if error is not None and ("\n" in error or "Traceback" in error or len(error) > 600):
            found.append(f"error not one short line: {error[:80]!r}")
    if internal_hits:
        found.append(f"internal servers were hit: {internal_hits[:3]}")
    if any(r["status"] != "completed" for r in rows["runs"]):
        found.append("run not completed")
    if case.check:
        found += case.check(rows)
    return sorted(set(found))


def run_daily(
    feeds: dict[str, dict[str, str]], db: Path, config_dir: Path
) -> tuple[dict[str, int], float, float]:
    """The daily flow over `feeds`: its counts, its seconds, the process's peak RSS (MB)."""
    from diplowatch.flows.daily import daily

    peak_rss_reset()
    started = time.perf_counter()
    counts = daily(run_date=RUN_DATE, db=str(db), config_dir=str(config_dir), feeds=feeds)
    # a run where no feed answered is a Failed state, returned: its counts are in `runs`
    return (
        (counts if isinstance(counts, dict) else {}),
        time.perf_counter() - started,
        peak_rss_mb(),
    )


def run_case(case: Case, db: Path, config_dir: Path, internal_hits: list[str]) -> Outcome:
    counts, seconds, peak = run_daily(case.feeds, db, config_dir)
    rows = rows_of(db)
    statuses = [r["status"] for r in rows["articles"]]
    return Outcome(
        case.name,
        seconds,
        peak,
        counts,
        stored=statuses.count("extracted"),
        failed=statuses.count("failed"),
        problems=problems(case, rows, internal_hits),
    )


def table(outcomes: list[Outcome], new: dict[str, bool]) -> str:
    """The README's table: one row per case."""
    lines = [
        "| case | new in 13 | time (s) | peak RSS (MB) | stored | failed | outcome |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for o in outcomes:
        outcome = "held" if not o.problems else "; ".join(o.problems)[:120]
        lines.append(
            f"| {o.name} | {'yes' if new.get(o.name) else ''} | {o.seconds:.1f} | {o.peak_mb:.0f}"
            f" | {o.stored} | {o.failed} | {outcome} |"
        )
    return "\n".join(lines)
