"""DuckDB storage of diplowatch: schema and migrations, writes, canned read-only queries.

Pure DuckDB code: no Prefect, no network. Callers hand in a connection from `connect`.
"""

from diplowatch.storage.blobs import compress, decompress
from diplowatch.storage.db import DEFAULT_DB, connect, db_path, session, transaction
from diplowatch.storage.migrations import MIGRATIONS, migrate
from diplowatch.storage.queries import run_query, summary
from diplowatch.storage.runs import (
    dates_completed,
    finish_run,
    load_feed_states,
    recorded_run,
    save_feed_status,
    save_feed_validators,
    start_run,
)
from diplowatch.storage.writes import iter_stored_pages, known_urls, replace_analysis, save_batch

__all__ = [
    "DEFAULT_DB",
    "MIGRATIONS",
    "compress",
    "connect",
    "dates_completed",
    "db_path",
    "decompress",
    "finish_run",
    "iter_stored_pages",
    "known_urls",
    "load_feed_states",
    "migrate",
    "recorded_run",
    "replace_analysis",
    "run_query",
    "save_batch",
    "save_feed_status",
    "save_feed_validators",
    "session",
    "start_run",
    "summary",
    "transaction",
]
