"""`transaction`: BEGIN ... COMMIT, or ROLLBACK.

A module of its own so that `db` (which migrates the files it opens) and `migrations` (which
writes each step in a transaction) both import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK and re-raise: a write is all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        # duckdb may already have aborted the transaction; the original error matters more.
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
