"""Reading a DuckDB file from outside while a run in another process writes it."""

from __future__ import annotations

from pathlib import Path

import duckdb


def stored_now(db: Path) -> int:
    """Articles in the file, read between two of the run's writes (it holds the lock briefly)."""
    if not db.exists():
        return 0
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("SELECT count(*) FROM articles").fetchone()
    except duckdb.Error:  # the run is writing, or the schema is not there yet
        return 0
    return row[0] if row else 0
