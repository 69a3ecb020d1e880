"""How the commands print: a table for people, csv or json (one object per row) for programs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO


def _cell(value: Any, width: int | None = None) -> str:
    text = (
        ""
        if value is None
        else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
    )
    text = " ".join(text.split())
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: TextIO, width: int = 60
) -> None:
    """A table for people, csv or json (one object per row) for programs."""
    if fmt == "json":
        for row in rows:
            out.write(
                json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False)
            )
            out.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
        return
    cells = [[_cell(v, width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out.write(line.rstrip() + "\n" + "  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def counts_line(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items())


def prog() -> str:
    """How to call diplowatch again: from PATH, or from the virtualenv `make` built."""
    if shutil.which("diplowatch"):
        return "diplowatch"
    beside = Path(sys.executable).with_name("diplowatch")
    return os.path.relpath(beside) if beside.exists() else "diplowatch"
