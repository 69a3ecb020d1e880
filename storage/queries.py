"""Read-only queries: the analyst's SQL and the canned ones behind `diplowatch claims` etc.

`run_query` checks with duckdb's own parser that the SQL is one read-only statement before running
it. The CLI also opens the file read-only; this is the second guard, and it gives a clear message
instead of duckdb's "Cannot execute statement of type INSERT in read-only mode".

The third is the connection's sandbox (`storage.db.SANDBOX`): a SELECT may still name a file or a
URL (`read_csv('/etc/passwd')`, `glob`, `read_text`); DuckDB refuses those on a read-only
connection of ours, and `run_query` says so in one line.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb

from diplowatch.errors import QueryError

Rows = tuple[list[str], list[tuple[Any, ...]]]

# duckdb parses SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW and SUMMARIZE as SELECT statements.
_READ_ONLY_TYPES = {duckdb.StatementType.SELECT}
_READ_ONLY_PRAGMAS = {
    "table_info",
    "show_tables",
    "show_tables_expanded",
    "show",
    "database_size",
    "storage_info",
    "version",
    "database_list",
}
# Leading whitespace and comments, which duckdb keeps in a statement's text.
_LEADING_RE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
# EXPLAIN [(options)] [ANALYZE]: what follows is the explained statement.
_EXPLAIN_RE = re.compile(r"^explain\s*(?:\([^)]*\)\s*)?(?:analy[sz]e\b)?", re.IGNORECASE)
_PRAGMA_RE = re.compile(r"^pragma\s+(\w+)", re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise QueryError unless `sql` is exactly one read-only statement."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    stmt = statements[0]
    kind = stmt.type
    text = _LEADING_RE.sub("", stmt.query, count=1)
    if kind in _READ_ONLY_TYPES:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs its statement: what it explains must be read-only too.
        match = _EXPLAIN_RE.match(text)
        if not match:
            raise QueryError("cannot tell what this EXPLAIN explains; write EXPLAIN SELECT ...")
        check_read_only(con, text[match.end() :])
        return
    if kind == duckdb.StatementType.PRAGMA:
        match = _PRAGMA_RE.match(text)
        if match and match.group(1).lower() in _READ_ONLY_PRAGMAS:
            return
        raise QueryError(
            "only read-only PRAGMAs are allowed: " + ", ".join(sorted(_READ_ONLY_PRAGMAS))
        )
    raise QueryError(
        f"read-only queries only (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, "
        f"PRAGMA table_info): refused a {kind.name} statement"
    )


def run_query(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Rows:
    """Run one read-only statement; return (column names, rows). Failures raise QueryError."""
    check_read_only(con, sql)
    try:
        cur = con.execute(sql, params or [])
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if cur.description else []
    except duckdb.Error as exc:
        raise query_error(exc) from exc
    return columns, rows


def query_error(exc: duckdb.Error) -> QueryError:
    """The one line an analyst's failed query gets; the sandbox's refusals say why."""
    if isinstance(exc, duckdb.PermissionException):
        return QueryError(
            f"refused: a query reads the database only, no file, URL or extension "
            f"({_first_line(exc)})"
        )
    if "configuration has been locked" in str(exc):
        return QueryError(f"refused: settings cannot be changed ({_first_line(exc)})")
    return QueryError(_first_line(exc))


def date_filters(
    column: str, since: date | None, until: date | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{column} <= ?")
        params.append(until)
    return where, params


def limit_clause(limit: int | None) -> str:
    if limit is None:
        return ""
    if limit < 0:
        raise QueryError(f"limit must be >= 0, not {limit}")
    return f" LIMIT {int(limit)}"


DISTINCT_CLAIMS = """
    SELECT * EXCLUDE (pick) FROM (
        SELECT c.*, coalesce(a.copy_group, a.url) AS copy_group, a.published,
               row_number() OVER (
                   PARTITION BY coalesce(a.copy_group, a.url),
                                coalesce(c.speaker_actor, c.speaker), c.kind, c.sentence,
                                c.content
                   ORDER BY (a.url = coalesce(a.copy_group, a.url)) DESC, a.published,
                            a.fetched, a.url, c.idx
               ) AS pick
        FROM claims c JOIN articles a USING (url)
    ) WHERE pick = 1
"""

_COUNT_BY = {
    "country": "speaker_country",
    "kind": "kind",
    "actor": "speaker_actor",
}


def claim_counts(
    con: duckdb.DuckDBPyConnection,
    by: str = "country",
    since: date | None = None,
    until: date | None = None,
) -> Rows:
    """Claims per speaker country, kind or actor, each counted once per copy group.

    Columns: the key, `claims` (once per copy group), `copies` (every copy counted), busiest
    first. since/until apply to the article's published date.
    """
    if by not in _COUNT_BY:
        raise QueryError(f"count claims by one of {', '.join(_COUNT_BY)}, not {by!r}")
    column = _COUNT_BY[by]
    where, params = date_filters("published", since, until)
    clause = " WHERE " + " AND ".join(where) if where else ""
    sql = (
        f"WITH once AS ({DISTINCT_CLAIMS}),"
        " every AS (SELECT c.*, a.published FROM claims c JOIN articles a USING (url))"
        f" SELECT k AS {by}, sum(n_once)::BIGINT AS claims, sum(n_all)::BIGINT AS copies FROM ("
        f"  SELECT {column} AS k, count(*) AS n_once, 0 AS n_all FROM once{clause} GROUP BY k"
        "  UNION ALL"
        f"  SELECT {column} AS k, 0, count(*) FROM every{clause} GROUP BY k"
        ") GROUP BY k ORDER BY claims DESC, copies DESC, k NULLS LAST"
    )
    return run_query(con, sql, params + params)


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Headline counts: articles (and by status), flagged stories, claims, runs.

    `copy_groups`: distinct dispatches among the articles; `claims_once`: claims counted once
    per copy group (DISTINCT_CLAIMS); `events`: events of flagged stories.
    """
    row = con.execute(
        f"""
        SELECT
            (SELECT count(*) FROM articles),
            (SELECT count(*) FROM articles WHERE status = 'extracted'),
            (SELECT count(*) FROM articles WHERE status = 'empty'),
            (SELECT count(*) FROM articles WHERE status = 'failed'),
            (SELECT count(*) FROM flags WHERE relevant),
            (SELECT count(*) FROM claims),
            (SELECT count(*) FROM runs),
            (SELECT count(DISTINCT coalesce(copy_group, url)) FROM articles),
            (SELECT count(*) FROM ({DISTINCT_CLAIMS})),
            (SELECT count(*) FROM events)
        """
    ).fetchone()
    keys = (
        "articles",
        "extracted",
        "empty",
        "failed",
        "flagged",
        "claims",
        "runs",
        "copy_groups",
        "claims_once",
        "events",
    )
    values = row if row is not None else (0,) * len(keys)
    return {key: int(value) for key, value in zip(keys, values, strict=True)}
