"""Two runs on one file: the second waits for the first, or stops in one line naming it.

Real processes hold and take the lock (`storage/runlock.py`, an flock on NAME.lock).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from diplowatch.errors import RunLockedError, StorageError
from diplowatch.storage.runlock import lock_path, run_lock

HOLD = textwrap.dedent(
    """
    import sys
    from diplowatch.storage.runlock import run_lock
    with run_lock(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()  # until the test closes our stdin (or kills us)
    print("released", flush=True)
    """
)

TAKE = textwrap.dedent(
    """
    import sys
    from diplowatch.errors import RunLockedError, StorageError
    from diplowatch.storage.runlock import run_lock
    try:
        with run_lock(sys.argv[1], wait=float(sys.argv[2])):
            print("acquired", flush=True)
    except RunLockedError as exc:
        print(exc, flush=True)
        sys.exit(3)
    """
)


class Holder:
    """Another process holding the run lock of a database until told to let go."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline() == "held\n"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        assert self.proc.stdout.readline() == "released\n"
        self.proc.wait()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "news.duckdb"


@pytest.fixture
def holder(db: Path) -> Iterator[Holder]:
    h = Holder(db)
    try:
        yield h
    finally:
        if h.proc.poll() is None:
            h.kill()
        for stream in (h.proc.stdin, h.proc.stdout):
            if stream is not None:
                stream.close()


def take(db: Path, wait: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TAKE, str(db), str(wait)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_second_run_stops_in_one_line_naming_the_file_and_the_holder(
    db: Path, holder: Holder
) -> None:
    done = take(db, 0.3)
    assert done.returncode == 3
    line = done.stdout
    assert line.count("\n") == 1
    assert line.startswith(f"{db}: another run (pid {holder.pid}) is writing this database")
    assert str(lock_path(db)) in line and "storage.run_lock_wait" in line


def test_the_second_run_waits_for_the_first_to_end(db: Path, holder: Holder) -> None:
    waiting = subprocess.Popen(
        [sys.executable, "-c", TAKE, str(db), "120"], stdout=subprocess.PIPE, text=True
    )
    try:
        holder.release()
        out, _ = waiting.communicate()
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    assert (waiting.returncode, out) == (0, "acquired\n")


def test_a_killed_run_leaves_no_stale_lock(db: Path, holder: Holder) -> None:
    holder.kill()
    done = take(db, 0)
    assert (done.returncode, done.stdout) == (0, "acquired\n")
    assert lock_path(db).exists()  # the file stays; only its lock went with the process


def test_the_lock_is_reentrant_within_a_process_and_exclusive_across(db: Path) -> None:
    with run_lock(db), run_lock(db):  # a flow and its subflow (a backfill's date)
        done = take(db, 0)
        assert done.returncode == 3 and f"pid {os.getpid()}" in done.stdout
    with run_lock(db, wait=0):  # let go by the outermost block
        pass


def test_the_holder_s_pid_is_in_the_lock_file_while_it_runs(db: Path) -> None:
    with run_lock(db):
        assert lock_path(db).read_text() == f"{os.getpid()}\n"
    assert lock_path(db).read_text() == ""


def test_a_lock_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        pytest.raises(StorageError, match="cannot create the run lock") as info,
        run_lock(blocker / "news.duckdb"),
    ):
        pass
    assert "\n" not in str(info.value)


def test_the_cli_refuses_a_second_flow_before_prefect_starts(
    db: Path, holder: Holder, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text("[storage]\nrun_lock_wait = 0.2\n", encoding="utf-8")
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("diplowatch")),
            "reprocess",
            "--db",
            str(db),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"diplowatch: error: {db}: another run (pid {holder.pid})")
    assert not db.exists()  # it stopped before anything opened the database


def test_run_locked_is_a_storage_error() -> None:
    assert issubclass(RunLockedError, StorageError)


def test_a_flow_started_without_the_cli_takes_the_lock_too(
    db: Path, holder: Holder, config_dir: Path, prefect_harness: None
) -> None:
    """As `serve`'s scheduled runs are: Prefect's runner calls the flow, no CLI around it."""
    from datetime import date

    from diplowatch.flows.daily import daily

    settings = config_dir / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "\n[storage]\nrun_lock_wait = 0.2\n",
        encoding="utf-8",
    )
    state = daily(
        run_date=date(2021, 12, 7),
        db=str(db),
        config_dir=str(config_dir),
        feeds={},
        return_state=True,
    )
    assert state.is_failed()
    assert f"another run (pid {holder.pid})" in str(state.message)
    assert not db.exists()  # refused before its run was recorded
