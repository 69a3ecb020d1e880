"""The one exception tree of diplowatch.

    DiplowatchError                 base: anything the tool reports as one clean line
    ├── ConfigError                 a configuration file or value is missing or malformed
    ├── InputError                  a command's input (a file, a JSON line, a date range) is wrong
    ├── FeedError                   a feed was fetched but cannot be used
    │   └── NotAFeedError           the feed URL served an HTML page or other non-feed
    ├── SitemapError                bytes that are no sitemap (not XML, no urlset or index)
    ├── ArchiveError                a CDX answer that cannot be read (not JSON, not rows)
    ├── BackfillError               a past date whose sources could not all be read
    ├── RunError                    a run that could not do its work (no feed answered at all)
    │   └── EngineError             the analysis engine failed (worker processes, Dask cluster)
    ├── AnalysisBudgetError         one article's analysis went over its time budget
    ├── FetchError                  an HTTP fetch failed for good (after its retries)
    │   ├── BlockedURLError         not http/https, no host, a bad port, too long, not a URL
    │   │   └── InternalAddressError    the host is or resolves to a non-public address
    │   ├── ResponseTooLargeError   the body (decompressed) exceeds the configured size cap
    │   ├── HostBudgetError         the host has used up its time budget for this phase
    │   └── HTTPStatusError         a final non-2xx/304 status
    └── StorageError                the DuckDB file cannot be used
        ├── DatabaseMissingError    the file does not exist (read-only commands)
        ├── DatabaseLockedError     another process holds the write lock
        ├── NewerDatabaseError      a newer diplowatch migrated the file: not written to
        ├── RunLockedError          another run is writing the same file (storage/runlock.py)
        └── QueryError              a read-only query failed or tried to write

Expected misses (an empty feed, a page with no extractable text) are not errors: they are logged,
counted and skipped. Errors become one line only at the CLI boundary (`diplowatch.cli`).
Any other exception (a ValueError from a helper given a value outside its contract) is a bug.
"""

from __future__ import annotations


class DiplowatchError(Exception):
    """Base of every error diplowatch raises on purpose."""


class ConfigError(DiplowatchError):
    pass


class InputError(DiplowatchError):
    pass


class FeedError(DiplowatchError):
    def __init__(self, feed: str, message: str) -> None:
        super().__init__(f"{feed}: {message}")
        self.feed = feed


class NotAFeedError(FeedError):
    pass


class FetchError(DiplowatchError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class BlockedURLError(FetchError):
    pass


class InternalAddressError(BlockedURLError):
    """Loopback, private, link-local, multicast, reserved or unspecified: not fetched."""


class HostBudgetError(FetchError):
    """One slow host spends its own time budget, not the run's: its remaining URLs fail."""


class ResponseTooLargeError(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status


class SitemapError(DiplowatchError):
    """Bytes that are no sitemap at all (not XML, or neither a urlset nor a sitemap index)."""


class ArchiveError(DiplowatchError):
    """A CDX answer that cannot be read (not JSON, not a table of rows)."""


class BackfillError(DiplowatchError):
    """A date whose sources could not all be read: it is recorded failed, the backfill stops."""


class RunError(DiplowatchError):
    """A run that could not do its work: it is recorded failed, and Prefect's state is Failed."""


class EngineError(RunError):
    """The engine of the analysis stage failed: a worker process died, a cluster went away."""


class StorageError(DiplowatchError):
    pass


class DatabaseMissingError(StorageError):
    pass


class DatabaseLockedError(StorageError):
    pass


class QueryError(StorageError):
    pass


class NewerDatabaseError(StorageError):
    """The file records migrations this code does not know: a newer diplowatch wrote it."""


class RunLockedError(StorageError):
    """Another run (flow) writes the same database file; this one waited and gave up."""


class AnalysisBudgetError(DiplowatchError):
    """One article's claim analysis went over `analysis.time_budget_seconds`: that article fails
    with this reason, the batch goes on."""
