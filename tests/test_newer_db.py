"""A database migrated by a newer diplowatch is not written to: one line, nothing changed.

Reads proceed: a read-only connection cannot harm the file, and migrations only ever add (a
released one is never edited or renamed), so the tables and columns this version reads are
still there; a query that does not fit says so in its own one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from diplowatch.cli import main
from diplowatch.errors import NewerDatabaseError
from diplowatch.storage.db import check_not_newer, connect
from diplowatch.storage.migrations import MIGRATIONS, Migrations, migrate

FUTURE = "0042_from_the_future"


@pytest.fixture
def newer(tmp_path: Path) -> Path:
    """A file of ours, then migrated once more by a version we do not know."""
    path = tmp_path / "news.duckdb"
    with connect(path) as con:
        con.execute("CREATE TABLE future_table (x INTEGER)")
        con.execute(
            "INSERT INTO _migrations VALUES (?, ?)",
            [FUTURE, datetime.now(UTC).replace(tzinfo=None)],
        )
    return path


def snapshot(path: Path) -> tuple[object, ...]:
    with duckdb.connect(str(path), read_only=True) as con:
        return (
            con.execute("SELECT name FROM _migrations ORDER BY name").fetchall(),
            con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall(),
            con.execute("SELECT count(*) FROM runs").fetchone(),
        )


def test_a_write_open_is_refused_naming_the_file_and_the_migration(newer: Path) -> None:
    before = snapshot(newer)
    with pytest.raises(NewerDatabaseError) as info:
        connect(newer)
    message = str(info.value)
    assert message.startswith(f"{newer}: written by a newer diplowatch")
    assert FUTURE in message and "\n" not in message
    assert snapshot(newer) == before


def test_migrate_refuses_before_applying_anything(tmp_path: Path) -> None:
    """Even a migration of ours that is missing is not applied to a file from the future."""
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    try:

        def create(table: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
            def step(c: duckdb.DuckDBPyConnection) -> None:
                c.execute(f"CREATE TABLE {table} (x INTEGER)")

            return step

        old = Migrations()
        old("0001_a")(create("a"))
        migrate(con, old)
        con.execute("INSERT INTO _migrations VALUES ('0007_unknown', now())")
        newer_code = Migrations()
        newer_code("0001_a")(create("a"))
        newer_code("0002_b")(create("b"))
        with pytest.raises(NewerDatabaseError, match="0007_unknown"):
            migrate(con, newer_code)
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "b" not in tables
    finally:
        con.close()


def test_our_own_files_are_not_newer(tmp_path: Path) -> None:
    path = tmp_path / "ours.duckdb"
    connect(path).close()
    check_not_newer(path)
    connect(path).close()  # and opening again applies nothing, refuses nothing
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT name FROM _migrations").fetchall()]
    assert sorted(names) == sorted(MIGRATIONS.names)


def test_reads_proceed(newer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--db", str(newer), "SELECT count(*) AS n FROM articles"]) == 0
    assert main(["claims", "--db", str(newer)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "n" in out


@pytest.mark.parametrize("command", ["run", "reprocess", "backfill", "demo"])
def test_a_flow_command_stops_before_it_starts(
    newer: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(newer)
    extra = ["--since", "2021-12-01", "--until", "2021-12-01"] if command == "backfill" else []
    assert main([command, "--db", str(newer), *extra]) == 1
    _, err = capsys.readouterr()
    assert err.count("\n") == 1
    assert err.startswith(f"diplowatch: error: {newer}: written by a newer diplowatch")
    assert snapshot(newer) == before
