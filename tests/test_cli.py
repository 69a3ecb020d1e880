"""The `diplowatch` command as a user runs it: demo, query, claims, flagged, settings, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from diplowatch.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """The demo, run once for the module through the CLI, as `make demo` runs it."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    assert main(["demo", "--db", str(db)]) == 0
    return db


def counts(db: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM flags),"
            " (SELECT count(*) FROM claims)"
        ).fetchone()
    assert row is not None
    return row


def test_demo_fills_the_file(demo_db: Path) -> None:
    from diplowatch.demo.server import DemoServer

    with DemoServer() as server:
        sample = server.articles()
    articles, flags, claims = counts(demo_db)
    assert articles == len(sample)
    assert flags == articles  # every sample page yields text, so every article is flagged yes or no
    assert claims > 0
    with duckdb.connect(str(demo_db), read_only=True) as con:
        flagged = con.execute("SELECT count(*) FROM flags WHERE relevant").fetchone()
        runs = con.execute("SELECT kind, status FROM runs").fetchall()
    labelled = sum(1 for a in sample if a["diplomacy"])
    assert flagged is not None and flagged[0] >= labelled - 1
    assert runs == [("demo", "completed")]


def test_demo_twice_adds_nothing(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = counts(demo_db)
    assert main(["demo", "--db", str(demo_db)]) == 0
    assert counts(demo_db) == before
    out = capsys.readouterr().out
    assert "new articles: 0" in out


def test_query_formats(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT status, count(*) AS n FROM articles GROUP BY status ORDER BY status"
    assert main(["query", "--db", str(demo_db), "--format", "json", sql]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and rows[0]["status"] == "extracted" and rows[0]["n"] > 20
    assert main(["query", "--db", str(demo_db), "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "status,n"
    assert main(["query", "--db", str(demo_db), sql]) == 0
    table = capsys.readouterr().out
    assert "status" in table and "extracted" in table and "(1 row)" in table


def test_claims_and_flagged_commands(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["claims", "--db", str(demo_db), "--country", "RUS", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["speaker_country"] == "RUS" for r in rows)
    assert all(r["outlet"] and r["title"] for r in rows)
    assert main(["flagged", "--db", str(demo_db), "--format", "json"]) == 0
    stories = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert stories and all(s["reasons"] for s in stories)


def test_query_refuses_writes(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = counts(demo_db)
    assert main(["query", "--db", str(demo_db), "DELETE FROM claims"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("diplowatch: error:") and len(err.strip().splitlines()) == 1
    assert counts(demo_db) == before


def test_query_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.duckdb"
    assert main(["query", "--db", str(missing), "SELECT 1"]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and len(err.strip().splitlines()) == 1
    assert not missing.exists()


def test_query_while_another_process_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "busy.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert main(["query", "--db", str(db), "SELECT 1"]) == 1
        err = capsys.readouterr().err
        assert str(db) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        time.sleep(0.1)


def test_settings_lists_every_setting_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    from diplowatch.settings.loader import load_config
    from diplowatch.settings.schema import describe_settings

    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    for name, _, value, help_text in describe_settings(load_config().settings):
        assert f"{name} = {value!r}" in out and help_text in out
