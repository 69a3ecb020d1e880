"""The analysts' copy NAME.read.duckdb: published whole and atomically, read by default.

Real DuckDB files, readers in real processes (a DuckDB file lock is per process).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from diplowatch.cli import main
from diplowatch.errors import StorageError
from diplowatch.storage import runs
from diplowatch.storage.db import connect, connect_reader, read_copy_path, reader_path
from diplowatch.storage.publish import Publisher, publish_read_copy

DAY = date(2021, 12, 7)


def add_run(db: Path, *, complete: bool = True, title: str = "un article") -> str:
    """A run that stores one article; left `running` unless `complete`."""
    with connect(db) as con:
        run_id = runs.start_run(con, kind="daily", run_date=DAY, params={})
        con.execute(
            "INSERT INTO articles (url, status, title) VALUES (?, 'extracted', ?)",
            [f"https://a.test/{run_id}", title],
        )
        if complete:
            runs.finish_run(con, run_id, status="completed", counts={})
    return run_id


def articles(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "news.duckdb"
    add_run(path)
    return path


# A reader in its own process (a notebook): opens the copy, answers each line on stdin with the
# count it sees, on the connection it opened first, until stdin closes.
READER = textwrap.dedent(
    """
    import sys
    import duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    for _ in iter(sys.stdin.readline, ""):
        print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
    con.close()
    """
)


class Notebook:
    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def count(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("?\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def notebook(db: Path) -> Iterator[Notebook]:
    publish_read_copy(db)
    nb = Notebook(read_copy_path(db))
    try:
        yield nb
    finally:
        nb.close()


def test_the_copy_is_beside_the_database_and_holds_all_of_it(db: Path) -> None:
    copy = publish_read_copy(db)
    assert copy == db.with_name("news.read.duckdb") == read_copy_path(db)
    with (
        duckdb.connect(str(db), read_only=True) as a,
        duckdb.connect(str(copy), read_only=True) as b,
    ):
        for table in ("articles", "runs", "_migrations", "feeds", "flags", "claims"):
            sql = f"SELECT * FROM {table} ORDER BY ALL"
            assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), table
    # nothing else left beside them: no temporary file, no write-ahead log of the copy
    assert sorted(p.name for p in db.parent.iterdir()) == ["news.duckdb", "news.read.duckdb"]


def test_the_copy_is_replaced_atomically_under_a_reader_holding_the_old_one(
    db: Path, notebook: Notebook
) -> None:
    copy = read_copy_path(db)
    assert notebook.count() == 1
    old_inode = copy.stat().st_ino
    add_run(db)
    add_run(db)
    publish_read_copy(db)  # not delayed: the notebook holds the copy, not the database
    assert copy.stat().st_ino != old_inode  # a new file renamed over the old
    assert notebook.count() == 1  # the notebook still reads the copy it opened
    assert articles(copy) == 3  # a new reader gets the new copy
    later = Notebook(copy)
    try:
        assert later.count() == 3
    finally:
        later.close()


def test_publishing_an_unchanged_database_keeps_the_copy(db: Path) -> None:
    copy = publish_read_copy(db)
    assert copy is not None
    before = copy.stat().st_ino, copy.stat().st_mtime_ns
    publish_read_copy(db)
    assert (copy.stat().st_ino, copy.stat().st_mtime_ns) == before
    add_run(db)
    publish_read_copy(db)
    assert copy.stat().st_ino != before[0]


def test_readers_get_the_copy_while_it_holds_the_last_completed_run(db: Path) -> None:
    copy = read_copy_path(db)
    assert reader_path(db) == db  # no copy yet
    publish_read_copy(db)
    assert reader_path(db) == copy
    assert reader_path(db, live=True) == db
    add_run(db, complete=False)  # a run at work: the copy still holds the last completed one
    assert reader_path(db) == copy
    with connect(db) as con:  # ... and while that run holds the file
        assert reader_path(db) == copy
        con.execute("UPDATE runs SET status = 'completed', finished = now() WHERE finished IS NULL")
    assert reader_path(db) == db  # completed, not yet published: the database itself
    publish_read_copy(db)
    assert reader_path(db) == copy


def test_read_commands_read_the_copy_unless_live(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish_read_copy(db)
    add_run(db, complete=False, title="pas encore publié")
    sql = "SELECT title FROM articles ORDER BY title"
    assert main(["query", "--db", str(db), "--format", "csv", sql]) == 0
    assert "pas encore publié" not in capsys.readouterr().out
    assert main(["query", "--db", str(db), "--live", "--format", "csv", sql]) == 0
    assert "pas encore publié" in capsys.readouterr().out
    for command in ("claims", "flagged"):
        assert main([command, "--db", str(db), "--live"]) == 0


def test_connect_reader_is_read_only(db: Path) -> None:
    publish_read_copy(db)
    with connect_reader(db) as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM articles")
    assert articles(read_copy_path(db)) == 1


def test_a_failed_publication_is_one_line_or_a_warning(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True);"
            " sys.stdin.readline()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        with pytest.raises(StorageError) as info:
            publish_read_copy(db, wait=0.2)
        assert "locked by process" in str(info.value) and "\n" not in str(info.value)
        with caplog.at_level(logging.WARNING):
            assert publish_read_copy(db, wait=0.2, log=logging.getLogger("test")) is None
        assert "read copy not published" in caplog.text
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert not read_copy_path(db).exists()
    assert [p.name for p in db.parent.iterdir()] == ["news.duckdb"]


def test_the_publisher_publishes_every_n_steps(db: Path) -> None:
    publisher = Publisher(db, 2)
    copy = read_copy_path(db)
    publisher.step_done()
    assert not copy.exists()
    publisher.step_done()
    assert copy.exists() and publisher.published == 1
    never = Publisher(db, 0)
    for _ in range(5):
        add_run(db)
        never.step_done()
    assert never.published == 0 and articles(copy) == 1


def test_a_copy_is_never_published_over_its_database(tmp_path: Path) -> None:
    odd = tmp_path / "x.read.duckdb"
    add_run(odd)
    assert read_copy_path(odd) == tmp_path / "x.read.read.duckdb"
    with pytest.raises(StorageError, match="no such database"):
        publish_read_copy(tmp_path / "missing.duckdb")


@pytest.mark.slow
def test_a_notebook_on_the_copy_does_not_hold_up_a_daily_run(
    prefect_harness: None, httpserver: Any, config_dir: Path, tmp_path: Path
) -> None:
    """Two real daily runs over a loopback newsroom; between them a notebook opens the copy and
    keeps it open through the second run, which completes and publishes a new copy."""
    from werkzeug import Request, Response

    from diplowatch.flows.daily import daily
    from tests.flow_fixtures import ARTICLES, page, rss

    listed: list[str] = []

    def feed(_: Request) -> Response:
        items = [(httpserver.url_for(f"/{slug}.html"), slug) for slug in listed]
        return Response(rss("Monde", items), content_type="application/rss+xml")

    httpserver.expect_request("/monde.xml").respond_with_handler(feed)
    for slug in ARTICLES:
        httpserver.expect_request(f"/{slug}.html").respond_with_data(
            page(slug), content_type="text/html"
        )
    feeds = {"test-monde": {"outlet": "Le Quotidien test", "url": httpserver.url_for("/monde.xml")}}
    db = tmp_path / "news.duckdb"
    copy = read_copy_path(db)

    listed += ["appel-biden-poutine", "ligue-1-nantes"]
    daily(run_date=DAY, db=str(db), config_dir=str(config_dir), feeds=feeds)
    assert articles(copy) == 2  # the run published its copy

    nb = Notebook(copy)
    try:
        assert nb.count() == 2
        listed += ["marche-de-noel", "budget-regions"]
        counts = daily(run_date=DAY, db=str(db), config_dir=str(config_dir), feeds=feeds)
        assert isinstance(counts, dict), counts  # a failed run is a Failed state
        assert counts["new_articles"] == 2
        assert nb.count() == 2  # held open all along, on the copy it opened
    finally:
        nb.close()
    assert articles(copy) == articles(db) == 4
    with duckdb.connect(str(copy), read_only=True) as con:
        runs = con.execute("SELECT status FROM runs").fetchall()
    assert runs == [("completed",), ("completed",)]
    assert reader_path(db) == copy
