"""The commands that read: analyze (no database), query, claims, flagged, settings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from diplowatch.errors import InputError
from diplowatch.flows.cli.output import print_rows


def _read_docs(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    if args.input:
        path = Path(args.input)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read ({exc})") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if (
                not isinstance(doc, dict)
                or "id" not in doc
                or not (isinstance(doc.get("text"), str) or isinstance(doc.get("html"), str))
            ):
                raise InputError(f'{path}:{n}: expected {{"id": ..., "text" or "html": ...}}')
            if doc.get("published"):
                try:
                    date.fromisoformat(doc["published"])
                except (TypeError, ValueError):
                    raise InputError(f"{path}:{n}: published is not YYYY-MM-DD") from None
            yield doc
        return
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        file_doc: dict[str, Any] = {"id": path.name}
        if path.suffix.lower() in (".html", ".htm"):
            file_doc["html"] = data  # bytes: the page's own charset decides
        else:
            file_doc["text"] = data.decode("utf-8", errors="replace")
        if args.published:
            file_doc["published"] = args.published.isoformat()
        yield file_doc


def cmd_analyze(args: argparse.Namespace) -> int:
    from diplowatch.flows.workers import build_analyzer

    docs = list(_read_docs(args))  # read and check all input before the model loads
    analyzer = build_analyzer(args.cfg)
    out: TextIO = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115  # closed below, stdout is not ours to close
    try:
        for result in analyzer.analyze_documents(docs):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            if "error" in result:
                print(f"diplowatch: {result['id']}: {result['error']}", file=sys.stderr)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _read_only(args: argparse.Namespace) -> Any:
    from diplowatch.storage import db as storage_db

    # a running flow holds the file only for short writes: wait those out
    # readers: the analysts' copy unless stale or --live, sandboxed (storage/db.py connect_reader)
    path = storage_db.db_path(args.db)
    return storage_db.connect_reader(path, live=getattr(args, "live", False), wait=10.0)


def cmd_query(args: argparse.Namespace) -> int:
    from diplowatch.storage import queries

    with _read_only(args) as con:
        cols, rows = queries.run_query(con, args.sql)
    print_rows(cols, rows if args.limit is None else rows[: args.limit], args.format, sys.stdout)
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from diplowatch.storage import queries

    with _read_only(args) as con:
        cols, rows = queries.list_claims(
            con,
            actor=args.actor,
            country=args.country,
            kind=args.kind,
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
    print_rows(cols, rows, args.format, sys.stdout)
    return 0


def cmd_flagged(args: argparse.Namespace) -> int:
    from diplowatch.storage import queries

    with _read_only(args) as con:
        cols, rows = queries.flagged_stories(
            con, since=args.since, until=args.until, limit=args.limit
        )
    print_rows(cols, rows, args.format, sys.stdout)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from diplowatch.flows.settings import describe_settings

    for name, kind, value, help_text in describe_settings(args.cfg.settings):
        print(f"{name} = {value!r}  ({kind})\n    {help_text}")
    return 0
