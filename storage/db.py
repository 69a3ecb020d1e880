"""Opening the DuckDB file, and transactions; which file a reader opens.

DuckDB lets one process open a file read-write, or any number of processes open it read-only, never
both at once. So a long flow should hold a connection only while it writes (see `session`), and a
second writer gets a clear `DatabaseLockedError` naming the file and the PID holding it, instead of
duckdb's multi-line IOException.

Readers keep out of the writer's way: every read-only connection is sandboxed (`SANDBOX`: no
file, URL or extension besides the database), and read commands open the analysts' copy,
`NAME.read.duckdb` (storage/publish.py), whenever it is as new as the last completed run
(`reader_path`, `connect_reader`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from diplowatch.errors import (
    DatabaseLockedError,
    DatabaseMissingError,
    NewerDatabaseError,
    StorageError,
)
from diplowatch.storage.migrations import migrate, refuse_newer
from diplowatch.storage.transaction import transaction

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "SANDBOX",
    "STORAGE_VERSION",
    "WRITER_MEMORY_LIMIT",
    "check_not_newer",
    "connect",
    "connect_reader",
    "db_path",
    "last_written",
    "read_copy_path",
    "reader_path",
    "session",
    "transaction",  # re-exported: callers and tests import it from here
]

DEFAULT_DB = "data/diplowatch.duckdb"
ENV_VAR = "DIPLOWATCH_DB"

_PID_RE = re.compile(r"\(PID (\d+)\)")
_LOCK_POLL = 0.1  # seconds between attempts while waiting for a lock


def db_path(cli_value: str | None) -> Path:
    """The database file to use: `--db` if given, else $DIPLOWATCH_DB, else `DEFAULT_DB`."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(DEFAULT_DB)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_lock_error(exc: duckdb.Error) -> bool:
    # Not just "lock" in the text: "Could not read block ..." is a corrupt file, not a lock.
    text = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and (
        "could not set lock" in text or "conflicting lock" in text
    )


def _locked_error(path: str | Path, exc: duckdb.Error) -> DatabaseLockedError:
    match = _PID_RE.search(str(exc))
    holder = f"process {match.group(1)}" if match else "another process"
    return DatabaseLockedError(
        f"{path}: database is locked by {holder}; wait for it to finish or stop it"
    )


#: DuckDB's memory limit for read-write connections (the flows'). Measured on 100-row batches
#: of real pages: peak RSS 455 MB at 5,000 rows and 462 MB at 10,000 with it, against 667 MB and
#: growing without it; 64 MB is too little for a batch's checkpoint.
WRITER_MEMORY_LIMIT = "256MB"

#: The DuckDB storage format of the files we create: DuckDB 2 writes its own format by default,
#: which no 1.x tool or notebook opens. v1.1.0 is the oldest that works for us: DuckDB 1.0 cannot
#: read the indexes (primary keys included) that DuckDB 2 writes in the v1.0.0 format ("Failed to
#: deserialize ... field id: 103"); 1.1.3 reads them (tests/test_storage.py opens one in 1.1).
#: DuckDB applies it only when it creates a file: an existing file keeps the format it was
#: written in, both ways (never downgraded, never upgraded), so it is passed on every read-write
#: open, which also keeps the configuration identical for every writer of a file in a process.
STORAGE_VERSION = "v1.1.0"


#: The configuration of every read-only connection: an analyst's SQL reads the database and
#: nothing else. No file, glob or URL (`read_csv('/etc/passwd')`, `read_text`, `glob`, `ATTACH`,
#: `COPY ... TO`), no extension installed or loaded, even implicitly, and no `SET` or `PRAGMA`
#: that could undo any of it. The database file itself stays readable (DuckDB allows the files it
#: opened). Measured on DuckDB 2.0.1 by tests/test_query_sandbox.py.
SANDBOX: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,  # last: the options above are set before the lock
}


def _reader_config(
    allowed_paths: Sequence[Path],
) -> dict[str, str | bool | int | float | list[str]]:
    if not allowed_paths:
        return dict(SANDBOX)
    # completed by allow_writes once the paths are set
    return {
        key: value
        for key, value in SANDBOX.items()
        if key not in ("enable_external_access", "lock_configuration")
    }


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait: float = 0.0,
    allowed_paths: Sequence[Path] = (),
) -> duckdb.DuckDBPyConnection:
    """Open the database file; read-write opens create it and bring its schema up to date.

    Read-only opens are sandboxed (`SANDBOX`). A read-write open of a file that a newer diplowatch
    migrated is refused (`NewerDatabaseError`): writing it could break what that version expects.

    `wait` (seconds, default 0: fail at once) retries while another process holds the lock, so a
    flow that opens the file per batch can queue behind an analyst's short read-only query.
    `allowed_paths` (read-only opens): the files an export may write, and no other; DuckDB takes
    them only while external access is on, so the sandbox is completed after they are set
    (`storage.export.allow_writes`).
    Raises DatabaseMissingError (read-only, no file), DatabaseLockedError, or StorageError.
    """
    in_memory = str(path) == ":memory:"
    if not in_memory:
        file = Path(path)
        if read_only and not file.exists():
            raise DatabaseMissingError(
                f"{path}: no such database file (run `diplowatch run` or `diplowatch demo` "
                "first, or pass --db)"
            )
        if not read_only:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{path}: cannot create directory: {exc}") from exc

    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            # a writer's buffer pool is capped: left at DuckDB's default (80% of RAM) it keeps
            # every checkpointed page of raw HTML cached, and a long backfill's peak grows with
            # the table; readers keep the default, an analyst's query may want the room
            config: dict[str, str | bool | int | float | list[str]] = (
                _reader_config(allowed_paths)
                if read_only
                else {
                    "memory_limit": WRITER_MEMORY_LIMIT,
                    "storage_compatibility_version": STORAGE_VERSION,
                }
            )
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            if read_only and allowed_paths:
                from diplowatch.storage.export import allow_writes  # export imports this module

                allow_writes(con, list(allowed_paths))
            break
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                if time.monotonic() < deadline:
                    time.sleep(_LOCK_POLL)
                    continue
                raise _locked_error(path, exc) from exc
            if "different configuration" in str(exc):
                # duckdb shares one instance per file within a process: no mixing of modes.
                other = "read-write" if read_only else "read-only"
                raise StorageError(
                    f"{path}: already open {other} in this process; close that connection first"
                ) from exc
            raise StorageError(f"{path}: cannot open database: {_first_line(exc)}") from exc

    if not read_only:
        try:
            migrate(con)
        except NewerDatabaseError as exc:
            con.close()
            raise NewerDatabaseError(f"{path}: {exc}") from None
        except BaseException:
            con.close()
            raise
    return con


def check_not_newer(path: str | Path) -> None:
    """Before a flow starts: NewerDatabaseError if a newer diplowatch migrated the file.

    `connect` refuses such a file too, but only when the flow first writes; this answers before
    Prefect starts. A file that cannot be read now (missing, locked by a run, not a database) is
    left to `connect`, which says what is wrong with it.
    """
    file = Path(path)
    if not file.is_file():
        return
    try:
        with duckdb.connect(str(file), read_only=True, config=dict(SANDBOX)) as con:
            names = [row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()]
    except duckdb.Error:
        return
    try:
        refuse_newer(names)
    except NewerDatabaseError as exc:
        raise NewerDatabaseError(f"{path}: {exc}") from None


@contextmanager
def session(
    path: str | Path, *, read_only: bool = False, wait: float = 0.0, checkpoint: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """`connect`, yield, and always close: releases the file lock as soon as the block ends.

    `checkpoint=False` (a run's batch writes): closing leaves what was committed in the
    write-ahead log rather than checkpointing it into the file. A close that checkpoints costs
    more than the batch's own write (0.28 s against 0.17 s for 100 pages into a 2,000-article
    file); the log is read back by the next open, checkpointed when it passes DuckDB's
    `checkpoint_threshold` (16 MB), and by the run's last session, which checkpoints as usual.
    """
    con = connect(path, read_only=read_only, wait=wait)
    if not checkpoint and not read_only:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    try:
        yield con
    finally:
        con.close()


# -- readers ---------------------------------------------------------------------------------

READ_COPY_SUFFIX = ".read.duckdb"


def read_copy_path(path: str | Path) -> Path:
    """The analysts' copy: `data/diplowatch.duckdb` -> `data/diplowatch.read.duckdb`."""
    file = Path(path)
    return file.with_name(file.stem + READ_COPY_SUFFIX)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def last_written(path: str | Path) -> int:
    """When the database file or its write-ahead log last changed (ns since the epoch; 0: never)."""
    file = Path(path)
    return max(_mtime(file), _mtime(file.with_name(file.name + ".wal")))


def _last_completed(path: Path) -> tuple[bool, datetime | None]:
    """(readable now, when the file's last completed run finished: None if none yet).

    Opened read-only with no wait: a writer holding the file means a run is at work, and then the
    copy is what readers should have anyway.
    """
    try:
        with duckdb.connect(str(path), read_only=True, config=dict(SANDBOX)) as con:
            row = con.execute(
                "SELECT max(finished) FROM runs WHERE status = 'completed'"
            ).fetchone()
    except duckdb.Error:  # locked by the writer, no runs table yet, not a database
        return False, None
    value = row[0] if row else None
    return True, value if isinstance(value, datetime) else None


def reader_path(path: str | Path, *, live: bool = False) -> Path:
    """The file a read command should open: the analysts' copy unless it is stale, or `live`.

    The copy is used when it exists and holds the database's last completed run: always when the
    database has not been written since the copy was made (no need to open it), else by comparing
    the two files' last completed runs. While a writer holds the database the copy is used (it is
    the last completed state). Otherwise, and with `live`, the database itself.
    """
    file = Path(path)
    copy = read_copy_path(file)
    if live or str(path) == ":memory:" or not copy.is_file() or copy == file:
        return file
    if _mtime(copy) > last_written(file):
        return copy
    readable, in_db = _last_completed(file)
    if not readable or in_db is None:
        return copy
    _, in_copy = _last_completed(copy)
    return copy if in_copy is not None and in_copy >= in_db else file


def connect_reader(
    path: str | Path,
    *,
    live: bool = False,
    wait: float = 0.0,
    allowed_paths: Sequence[Path] = (),
) -> duckdb.DuckDBPyConnection:
    """A sandboxed read-only connection to `reader_path(path, live=live)`.

    The one call of a read command; raises what `connect` raises.
    """
    return connect(
        reader_path(path, live=live), read_only=True, wait=wait, allowed_paths=allowed_paths
    )
