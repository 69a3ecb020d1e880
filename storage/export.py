"""Rows out of the database for people and programs: the read commands' selects, and exports.

- `stream` runs one checked read-only statement and yields its rows a batch at a time
  (`fetchmany`), stopping at `limit`: `diplowatch query --limit 10` over a large table reads ten.
- `claims` and `flagged` are the selects behind `diplowatch claims` / `flagged`: the text that
  matters first, the `analyze` contract's fields, and wire copies folded (a claim counts once per
  `articles.copy_group`, with the number of copies beside it).
- `export` writes a table or a query to Parquet or CSV with DuckDB's own `COPY`, or to xlsx.

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
from diplowatch.storage.readouts import SIDES, Readout, ReadoutClaim

Stream = tuple[list[str], Iterator[tuple[Any, ...]]]

#: The fields of a claim in the `analyze` contract (DESIGN.md), in its order.
CONTRACT_FIELDS = (
    "speaker",
    "speaker_actor",
    "speaker_country",
    "kind",
    "cue",
    "addressee",
    "source",
    "content",
    "direct",
    "sentence",
    "start",
    "end",
)
#: `diplowatch claims`: what a person reads first, then the contract, then where it comes from.
CLAIM_COLUMNS = (
    "published",
    "outlet",
    "speaker",
    "speaker_country",
    "kind",
    "content",
    *(f for f in CONTRACT_FIELDS if f not in ("speaker", "speaker_country", "kind", "content")),
    "title",
    "url",
    "claim",  # the claim's number in its article: `diplowatch show URL --claim N`
    "copies",  # articles of its copy group that carry the same claim
)
#: The few of them a table on a terminal shows.
CLAIM_TABLE_COLUMNS = ("published", "speaker", "speaker_country", "kind", "content", "url", "claim")
#: Shorter headers for a table that people read (csv and json keep the contract's names).
TABLE_HEADERS = {"speaker_country": "country"}


def claims_for_people(
    columns: list[str], rows: Iterator[tuple[Any, ...]], *, terminal: bool
) -> Stream:
    """The claims' table columns: on a terminal the URL goes under the content, where it wraps
    with it instead of taking a column of its own."""
    keep = [columns.index(c) for c in CLAIM_TABLE_COLUMNS]
    headers = [TABLE_HEADERS.get(columns[i], columns[i]) for i in keep]
    if not terminal:
        return headers, (tuple(r[i] for i in keep) for r in rows)
    content, url, claim = (columns.index(c) for c in ("content", "url", "claim"))
    return headers[:-2], (
        (*(r[i] for i in keep[:-3]), f"{r[content]}\n↳ {r[url]} (claim {r[claim]})") for r in rows
    )


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


def has_events(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the events tables (a read-only open of an older file does not)."""
    return has_column(con, "events", "event_id") and has_column(con, "event_articles", "url")


def event_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_events(con):
        return []
    return [str(r[0]) for r in con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()]


def sides_in_order(readout: Readout) -> dict[str, list[ReadoutClaim]]:
    """A readout's claims by side, USA, RUS, UKR, others: only the sides that spoke."""
    return {side: readout.sides[side] for side in SIDES if readout.sides.get(side)}


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


def _window(column: str, since: date | None, until: date | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{column} <= ?")
        params.append(until)
    return where, params


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"


def claims(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> Stream:
    """Claims newest first, one per copy group (`copies` says in how many articles).

    `actor` is a canonical name (`speaker_actor`), `country` a code, `kind` a lexicon kind: the
    CLI has resolved and checked them. since/until apply to the article's publication date.
    """
    where, params = _window("a.published", since, until)
    if actor:
        where.append("c.speaker_actor = ?")
        params.append(actor)
    if country:
        where.append("c.speaker_country = ?")
        params.append(country)
    if kind:
        where.append("c.kind = ?")
        params.append(kind)
    first_copy = first_copy_order(con)
    same = (
        f"{group_of(con)}, coalesce(c.speaker_actor, c.speaker), c.kind,"
        " lower(regexp_replace(coalesce(c.content, c.sentence), '\\W+', ' ', 'g'))"
    )
    sql = (
        "SELECT a.published, a.outlet, c.speaker, c.speaker_country, c.kind, c.content,"
        ' c.speaker_actor, c.cue, c.addressee, c.source, c.direct, c.sentence, c.start, c."end",'
        f" a.title, c.url, c.idx + 1 AS claim, count(*) OVER (PARTITION BY {same}) AS copies"
        " FROM claims c JOIN articles a USING (url)"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" QUALIFY row_number() OVER (PARTITION BY {same} ORDER BY {first_copy}) = 1"
        " ORDER BY a.published DESC NULLS LAST, c.url, c.idx" + _limit(limit)
    )
    return stream(con, sql, params, check=False)


def flagged_for_people(columns: list[str], rows: Iterator[tuple[Any, ...]]) -> Stream:
    """The flagged stories on a terminal: every outlet that ran one, its URL under its title,
    and the first reasons (the score's own arithmetic left to csv and json)."""
    at = {c: columns.index(c) for c in columns}

    def row(r: tuple[Any, ...]) -> tuple[Any, ...]:
        reasons = [x for x in (r[at["reasons"]] or []) if not x.startswith("score ")]
        return (
            r[at["published"]],
            "\n".join(r[at["outlets"]]),
            f"{r[at['title']]}\n↳ {r[at['url']]}",
            r[at["score"]],
            "\n".join(reasons[:4]),
        )

    return ["published", "outlets", "title", "score", "reasons"], (row(r) for r in rows)


def flagged(
    con: duckdb.DuckDBPyConnection,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
) -> Stream:
    """Flagged stories newest first, one per copy group: the earliest copy, and every outlet."""
    where, params = _window("a.published", since, until)
    group, first_copy = group_of(con), first_copy_order(con)
    sql = (
        "SELECT a.published, a.outlet, a.title, f.score, f.reasons, a.url,"
        " count(*) OVER w AS copies, list(DISTINCT a.outlet) OVER w AS outlets"
        " FROM flags f JOIN articles a USING (url)"
        " WHERE " + " AND ".join(["f.relevant", *where]) + f" WINDOW w AS (PARTITION BY {group})"
        f" QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY {first_copy}) = 1"
        " ORDER BY a.published DESC NULLS LAST, f.score DESC, a.url" + _limit(limit)
    )
    columns, rows = stream(con, sql, params, check=False)
    # the window's list comes in no order: sorted, so a listing is the same from run to run
    return columns, ((*r[:-1], sorted(r[-1] or [])) for r in rows)


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
