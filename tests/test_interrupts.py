"""Ctrl-C and SIGTERM on the `diplowatch` command, as a terminal or a supervisor sends them.

Each test starts the real command in a session of its own and signals its whole process group,
as a terminal does with Ctrl-C. No `PREFECT_API_URL`: the command starts its own temporary
Prefect server, the case where the signal used to reach the server too. Contract: the command
is gone within 5 seconds of the signal, exits 130 (SIGINT) or 143 (SIGTERM), says one line,
`diplowatch: interrupted`, and leaves only whole batches in the DuckDB file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.db_probe import stored_now

pytestmark = pytest.mark.slow

EXIT_WITHIN = 5.0  # seconds after the signal: the contract, not a performance figure
BATCH = 5  # tests/conftest.py's config_dir


def command_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # a Prefect home of the test's own: the temporary server's database is not the user's
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    # the run's own INFO log is not what is tested: what is left is the interrupt's say
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return env


def start(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("diplowatch")), *args],
        env=command_env(tmp_path),
        cwd=tmp_path,  # not the repository: its prefect.toml must not be what quiets Prefect
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def interrupt(child: subprocess.Popen[str], signum: int) -> tuple[float, str, str]:
    """Signal the child's process group; seconds until it exits, its stdout and stderr."""
    sent = time.monotonic()
    os.killpg(child.pid, signum)
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return time.monotonic() - sent, out, err


def wait_for_first_batch(child: subprocess.Popen[str], db: Path) -> None:
    deadline = time.monotonic() + 240
    while stored_now(db) == 0:
        assert child.poll() is None, child.communicate()[1]
        assert time.monotonic() < deadline, "no batch stored in time"
        time.sleep(0.05)


def assert_whole_batches(db: Path, total: int) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        (articles,) = con.execute("SELECT count(*) FROM articles").fetchone() or (0,)
        (unflagged,) = con.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM flags f WHERE f.url = a.url)"
        ).fetchone() or (0,)
        (orphans,) = con.execute(
            "SELECT count(*) FROM claims c WHERE c.url NOT IN (SELECT url FROM articles)"
        ).fetchone() or (0,)
        runs = con.execute("SELECT status, error FROM runs").fetchall()
    assert 0 < articles < total, "the signal must land mid-run"
    assert articles % BATCH == 0  # whole batches of five: nothing half-written
    assert unflagged == 0 and orphans == 0  # each article came with its flag and claims
    assert runs == [("failed", "interrupted")]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_demo_interrupted_mid_run(
    tmp_path: Path, config_dir: Path, signum: signal.Signals, status: int
) -> None:
    from diplowatch.demo.server import DemoServer

    with DemoServer() as demo:
        total = len(demo.articles())
    db = tmp_path / "demo.duckdb"
    child = start(["demo", "--db", str(db), "--config", str(config_dir)], tmp_path)
    wait_for_first_batch(child, db)
    elapsed, _, err = interrupt(child, signum)

    assert child.returncode == status, err
    assert elapsed < EXIT_WITHIN, f"{elapsed:.1f} s to exit"
    assert err.splitlines() == ["diplowatch: interrupted"]
    assert_whole_batches(db, total)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_serve_stopped(
    tmp_path: Path, config_dir: Path, signum: signal.Signals, status: int
) -> None:
    """Ctrl-C at a terminal or SIGTERM from a supervisor: `serve` stops like the flow commands."""
    db = tmp_path / "serve.duckdb"
    child = start(["serve", "--db", str(db), "--config", str(config_dir)], tmp_path)
    serving = threading.Event()
    lines: list[str] = []

    def read_stdout() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line)
            if "diplowatch-daily" in line:  # the deployment is registered and served
                serving.set()

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    if not serving.wait(240):
        child.kill()
        pytest.fail(f"serve did not start: {child.communicate()[1]}")
    time.sleep(1.0)  # into the runner's loop (a signal before it is handled too, differently)
    sent = time.monotonic()
    os.killpg(child.pid, signum)
    try:
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    elapsed = time.monotonic() - sent
    reader.join(5)
    assert child.stdout is not None and child.stderr is not None
    err = child.stderr.read()
    child.stdout.close()
    child.stderr.close()

    assert child.returncode == status, err
    assert elapsed < EXIT_WITHIN, f"{elapsed:.1f} s to exit"
    assert "Traceback" not in err
    assert err.splitlines()[-1:] == ["diplowatch: interrupted"]
