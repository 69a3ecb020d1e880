"""How the commands print: a table for people, csv or json (one object per row) for programs.

A table on a terminal is drawn by rich to the terminal's width, long text wrapped inside its
cell; piped (`| less`, `> file`) it is plain text, one row a line, nothing cut unless the caller
asks for a width. csv and json are verbatim: paragraph breaks kept, lists and maps as JSON, and
rows are written as they come, so a large query streams.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

#: What `--excel` changes in a CSV: a byte-order mark so that a spreadsheet reads UTF-8 (accents)
#: and the semicolon that a French-locale spreadsheet expects between fields.
EXCEL_BOM = "\ufeff"
EXCEL_DELIMITER = ";"


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream is no terminal
        return False


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def verbatim(value: Any) -> str:
    """A value as one CSV or spreadsheet cell: text untouched, lists and maps as JSON."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _cell(value: Any, width: int | None = None) -> str:
    """A value on one line of a plain table: whitespace collapsed, cut at `width` if given."""
    text = " ".join(_cell_text(value).split())
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def write_json_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        record = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        out.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO, *, excel: bool = False
) -> int:
    if excel:
        out.write(EXCEL_BOM)
    writer = csv.writer(out, delimiter=EXCEL_DELIMITER if excel else ",")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([verbatim(v) for v in row])
        n += 1
    return n


def _rows_line(n: int) -> str:
    return f"({n} row{'s' if n != 1 else ''})"


def _plain_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO, width: int | None
) -> None:
    cells = [[_cell(v, width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out.write(line.rstrip() + "\n" + "  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(_rows_line(len(rows)) + "\n")


def _rich_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO, wide: Mapping[str, int]
) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, width=terminal_width(), force_terminal=True, highlight=False)
    # line breaks are kept inside a cell (a claim's URL under its content), other runs of
    # whitespace folded
    cells = [
        ["\n".join(_cell(line) for line in _cell_text(v).split("\n")) for v in row] for row in rows
    ]
    longest = [
        max([len(c)] + [len(line) for r in cells for line in r[i].split("\n")])
        for i, c in enumerate(columns)
    ]
    # only when the table is too wide do the long columns share what the short ones leave
    expand = sum(longest) + 2 * len(columns) > console.width
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=expand)
    for name, size in zip(columns, longest, strict=True):
        ratio = (wide.get(name, 1 if size > 12 else None)) if expand else None
        table.add_column(Text(name), overflow="fold", ratio=ratio, no_wrap=ratio is None and expand)
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))  # text, not markup: "[demand]" stays
    console.print(table)
    console.print(Text(_rows_line(len(rows))))


#: Columns whose text is long, and their share of a terminal's width when the table is too wide.
WIDE_COLUMNS = {
    "content": 4,
    "title": 3,
    "sentence": 4,
    "text": 4,
    "reasons": 3,
    "url": 2,
    "speaker": 2,
    "outlets": 1,
}


def print_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    out: TextIO,
    width: int | None = None,
    *,
    excel: bool = False,
    wide: Mapping[str, int] = WIDE_COLUMNS,
) -> None:
    """A table for people (rich on a terminal, plain when piped), csv or json for programs.

    csv and json stream `rows` as they come; a table reads them all to size its columns.
    `width` cuts a plain table's cells (the demo's summary); a terminal's table wraps instead.
    """
    if fmt == "json":
        write_json_rows(columns, rows, out)
        return
    if fmt == "csv":
        write_csv_rows(columns, rows, out, excel=excel)
        return
    materialized = list(rows)
    if is_terminal(out):
        _rich_table(columns, materialized, out, wide)
    else:
        _plain_table(columns, materialized, out, width)


def counts_line(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items())


def prog() -> str:
    """How to call diplowatch again: from PATH, or from the virtualenv `make` built."""
    if shutil.which("diplowatch"):
        return "diplowatch"
    beside = Path(sys.executable).with_name("diplowatch")
    return os.path.relpath(beside) if beside.exists() else "diplowatch"
