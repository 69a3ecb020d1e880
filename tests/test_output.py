"""What people see: tables that fit a real terminal (a pty) and plain text when piped."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests import analyst_db

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return analyst_db.build(tmp_path_factory.mktemp("output") / "a.duckdb")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "diplowatch", *args]


def on_terminal(args: list[str], columns: int) -> str:
    """Run the command with its stdout on a pseudo-terminal `columns` wide; what it showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(args, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    return ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 140])
def test_claims_table_fits_the_terminal_and_wraps(db: Path, columns: int) -> None:
    shown = on_terminal(_cli("claims", "--db", str(db)), columns)
    lines = shown.splitlines()
    print(shown)
    assert max(len(line) for line in lines) <= columns
    assert lines[0].split() == ["published", "speaker", "country", "kind", "content"]
    words = " ".join(shown.split())
    for text in ("des sanctions « préventives »", "toute intention", "(claim 2)", "(5 rows)"):
        assert text in words  # wrapped across lines, never cut


def test_readouts_side_by_side_on_a_terminal(db: Path) -> None:
    shown = on_terminal(_cli("readouts", "--db", str(db)), 120)
    assert max(len(line) for line in shown.splitlines()) <= 120
    header = next(line for line in shown.splitlines() if "USA" in line)
    assert header.split() == ["USA", "RUS", "UKR"]
    assert "Appel Biden-Poutine" in shown
    assert "[warning] Joe Biden (avertir)" in shown and "[denial] Kremlin" in shown  # not markup


def test_piped_table_is_one_plain_line_a_row(db: Path) -> None:
    out = subprocess.run(
        _cli("claims", "--db", str(db)), capture_output=True, text=True, check=True
    ).stdout
    assert "\x1b[" not in out
    rows = out.splitlines()[2:-1]
    assert len(rows) == 5
    assert any(re.search(re.escape(analyst_db.KYIV) + r" +2$", row) for row in rows)


def test_piped_readouts_and_formats(db: Path) -> None:
    import csv
    import io
    import json

    plain = subprocess.run(
        _cli("readouts", "--db", str(db)), capture_output=True, text=True, check=True
    ).stdout
    assert plain.startswith("== e1: Appel Biden-Poutine")
    assert [line.strip() for line in plain.splitlines() if line.startswith("  ") and
            not line.startswith("   ")] == ["USA:", "RUS:", "UKR:"]  # fmt: skip
    as_json = subprocess.run(
        _cli("readouts", "--db", str(db), "--format", "json"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    events = [json.loads(line) for line in as_json.splitlines()]
    assert len(events) == 1 and list(events[0]["sides"]) == ["USA", "RUS", "UKR"]
    # the reprint's claims are the original's: each said once
    assert len(events[0]["sides"]["USA"]) == 2
    assert all(c["url"] == analyst_db.CALL for c in events[0]["sides"]["USA"])
    as_csv = subprocess.run(
        _cli("readouts", "--db", str(db), "--format", "csv"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert {r["side"] for r in rows} == {"USA", "RUS", "UKR"} and len(rows) == 5


def test_readouts_of_an_unknown_event(db: Path) -> None:
    done = subprocess.run(
        _cli("readouts", "--db", str(db), "--event", "nope"), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "diplowatch: error: readouts: no event 'nope' (events: e1)"


@pytest.mark.parametrize("columns", [100, 160])
def test_flagged_on_a_terminal_folds_copies(db: Path, columns: int) -> None:
    shown = on_terminal(_cli("flagged", "--db", str(db)), columns)
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert lines[0].split() == ["published", "outlets", "title", "score", "reasons"]
    assert "(2 rows)" in shown and "score 0" not in shown  # 3 flagged articles, one a reprint
    if columns == 160:  # room enough: the reprint's two outlets, one a line
        assert re.search(r"^2021-12-07 +L'Autre Journal +Biden", shown, re.M)
        assert re.search(r"^ +Le Quotidien +", shown, re.M)
