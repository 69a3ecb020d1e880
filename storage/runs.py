"""Runs and feeds: the `runs` rows every flow leaves, and the validators of each feed.

`recorded_run` is the one place a run is started, counted and closed (daily, backfill and
reprocess all go through it): a `running` row on entry, `completed` or `failed` with its reason on
the way out, whatever ended the block. A run killed outright (SIGKILL, power cut) cannot close its
row; the next `recorded_run` on the file finds it by its owner (host, process id and that
process's start time, kept in `params`) and closes it `failed` / `interrupted`.

Feed validators (ETag, Last-Modified) are stored apart from the feed's status: a flow saves them
only once every item they cover is stored (`save_feed_validators`), so a run that dies between
the feed and its items gets the whole feed again next time, not a 304.

Pure DuckDB and the operating system's process table: no Prefect, no network.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from diplowatch.errors import DiplowatchError, StorageError
from diplowatch.storage import db as storage_db
from diplowatch.storage.transaction import transaction

RUN_KINDS = ("daily", "backfill", "reprocess", "demo")
RUN_STATUSES = ("running", "completed", "failed")
FEED_STATUSES = ("ok", "unchanged", "failed", "empty")

#: The error recorded on a run that stopped without closing its row (signal, kill, crash).
INTERRUPTED = "interrupted"

#: Seconds a write waits for an analyst's read-only query to release the file.
WRITE_WAIT = 60.0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utc_naive(value: datetime | None) -> datetime | None:
    """Timestamps are stored as naive UTC; aware datetimes are converted, naive ones kept as is."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def check_choice(value: str, allowed: Sequence[str], what: str) -> None:
    """A status or kind the schema allows, or a one-line StorageError."""
    if value not in allowed:
        raise StorageError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


@contextmanager
def write_step(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction whose duckdb errors surface as one-line StorageErrors saying what failed."""
    try:
        with transaction(con):
            yield con
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageError(f"{what}: {first}") from exc


# -- the process that owns a run -------------------------------------------------------------------


def _process_start(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot), or None if there is no such process.

    Together with the pid it names one process: a pid reused by a later process has another.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22 of proc(5), counted after the name


def this_process() -> dict[str, Any]:
    """Who runs: recorded with each run, so a later run can tell whether it is still alive."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "since": _process_start(pid)}


def owner_alive(owner: Mapping[str, Any]) -> bool:
    """Whether the process that started a run still runs; a run from another host counts alive."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return True
    return _process_start(owner["pid"]) == owner.get("since") is not None


# -- runs -----------------------------------------------------------------------------------------


def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    run_date: date | None,
    params: dict[str, Any],
    flow_run_id: str | None = None,
) -> str:
    """Record a run as 'running' and return its new run_id (a uuid4 string)."""
    check_choice(kind, RUN_KINDS, "run kind")
    run_id = str(uuid.uuid4())
    with write_step(con, f"start_run {kind}"):
        con.execute(
            "INSERT INTO runs (run_id, kind, run_date, flow_run_id, params, started, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'running')",
            [
                run_id,
                kind,
                run_date,
                flow_run_id,
                json.dumps(params, sort_keys=True, default=str),
                _now(),
            ],
        )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
    seconds: dict[str, float] | None = None,
) -> None:
    """Close a run with its final status, counts and per-stage seconds; unknown run_id raises."""
    check_choice(status, RUN_STATUSES, "run status")
    timing = json.dumps({k: round(v, 3) for k, v in seconds.items()}) if seconds else None
    with write_step(con, f"finish_run {run_id}"):
        row = con.execute(
            "UPDATE runs SET status = ?, counts = ?, error = ?, finished = ?, seconds = ?"
            " WHERE run_id = ?",
            [status, json.dumps(counts, sort_keys=True), error, _now(), timing, run_id],
        ).fetchone()
        if not row or row[0] == 0:
            raise StorageError(f"finish_run: no run {run_id}")


def close_dead_runs(
    con: duckdb.DuckDBPyConnection, alive: Callable[[Mapping[str, Any]], bool] = owner_alive
) -> list[str]:
    """Close every `running` row whose process is gone: `failed`, error 'interrupted'.

    A row without a recorded owner (written before owners were recorded) is left alone.
    """
    dead = []
    for run_id, params in con.execute(
        "SELECT run_id, params FROM runs WHERE status = 'running'"
    ).fetchall():
        owner = json.loads(params or "{}").get("owner") if params else None
        if isinstance(owner, dict) and not alive(owner):
            dead.append(run_id)
    if dead:
        with write_step(con, "close_dead_runs"):
            con.execute(
                "UPDATE runs SET status = 'failed', error = ?, finished = ?"
                " WHERE run_id IN (SELECT unnest(?::TEXT[]))",
                [f"{INTERRUPTED} (its process is gone)", _now(), dead],
            )
    return dead


def dates_completed(con: duckdb.DuckDBPyConnection, kind: str) -> set[date]:
    """run_dates of the completed runs of this kind: what a resumed backfill can skip."""
    rows = con.execute(
        "SELECT DISTINCT run_date FROM runs"
        " WHERE kind = ? AND status = 'completed' AND run_date IS NOT NULL",
        [kind],
    ).fetchall()
    return {row[0] for row in rows}


@dataclass
class RunRecord:
    """A run in progress: its id, the counts and seconds it will be closed with, and whether it
    failed without an exception (`fail`: no feed answered, a date's sources unreachable)."""

    run_id: str
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    failure: str | None = None

    def add(self, counts: Mapping[str, int | float], seconds: Mapping[str, float] = {}) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + int(value)
        for key, value in seconds.items():
            self.seconds[key] = self.seconds.get(key, 0.0) + value

    def fail(self, reason: str) -> None:
        self.failure = reason

    @property
    def status(self) -> str:
        return "failed" if self.failure else "completed"


@contextmanager
def recorded_run(
    db_path: str,
    *,
    kind: str,
    run_date: date | None,
    params: dict[str, Any],
    counts: tuple[str, ...],
    flow_run_id: str | None = None,
    interrupted: Callable[[BaseException], bool] = lambda exc: isinstance(exc, KeyboardInterrupt),
) -> Iterator[RunRecord]:
    """Start a run's row, yield its record, and close the row however the block ends.

    Dead runs are closed first. An exception closes the row `failed` with its one-line reason
    (`interrupted` for a signal, as `interrupted` tells) and propagates; an interrupted run waits
    two seconds at most for the file, then leaves its row to the next run rather than turn the
    interrupt into a wait.
    """
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        close_dead_runs(con)
        run_id = start_run(
            con,
            kind=kind,
            run_date=run_date,
            params={**params, "owner": this_process()},
            flow_run_id=flow_run_id,
        )
    record = RunRecord(run_id, dict.fromkeys(counts, 0))
    try:
        yield record
    except BaseException as exc:
        stopped = interrupted(exc)
        reason = INTERRUPTED if stopped else (str(exc).strip() or type(exc).__name__)
        try:
            with storage_db.session(db_path, wait=2.0 if stopped else WRITE_WAIT) as con:
                finish_run(
                    con,
                    run_id,
                    status="failed",
                    counts=record.counts,
                    error=reason.splitlines()[0],
                    seconds=record.seconds,
                )
        except DiplowatchError:
            if not stopped:
                raise
        raise
    with storage_db.session(db_path, wait=WRITE_WAIT) as con:
        finish_run(
            con,
            run_id,
            status=record.status,
            counts=record.counts,
            error=record.failure,
            seconds=record.seconds,
        )


# -- feeds ----------------------------------------------------------------------------------------


def load_feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """feed_id -> (etag, last_modified): the validators for the next conditional GET."""
    rows = con.execute("SELECT feed_id, etag, last_modified FROM feeds").fetchall()
    return {feed_id: (etag, last_modified) for feed_id, etag, last_modified in rows}


def save_feed_status(
    con: duckdb.DuckDBPyConnection,
    *,
    feed_id: str,
    url: str,
    outlet: str,
    status: str,
    http_status: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    items: int = 0,
    error: str | None = None,
    checked_at: datetime,
    validators: bool = True,
) -> None:
    """Upsert the outcome of one feed fetch.

    A 304 ('unchanged') or a failure carries no validators, yet the old ones are still the right
    ones for the next conditional GET: keep them when the new ones are None. After 'ok' or 'empty'
    the server's answer is the truth, even if it dropped its ETag. `validators=False` leaves the
    stored validators alone whatever the status: the flows save them with the items they cover.
    """
    check_choice(status, FEED_STATUSES, f"feed {feed_id} status")
    if validators:
        etag_sql = (
            "CASE WHEN excluded.etag IS NULL AND excluded.last_status IN ('unchanged', 'failed')"
            " THEN f.etag ELSE excluded.etag END"
        )
        modified_sql = (
            "CASE WHEN excluded.last_modified IS NULL"
            " AND excluded.last_status IN ('unchanged', 'failed')"
            " THEN f.last_modified ELSE excluded.last_modified END"
        )
    else:
        etag, last_modified, etag_sql, modified_sql = None, None, "f.etag", "f.last_modified"
    with write_step(con, f"save_feed_status {feed_id}"):
        con.execute(
            f"""
            INSERT INTO feeds AS f (feed_id, url, outlet, etag, last_modified, last_status,
                                    last_http_status, last_error, last_items, last_checked)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (feed_id) DO UPDATE SET
                url = excluded.url,
                outlet = excluded.outlet,
                etag = {etag_sql},
                last_modified = {modified_sql},
                last_status = excluded.last_status,
                last_http_status = excluded.last_http_status,
                last_error = excluded.last_error,
                last_items = excluded.last_items,
                last_checked = excluded.last_checked
            """,
            [
                feed_id,
                url,
                outlet,
                etag,
                last_modified,
                status,
                http_status,
                error,
                items,
                utc_naive(checked_at),
            ],
        )


def save_feed_validators(
    con: duckdb.DuckDBPyConnection, validators: Mapping[str, tuple[str | None, str | None]]
) -> None:
    """Store each feed's (etag, last_modified) as the server last gave them, in one transaction.

    Called once every item those validators cover is stored: from then on a 304 loses nothing.
    """
    if not validators:
        return
    with write_step(con, f"save_feed_validators ({len(validators)} feeds)"):
        for feed_id, (etag, last_modified) in validators.items():
            con.execute(
                "UPDATE feeds SET etag = ?, last_modified = ? WHERE feed_id = ?",
                [etag, last_modified, feed_id],
            )
