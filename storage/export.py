"""Rows out of the database: streamed for the read commands, written to files by `export`.

- `stream` runs one checked read-only statement and yields its rows a batch at a time
  (`fetchmany`), stopping at `limit`: `diplowatch query --limit 10` over a large table reads ten.
- `export` writes a table or a query to Parquet or CSV with DuckDB's own `COPY`, or to xlsx;
  the query runs sandboxed, only the export's own file writable (`allow_writes`).
- `group_of` / `first_copy_order`: the SQL of wire-copy groups (storage/listings.py, the report).

A database written before the copy groups existed (no `articles.copy_group`) reads as if every
article were its own group: read-only connections do not migrate.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from diplowatch.errors import InputError, QueryError, StorageError
from diplowatch.storage.queries import check_read_only

Stream = tuple[list[str], Iterator[tuple[Any, ...]]]

FORMATS = ("parquet", "csv", "xlsx")
_BATCH = 500
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
XLSX_MAX_CELL = 32_767  # characters in one cell


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    return bool(row and row[0])


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND NOT starts_with(table_name, '_') ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def group_of(con: duckdb.DuckDBPyConnection, alias: str = "a") -> str:
    """The SQL of an article's copy group: its `copy_group`, or its own URL."""
    if has_column(con, "articles", "copy_group"):
        return f"coalesce({alias}.copy_group, {alias}.url)"
    return f"{alias}.url"


def first_copy_order(con: duckdb.DuckDBPyConnection, alias: str = "a") -> str:
    """ORDER BY of a copy group's articles: the group's own URL (its earliest copy) first."""
    return f"{alias}.url = {group_of(con, alias)} DESC, {alias}.published, {alias}.url"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def stream(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any] | None = None,
    *,
    limit: int | None = None,
    check: bool = True,
) -> Stream:
    """(column names, rows as they are fetched); at most `limit` rows. Failures: QueryError."""
    if check:
        check_read_only(con, sql)
    try:
        cur = con.execute(sql, params or [])
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    columns = [d[0] for d in cur.description] if cur.description else []

    def rows() -> Iterator[tuple[Any, ...]]:
        left = limit
        while left is None or left > 0:
            try:
                batch = cur.fetchmany(_BATCH if left is None else min(_BATCH, left))
            except duckdb.Error as exc:
                raise QueryError(_first_line(exc)) from exc
            if not batch:
                return
            yield from batch
            if left is not None:
                left -= len(batch)

    return columns, rows() if cur.description else iter(())


def export_select(con: duckdb.DuckDBPyConnection, table: str | None, sql: str | None) -> str:
    """The checked SELECT of an export: a known table, or one read-only query."""
    if sql is not None:
        check_read_only(con, sql)
        return sql.strip().rstrip(";")
    known = tables(con)
    if table not in known:
        raise InputError(f"export: no table {table!r} (tables: {', '.join(known)})")
    return f'SELECT * FROM "{table}"'


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def targets(fmt: str, out: Path, *, excel: bool = False) -> list[Path]:
    """The files an export writes through DuckDB: absolute, as `allow_writes` allows them."""
    out = out.resolve()
    if fmt == "xlsx":
        return []  # written by Python, not by DuckDB
    return [out.with_name(out.name + ".part")] if excel else [out]


def allow_writes(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """Let a read-only connection write these files (COPY TO) and touch no other file or URL.

    The query of `export --query` is an analyst's: it may read the database, not the disk.
    DuckDB allows `allowed_paths` only while external access is on, so they are set first, then
    external access is switched off and the configuration locked.
    """
    row = con.execute(
        "SELECT current_setting('enable_external_access'), current_setting('allowed_paths')"
    ).fetchone()
    if row is not None and not row[0] and {str(f) for f in files} <= set(row[1] or []):
        return  # opened sandboxed with these files allowed already
    listed = "[" + ", ".join(_quote(f) for f in files) + "]"
    try:
        if files:
            con.execute(f"SET allowed_paths = {listed}")
        for option in (
            "enable_external_access",
            "autoload_known_extensions",
            "autoinstall_known_extensions",
        ):
            con.execute(f"SET {option} = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:  # a connection locked before: the export file cannot be allowed
        what = ", ".join(map(str, files)) or "no file"
        raise StorageError(
            f"export: cannot sandbox the query ({what}): {_first_line(exc)}"
        ) from exc


def _json_columns(con: duckdb.DuckDBPyConnection, select: str) -> str:
    """`select` with its nested columns (lists, structs, maps) as JSON text, for CSV."""
    try:
        described = con.execute(f"DESCRIBE {select}").fetchall()
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    nested = ("[]", "STRUCT", "MAP", "[")
    parts = []
    for name, type_, *_ in described:
        quoted = '"' + str(name).replace('"', '""') + '"'
        if any(marker in str(type_) for marker in nested):
            parts.append(f"to_json({quoted})::VARCHAR AS {quoted}")
        else:
            parts.append(quoted)
    return f"SELECT {', '.join(parts)} FROM ({select})"


def export(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    out: Path,
    *,
    table: str | None = None,
    sql: str | None = None,
    excel: bool = False,
) -> int:
    """Write a table or a query to `out` as parquet, csv or xlsx; return the rows written.

    CSV is verbatim (paragraph breaks kept, lists as JSON); `excel` adds a byte-order mark and
    `;` between fields, what a French-locale spreadsheet needs to read accents and columns.
    """
    allow_writes(con, targets(fmt, out, excel=excel))
    select = export_select(con, table, sql)
    if fmt == "xlsx":
        return _xlsx(con, select, out)
    out = out.resolve()
    if fmt not in FORMATS:
        raise InputError(f"export: unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if fmt == "csv":
        select = _json_columns(con, select)
        options = "FORMAT csv, HEADER true" + (", DELIMITER ';'" if excel else "")
    else:
        options = "FORMAT parquet"
    target = out.with_name(out.name + ".part") if excel else out
    try:
        row = con.execute(f"COPY ({select}) TO {_quote(target)} ({options})").fetchone()
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if excel:
        _with_bom(target, out)
    return int(row[0]) if row else 0


def _with_bom(source: Path, out: Path) -> None:
    try:
        with source.open("rb") as src, out.open("wb") as dst:
            dst.write("\ufeff".encode())
            shutil.copyfileobj(src, dst)
    except OSError as exc:
        raise StorageError(f"{out}: cannot write ({exc.strerror})") from None
    finally:
        source.unlink(missing_ok=True)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, bytes | bytearray | memoryview):
        value = f"<{len(bytes(value))} bytes>"
    elif isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # stored UTC; a spreadsheet has no time zones
    if isinstance(value, str) and len(value) > XLSX_MAX_CELL:
        value = value[: XLSX_MAX_CELL - 1] + "…"
    return value


def _xlsx(con: duckdb.DuckDBPyConnection, select: str, out: Path) -> int:
    import xlsxwriter

    columns, rows = stream(con, select, check=False)
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_urls": False})
    dated = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamped = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet("export")
    sheet.write_row(0, 0, columns, workbook.add_format({"bold": True}))
    n = 0
    for n, row in enumerate(rows, 1):
        if n > XLSX_MAX_ROWS:
            workbook.close()
            out.unlink(missing_ok=True)
            raise InputError(f"export: more than {XLSX_MAX_ROWS} rows, over what xlsx holds")
        for col, raw in enumerate(row):
            value = _xlsx_value(raw)
            if isinstance(value, datetime):
                sheet.write_datetime(n, col, value, stamped)
            elif isinstance(value, date):
                sheet.write_datetime(n, col, datetime(value.year, value.month, value.day), dated)
            elif isinstance(value, str):
                sheet.write_string(n, col, value, wrapped if "\n" in value else None)
            else:
                sheet.write(n, col, value)
    try:
        workbook.close()
    except OSError as exc:
        raise StorageError(f"{out}: cannot write ({exc.strerror})") from None
    return n
