"""The analysts' copy of the database, `NAME.read.duckdb`, published beside it after each run.

DuckDB lets a file be open read-write by one process or read-only by any number, never both: an
analyst's notebook holding the database open would stop the daily write. So readers get a copy of
their own. `publish_read_copy` takes the database's write lock (a run in progress finishes its
write first), checkpoints it so the file holds everything, copies its bytes to a temporary file in
the same folder, checks that the copy opens, and renames it over the previous copy. The rename is
atomic: a reader opening the copy gets the old one or the new one, never half of one, and a reader
that holds the old copy open keeps reading it (its inode lives until it closes it).

Which file a read command opens is `storage.db.reader_path`; `Publisher` publishes every N
steps of a long flow (a backfill's dates), so readers do not wait for its end. A step is a
completed date, not a written batch: the copy then always ends on a completed run, which is
what `reader_path` compares.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from diplowatch.errors import DiplowatchError, StorageError
from diplowatch.storage.db import SANDBOX, last_written, read_copy_path, session

__all__ = ["Publisher", "publish_read_copy"]

#: Seconds a publication waits for the database's write lock (a reader holding it with --live).
PUBLISH_WAIT = 60.0

_log = logging.getLogger("diplowatch.storage.publish")


def _copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def _check(copy: Path) -> None:
    """The copy opens as a database and reads its runs (a truncated copy would not)."""
    with duckdb.connect(str(copy), read_only=True, config=dict(SANDBOX)) as con:
        con.execute("SELECT count(*) FROM runs").fetchone()


def _publish(db: Path, wait: float) -> Path:
    target = read_copy_path(db)
    if target == db:
        raise StorageError(f"{db}: is itself a read copy; publish its database instead")
    if not db.is_file():
        raise StorageError(f"{db}: no such database file to publish")
    if target.is_file() and target.stat().st_mtime_ns > last_written(db):
        return target  # nothing written since the last copy
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with session(db, wait=wait) as con:
            # everything in the file, nothing left in the .wal; nobody writes while we hold it
            con.execute("CHECKPOINT")
            _copy(db, tmp)
        _check(tmp)
        os.replace(tmp, target)
    except duckdb.Error as exc:
        raise StorageError(f"{target}: the copy does not open ({exc})") from exc
    except OSError as exc:
        raise StorageError(f"{target}: cannot write the read copy ({exc.strerror})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def publish_read_copy(
    db_path: str | Path,
    *,
    wait: float = PUBLISH_WAIT,
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
) -> Path | None:
    """Publish `db_path` as `NAME.read.duckdb` beside it; return the copy's path.

    Raises StorageError (one line: a full disk, the lock held past `wait`), unless `log` is given:
    then the failure is a warning on it and None is returned, since the run whose end publishes
    has stored its data already and readers keep the previous copy (or the database itself,
    `reader_path` tells them).
    """
    db = Path(db_path)
    if str(db_path) == ":memory:":
        return None
    try:
        copy = _publish(db, wait)
    except DiplowatchError as exc:
        if log is None:
            raise
        log.warning("read copy not published: %s", exc)
        return None
    (log or _log).info("published %s", copy)
    return copy


class Publisher:
    """Publishes the read copy every `every` steps of a long flow (0: never in between).

    The flow calls `step_done()` after each step it completed (a backfill's date), holding no
    connection.
    """

    def __init__(
        self,
        db_path: str | Path,
        every: int,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> None:
        self.db_path = db_path
        self.every = every
        self.log = log or _log
        self.steps = 0
        self.published = 0

    def step_done(self) -> None:
        self.steps += 1
        due = self.every > 0 and self.steps % self.every == 0
        if due and publish_read_copy(self.db_path, log=self.log) is not None:
            self.published += 1
