"""One writing run per database file: an exclusive lock on `NAME.lock`, held for the whole run.

DuckDB's own lock is held only while a flow writes a batch, so two runs on one file would both
fetch everything and take turns writing. The run lock is an `fcntl.flock` on a file beside the
database, taken before the run starts and released when it ends, or when its process dies in any
way (the kernel drops the lock with the last descriptor: a SIGKILLed run leaves no stale lock).
The holder writes its pid into the file so the one left waiting can name it.

Re-entrant within a process: a flow that holds the lock may run subflows (a backfill's dates)
that take it again; only the outermost release lets go.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from diplowatch.errors import RunLockedError, StorageError

__all__ = ["lock_path", "run_lock"]

_POLL = 0.1  # seconds between attempts while another run holds the lock

# lock files this process holds, with how many blocks hold each
_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def lock_path(db_path: str | Path) -> Path:
    """`data/diplowatch.duckdb` -> `data/diplowatch.lock`."""
    file = Path(db_path)
    return file.with_name(file.stem + ".lock")


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "another process"
    return f"pid {text}" if text.isdigit() else "another process"


@contextmanager
def run_lock(db_path: str | Path, *, wait: float = 0.0) -> Iterator[Path]:
    """Hold the run lock of `db_path` for the block; wait up to `wait` seconds for it.

    Raises RunLockedError naming the lock file and the holder's pid when another run keeps it
    past `wait`, StorageError when the lock file cannot be made. An in-memory database has no
    file to share: nothing is locked.
    """
    if str(db_path) == ":memory:":
        yield Path(str(db_path))
        return
    path = lock_path(db_path)
    key = path.resolve()
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StorageError(f"{path}: cannot create the run lock ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunLockedError(
                        f"{Path(db_path)}: another run ({_holder(fd)}) is writing this database "
                        f"(lock {path}); waited {wait:g} s (setting storage.run_lock_wait)"
                    ) from None
                time.sleep(_POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _held_guard:
            _held[key] = 1
        try:
            yield path
        finally:
            with _held_guard:
                del _held[key]
            # the file stays: removing it would let a third run lock a new inode meanwhile
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock
