"""`diplowatch report`: one self-contained HTML file about a date range, readable offline.

    with storage_db.connect(path, read_only=True) as con:
        stats = write_report(con, Path("report.html"), since=date(2021, 12, 1))

`data.collect` reads what the report shows (flagged stories, claims once per wire-copy group,
events with their readouts, the articles the claims come from), `render` turns it into HTML with
the charts as inline SVG (`charts`), and the file is written whole or not at all.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from diplowatch.errors import StorageError

__all__ = ["ReportStats", "write_report"]


@dataclass(frozen=True)
class ReportStats:
    path: Path
    bytes: int
    seconds: float
    articles: int
    stories: int
    claims: int
    events: int

    def line(self) -> str:
        return (
            f"{self.path}: {self.bytes / 1024:.0f} KiB in {self.seconds:.2f} s "
            f"({self.articles} flagged articles, {self.stories} stories, {self.claims} claims, "
            f"{self.events} events with two sides or more)"
        )


def _db_label(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return Path(str(row[0])).name if row and row[0] else "memory"


def write_report(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    since: date | None = None,
    until: date | None = None,
) -> ReportStats:
    """Write the report of `since`..`until` (publication dates, both included) to `out`."""
    from diplowatch.report.data import collect
    from diplowatch.report.render import render

    began = time.perf_counter()
    data = collect(con, since, until)
    html = render(data, _db_label(con))
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        part.write_text(html, encoding="utf-8")
        part.replace(out)  # a reader never sees half a report
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise StorageError(f"{out}: cannot write the report ({exc.strerror})") from None
    return ReportStats(
        out,
        len(html.encode()),
        time.perf_counter() - began,
        data.articles,
        data.stories,
        len(data.claims),
        len(data.events),
    )
