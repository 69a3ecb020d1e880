"""What the terminal shows of a backfill: progress per date and overall, then a summary table.

The CLI picks a reporter (live bars on a terminal, plain lines otherwise) and hands it to the
backfill flow, which calls it as dates and batches complete. No Prefect here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol, TextIO

#: The counts of one backfilled date, in the order the summary shows them.
COUNTS = (
    "snapshots",  # archived feed copies read
    "sitemaps",  # sitemaps read
    "sources_failed",  # feeds, snapshots or sitemaps that could not be used
    "items_seen",  # items of the date, all sources, before deduplication
    "new_articles",  # of those, not stored yet
    "extracted",
    "empty",
    "failed",
    "archived_pages",  # pages gone live (404/410) and stored from their archived copy
    "flagged",
    "claims",
)


class Reporter(Protocol):
    """What the terminal shows of a backfill: progress per date and overall, then a summary."""

    def begin(self, days: Sequence[date]) -> None: ...
    def day_started(self, day: date, total: int) -> None: ...
    def day_progress(self, day: date, done: int, total: int) -> None: ...
    def day_finished(self, day: date, status: str, counts: dict[str, int]) -> None: ...
    def end(self) -> None: ...


class Summary:
    """Rows of the final summary, one per date, kept by every reporter."""

    def __init__(self) -> None:
        self.rows: dict[date, tuple[str, dict[str, int]]] = {}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        columns = ["date", "status", *COUNTS]
        rows = [
            [day.isoformat(), status, *(counts.get(k, "") for k in COUNTS)]
            for day, (status, counts) in sorted(self.rows.items())
        ]
        return columns, rows


class LineReporter(Summary):
    """Plain progress lines on a stream (stderr when not a terminal), at most one per second."""

    def __init__(self, out: TextIO | None = None, every: float = 1.0) -> None:
        super().__init__()
        self.out = out if out is not None else sys.stderr
        self.every = every
        self._last = 0.0
        self._days: list[date] = []

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def begin(self, days: Sequence[date]) -> None:
        self._days = list(days)
        self._line(f"backfill: {len(days)} dates, {days[0]} to {days[-1]}" if days else "")

    def _overall(self) -> str:
        return f"[{len(self.rows)}/{len(self._days)} dates]"

    def day_started(self, day: date, total: int) -> None:
        self._last = time.monotonic()
        self._line(f"backfill {self._overall()} {day}: {total} new articles to fetch")

    def day_progress(self, day: date, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= self.every or done == total:
            self._last = now
            self._line(f"backfill {self._overall()} {day}: {done}/{total} articles")

    def day_finished(self, day: date, status: str, counts: dict[str, int]) -> None:
        self.rows[day] = (status, counts)
        self._line(f"backfill {self._overall()} {day}: {status}")

    def end(self) -> None:
        pass


class RichReporter(Summary):
    """Two live bars on a terminal: the dates, and the articles of the current date."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console if console is not None else Console(stderr=True),
            transient=False,
        )
        self._overall: Any = None
        self._day: Any = None

    def begin(self, days: Sequence[date]) -> None:
        self.progress.start()
        self._overall = self.progress.add_task("dates", total=len(days))

    def day_started(self, day: date, total: int) -> None:
        if self._day is not None:
            self.progress.remove_task(self._day)
        self._day = self.progress.add_task(f"{day} articles", total=max(total, 1))

    def day_progress(self, day: date, done: int, total: int) -> None:
        if self._day is not None:
            self.progress.update(self._day, completed=done, total=max(total, 1))

    def day_finished(self, day: date, status: str, counts: dict[str, int]) -> None:
        self.rows[day] = (status, counts)
        if self._day is not None:
            self.progress.update(self._day, description=f"{day} {status}")
        self.progress.advance(self._overall)

    def end(self) -> None:
        self.progress.stop()
