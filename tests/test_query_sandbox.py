"""`diplowatch query` reads the database and nothing else: no file, URL, extension or setting.

Every case goes through the real CLI (`main`, and one real subprocess) on a real DuckDB file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diplowatch.cli import main
from diplowatch.storage.db import SANDBOX, connect, connect_reader

MARKER = "contenu-secret-7f3a"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "news.duckdb"
    with connect(path) as con:
        con.execute(
            "INSERT INTO articles (url, outlet, status, title) VALUES"
            " ('https://a.test/1', 'Le Test', 'extracted', 'Biden et Poutine')"
        )
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file beside the database that a query must not read."""
    path = tmp_path / "secret.csv"
    path.write_text(f"col\n{MARKER}\n", encoding="utf-8")
    return path


def run(db: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["query", "--db", str(db), sql])
    out, err = capsys.readouterr()
    return status, out, err


HOSTILE = [
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_csv_auto('{secret}')",
    "SELECT * FROM '{secret}'",
    "SELECT * FROM read_blob('{secret}')",
    "SELECT * FROM read_json('{secret}')",
    "SELECT * FROM sniff_csv('{secret}')",
    "SELECT * FROM glob('{dir}/*')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('https://example.com/x.parquet')",
    "SELECT * FROM 'http://127.0.0.1:9/x.csv'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "ATTACH '{dir}/other.duckdb' AS other",
    "COPY articles TO '{dir}/out.csv'",
    "EXPORT DATABASE '{dir}/export'",
    "SET enable_external_access = true",
    "SET memory_limit = '10GB'",
    "RESET enable_external_access",
    "PRAGMA enable_profiling",
    "SELECT * FROM articles; SELECT * FROM read_text('{secret}')",
    "EXPLAIN ANALYZE SELECT * FROM read_text('{secret}')",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_a_query_outside_the_database_is_refused_in_one_line(
    db: Path, secret: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = template.format(secret=secret, dir=secret.parent)
    status, out, err = run(db, sql, capsys)
    assert status == 1
    assert err.startswith("diplowatch: error: ") and err.count("\n") == 1, err
    assert MARKER not in out + err
    assert out == ""
    # nothing written beside the database either
    assert sorted(p.name for p in secret.parent.iterdir()) == ["news.duckdb", "secret.csv"]


def test_a_file_read_says_why(db: Path, secret: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(db, f"SELECT * FROM read_csv('{secret}')", capsys)
    assert status == 1
    assert "reads the database only" in err and str(secret) in err


def test_the_database_itself_is_still_readable(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(db, "SELECT outlet, title FROM articles", capsys)
    assert (status, err) == (0, "")
    assert "Biden et Poutine" in out
    for sql in (
        "SHOW TABLES",
        "DESCRIBE articles",
        "SUMMARIZE articles",
        "PRAGMA table_info('runs')",
    ):
        status, out, err = run(db, sql, capsys)
        assert (status, err) == (0, ""), sql


def test_the_query_connection_is_locked_down(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What `diplowatch query` itself reports of its connection's settings."""
    names = "', '".join(SANDBOX)
    status, out, err = run(
        db, f"SELECT name || '=' || value FROM duckdb_settings() WHERE name IN ('{names}')", capsys
    )
    assert (status, err) == (0, "")
    for line in (
        "enable_external_access=false",
        "autoload_known_extensions=false",
        "autoinstall_known_extensions=false",
        "lock_configuration=true",
    ):
        assert line in out


def test_claims_and_flagged_read_through_the_same_sandbox(db: Path) -> None:
    with connect_reader(db) as con:
        with pytest.raises(Exception, match="disabled by configuration"):
            con.execute("SELECT * FROM read_text('/etc/hostname')")
        row = con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'enable_external_access'"
        ).fetchone()
    assert row == ("false",)


def test_the_issue_s_example_through_the_installed_command(db: Path) -> None:
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("diplowatch")),
            "query",
            "--db",
            str(db),
            "SELECT * FROM read_text('/etc/hostname')",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("diplowatch: error: refused")
    if hostname:  # the path is named, never the content
        assert hostname not in done.stderr.replace("/etc/hostname", "")
