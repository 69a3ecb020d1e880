"""Named, recorded schema migrations (in the spirit of sqlite-utils' `migrations`).

Each migration is a function of a connection registered under a name; `_migrations` records the
names applied and when. `migrate` applies the missing ones in registration order, each in its own
transaction, so a failure leaves the file at the last good step. Never edit or rename a migration
once released: add a new one.

Conventions of the schema:
- every TIMESTAMP is UTC, stored naive (callers may pass aware datetimes; writes convert them);
- `articles.url` is the canonical URL, the key of an article everywhere;
- `raw_html` is zlib-compressed (storage.blobs);
- `runs.params` / `runs.counts` are JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

import duckdb

from diplowatch.errors import NewerDatabaseError, StorageError
from diplowatch.storage.transaction import transaction

Migration = Callable[[duckdb.DuckDBPyConnection], None]


class Migrations:
    """An ordered registry of named migrations; `@registry("0001_name")` registers one."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Migration]] = []

    def __call__(self, name: str) -> Callable[[Migration], Migration]:
        def register(fn: Migration) -> Migration:
            if any(existing == name for existing, _ in self._steps):
                raise ValueError(f"duplicate migration name {name!r}")
            self._steps.append((name, fn))
            return fn

        return register

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._steps]

    def __iter__(self) -> Iterator[tuple[str, Migration]]:
        return iter(self._steps)


MIGRATIONS = Migrations()


@MIGRATIONS("0001_initial")
def _initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE feeds (
            feed_id          TEXT PRIMARY KEY,
            url              TEXT NOT NULL,
            outlet           TEXT,
            etag             TEXT,
            last_modified    TEXT,
            last_status      TEXT CHECK (last_status IN ('ok', 'unchanged', 'failed', 'empty')),
            last_http_status INTEGER,
            last_error       TEXT,
            last_items       INTEGER,
            last_checked     TIMESTAMP
        )
        """
    )
    con.execute(
        """
        CREATE TABLE articles (
            url         TEXT PRIMARY KEY,
            outlet      TEXT,
            feed_id     TEXT,
            link        TEXT,
            title       TEXT,
            author      TEXT,
            published   DATE,
            fetched     TIMESTAMP,
            language    TEXT,
            text        TEXT,
            raw_html    BLOB,
            status      TEXT NOT NULL CHECK (status IN ('extracted', 'empty', 'failed')),
            http_status INTEGER,
            error       TEXT,
            attempts    INTEGER NOT NULL DEFAULT 1,
            run_id      TEXT,
            run_date    DATE
        )
        """
    )
    con.execute(
        """
        CREATE TABLE flags (
            url               TEXT PRIMARY KEY,
            relevant          BOOLEAN NOT NULL,
            score             DOUBLE,
            reasons           TEXT[],
            extractor_version TEXT,
            flagged_at        TIMESTAMP
        )
        """
    )
    con.execute(
        """
        CREATE TABLE claims (
            url               TEXT NOT NULL,
            idx               INTEGER NOT NULL,
            speaker           TEXT,
            speaker_actor     TEXT,
            speaker_country   TEXT,
            kind              TEXT NOT NULL,
            cue               TEXT,
            addressee         TEXT,
            source            TEXT,
            content           TEXT,
            direct            BOOLEAN,
            sentence          TEXT,
            start             INTEGER,
            "end"             INTEGER,
            extractor_version TEXT,
            PRIMARY KEY (url, idx)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE runs (
            run_id      TEXT PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('daily', 'backfill', 'reprocess', 'demo')),
            run_date    DATE,
            flow_run_id TEXT,
            params      TEXT,
            started     TIMESTAMP NOT NULL,
            finished    TIMESTAMP,
            status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
            counts      TEXT,
            error       TEXT
        )
        """
    )


@MIGRATIONS("0002_indexes")
def _indexes(con: duckdb.DuckDBPyConnection) -> None:
    # Point lookups for the canned queries; duckdb's zonemaps already serve range scans.
    con.execute("CREATE INDEX articles_published ON articles (published)")
    con.execute("CREATE INDEX claims_speaker_actor ON claims (speaker_actor)")


@MIGRATIONS("0003_run_seconds")
def _run_seconds(con: duckdb.DuckDBPyConnection) -> None:
    # Seconds spent per stage (fetch, clean, flag, claims, write, orchestration), as JSON text:
    # where a slow run's time went, without a profiler.
    con.execute("ALTER TABLE runs ADD COLUMN seconds TEXT")


@MIGRATIONS("0004_claim_rule")
def _claim_rule(con: duckdb.DuckDBPyConnection) -> None:
    # The rule family that produced each claim ("quote_cue", "reported_que", ...): how precise
    # each rule is can be measured on stored claims. NULL for claims stored before it existed.
    con.execute("ALTER TABLE claims ADD COLUMN rule TEXT")


@MIGRATIONS("0005_article_truncated")
def _article_truncated(con: duckdb.DuckDBPyConnection) -> None:
    # An article whose text or claims were cut by a cap of [analysis]: its claims are those of
    # the part analysed. NULL for articles stored before.
    con.execute("ALTER TABLE articles ADD COLUMN truncated BOOLEAN")


@MIGRATIONS("0006_copy_group")
def _copy_group(con: duckdb.DuckDBPyConnection) -> None:
    # Wire copies: the URL of the earliest copy of the dispatch an article reprints (its own URL
    # when it is a copy of nothing stored). Existing rows start as their own group; the copies
    # refresh (storage.derived) regroups them.
    con.execute("ALTER TABLE articles ADD COLUMN copy_group TEXT")
    con.execute("UPDATE articles SET copy_group = url")


@MIGRATIONS("0007_events")
def _events(con: duckdb.DuckDBPyConnection) -> None:
    # Events (a call, a summit, a round of talks) grouping flagged articles. `event_id` is stable:
    # derived from the earliest article's URL, so a rerun rewrites the same ids. `countries` is a
    # JSON list of ISO3 codes (and NATO, EU, ...) as text.
    con.execute(
        """
        CREATE TABLE events (
            event_id   TEXT PRIMARY KEY,
            title      TEXT,
            first_seen TIMESTAMP,
            last_seen  TIMESTAMP,
            countries  TEXT
        )
        """
    )
    con.execute(
        """
        CREATE TABLE event_articles (
            event_id TEXT NOT NULL,
            url      TEXT NOT NULL,
            PRIMARY KEY (event_id, url)
        )
        """
    )


def applied(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the migrations recorded in this database, oldest first."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMP)"
    )
    rows = con.execute("SELECT name FROM _migrations ORDER BY applied_at, name").fetchall()
    return [row[0] for row in rows]


def refuse_newer(names: Iterable[str], registry: Migrations = MIGRATIONS) -> None:
    """NewerDatabaseError if `names` (a file's applied migrations) holds one `registry` lacks."""
    unknown = sorted(set(names) - set(registry.names))
    if unknown:
        raise NewerDatabaseError(
            f"written by a newer diplowatch (unknown migration {', '.join(unknown)}); "
            "not written to: upgrade diplowatch, or give another --db"
        )


def migrate(con: duckdb.DuckDBPyConnection, registry: Migrations = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet recorded, in order, one transaction each; return their names.

    A database that records a migration this registry does not know was written by a newer
    diplowatch: NewerDatabaseError, before anything is written (its schema may have moved on in
    ways this code would break, and once written to it could no longer say who wrote it last).
    """
    done = set(applied(con))
    refuse_newer(done, registry)
    new: list[str] = []
    for name, step in registry:
        if name in done:
            continue
        try:
            with transaction(con):
                step(con)
                con.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    [name, datetime.now(UTC).replace(tzinfo=None)],
                )
        except duckdb.Error as exc:
            raise StorageError(f"migration {name} failed: {exc}") from exc
        new.append(name)
    return new
