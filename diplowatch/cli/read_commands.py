"""The commands that read: analyze (no database), query, claims, flagged, settings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from diplowatch.cli.output import is_terminal, print_rows, prog
from diplowatch.errors import InputError


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


def _read_only(args: argparse.Namespace, allowed_paths: Sequence[Path] = ()) -> Any:
    from diplowatch.storage import db as storage_db

    # a running flow holds the file only for short writes: wait those out
    # readers: the analysts' copy unless stale or --live, sandboxed (storage/db.py connect_reader)
    path = storage_db.db_path(args.db)
    return storage_db.connect_reader(
        path, live=getattr(args, "live", False), wait=10.0, allowed_paths=allowed_paths
    )


def cmd_query(args: argparse.Namespace) -> int:
    from diplowatch.storage import export

    with _read_only(args) as con:
        cols, rows = export.stream(con, args.sql, limit=args.limit)
        print_rows(cols, rows, args.format, sys.stdout, excel=args.excel)
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from diplowatch.storage import listings

    with _read_only(args) as con:
        cols, rows = listings.claims(
            con,
            actor=args.actor,
            country=args.country,
            kind=args.kind,
            since=args.since,
            until=args.until,
            limit=args.limit,
        )
        if args.format == "table":
            cols, rows = listings.claims_for_people(cols, rows, terminal=is_terminal(sys.stdout))
        print_rows(cols, rows, args.format, sys.stdout, excel=args.excel)
    return 0


def cmd_flagged(args: argparse.Namespace) -> int:
    from diplowatch.storage import listings

    with _read_only(args) as con:
        cols, rows = listings.flagged(con, since=args.since, until=args.until, limit=args.limit)
        if args.format == "table" and is_terminal(sys.stdout):
            cols, rows = listings.flagged_for_people(cols, rows)
        print_rows(cols, rows, args.format, sys.stdout, excel=args.excel)
    return 0


def cmd_readouts(args: argparse.Namespace) -> int:
    from diplowatch.cli.views import print_readouts
    from diplowatch.storage.listings import event_ids, has_events
    from diplowatch.storage.readouts import readouts

    with _read_only(args) as con:
        if not has_events(con):
            raise InputError(
                f"{con_path(args)}: no events table yet (a database written before events: "
                "`diplowatch reprocess` brings it up to date)"
            )
        events = readouts(con, event_id=args.event, since=args.since, until=args.until)
        if args.event is not None and not events and args.event not in event_ids(con):
            known = event_ids(con)
            raise InputError(
                f"readouts: no event {args.event!r} (events: {', '.join(known) or 'none'})"
            )
    print_readouts(events, args.format, sys.stdout, excel=args.excel)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from diplowatch.cli.views import print_article
    from diplowatch.storage.articles_read import load_article

    with _read_only(args) as con:
        article = load_article(con, args.url)
    print_article(article, args.claim, sys.stdout)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from diplowatch.storage import export

    out = Path(args.out)
    with _read_only(args, export.targets(args.format, out, excel=args.excel)) as con:
        n = export.export(con, args.format, out, table=args.table, sql=args.query, excel=args.excel)
    print(f"{out}: {n} row{'s' if n != 1 else ''} ({args.format})", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from diplowatch.report import write_report

    with _read_only(args) as con:
        stats = write_report(con, Path(args.out), since=args.since, until=args.until)
    print(stats.line())
    return 0


def demo_report(db: str) -> None:
    """The end of `diplowatch demo`: the report beside the database, and one event's readouts."""
    from diplowatch.cli.views import print_readouts
    from diplowatch.report import write_report
    from diplowatch.storage.listings import has_events
    from diplowatch.storage.readouts import readouts

    out = Path(db).with_name(Path(db).stem + "-report.html")
    with _read_only(argparse.Namespace(db=db)) as con:
        stats = write_report(con, out)
        events = readouts(con) if has_events(con) else []
    print(f"\nReport: {stats.line()}")
    if events:
        print(f"\nWhat each side said of one event (all of them: {prog()} readouts --db {db}):")
        # the event told by most articles, then by most sides: each side's own account of it
        shown = max(events, key=lambda ev: (ev.articles, len(ev.speaking_sides)))
        print_readouts([shown], "table", sys.stdout)


def con_path(args: argparse.Namespace) -> str:
    from diplowatch.storage import db as storage_db

    return str(storage_db.db_path(args.db))


def cmd_settings(args: argparse.Namespace) -> int:
    from diplowatch.settings.schema import describe_settings

    for name, kind, value, help_text in describe_settings(args.cfg.settings):
        print(f"{name} = {value!r}  ({kind})\n    {help_text}")
    return 0
