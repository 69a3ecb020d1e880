"""The `diplowatch` command. Errors become one clean line here, and only here."""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from diplowatch.errors import DiplowatchError, InputError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


# -- output ------------------------------------------------------------------------------------


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


# -- commands ----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from diplowatch.flows.daily import daily

    counts = daily(run_date=args.date, db=args.db, config_dir=args.config)
    print(_counts_line(counts))
    # one broken feed never sinks a run; no feed at all answering (no network?) is a failure
    if counts["feeds_failed"] and not counts["feeds_ok"] + counts["feeds_unchanged"]:
        print(
            f"diplowatch: error: all {counts['feeds_failed']} feeds failed (see the log above); "
            "is the network reachable? `diplowatch demo` runs offline",
            file=sys.stderr,
        )
        return 1
    return 0


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items())


def _prog() -> str:
    """How to call diplowatch again: from PATH, or from the virtualenv `make` built."""
    if shutil.which("diplowatch"):
        return "diplowatch"
    beside = Path(sys.executable).with_name("diplowatch")
    return os.path.relpath(beside) if beside.exists() else "diplowatch"


def cmd_demo(args: argparse.Namespace) -> int:
    from diplowatch.flows.daily import daily
    from diplowatch.flows.demo_server import DemoServer
    from diplowatch.storage import db as storage_db
    from diplowatch.storage import queries

    db_path = args.db or "data/demo.duckdb"
    with DemoServer() as server:
        print(f"Serving the offline sample at {server.base_url} ({len(server.feeds())} feeds)")
        counts = daily(
            run_date=date(2021, 12, 7),
            db=db_path,
            config_dir=args.config,
            feeds=server.feeds(),
            kind="demo",
            route=server.route,
        )
    print(_counts_line(counts))
    with storage_db.connect(db_path, read_only=True) as con:
        s = queries.summary(con)
        print(
            f"\n{db_path}: {s['articles']} articles, {s['flagged']} flagged, {s['claims']} claims, "
            f"{s['runs']} runs"
        )
        cols, rows = queries.flagged_stories(con, limit=5)
        print("\nFlagged stories:")
        print_rows(cols, rows, "table", sys.stdout, width=50)
        cols, rows = queries.list_claims(con, limit=8)
        keep = [cols.index(c) for c in ("speaker", "speaker_country", "kind", "cue", "content")]
        print("\nClaims:")
        print_rows(
            [cols[i] for i in keep],
            [[r[i] for i in keep] for r in rows],
            "table",
            sys.stdout,
            width=50,
        )
    print(
        f"\nQuery it: {_prog()} query --db {db_path} "
        '"SELECT kind, count(*) FROM claims GROUP BY kind"'
    )
    return 0


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
    from diplowatch.flows.config import load_config
    from diplowatch.flows.workers import build_analyzer

    if not args.input and not args.files:
        raise InputError("analyze: give FILE... or --input docs.jsonl")
    docs = list(_read_docs(args))  # read and check all input before the model loads
    analyzer = build_analyzer(load_config(args.config))
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
    return storage_db.connect(storage_db.db_path(args.db), read_only=True, wait=10.0)


def cmd_query(args: argparse.Namespace) -> int:
    from diplowatch.storage import queries

    with _read_only(args) as con:
        cols, rows = queries.run_query(con, args.sql)
    print_rows(cols, rows, args.format, sys.stdout)
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
    from diplowatch.flows.config import load_config
    from diplowatch.flows.settings import SETTINGS, get

    cfg = load_config(args.config)
    for s in SETTINGS:
        print(f"{s.name} = {get(cfg.settings, s.name)!r}\n    {s.help}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from diplowatch.flows.backfill import run_backfill_command

    return run_backfill_command(args)


def cmd_reprocess(args: argparse.Namespace) -> int:
    from diplowatch.flows.reprocess import run_reprocess_command

    return run_reprocess_command(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from diplowatch.flows.schedule import serve_daily

    serve_daily(db=args.db, config_dir=args.config)
    return 0


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="DuckDB file (default: $DIPLOWATCH_DB, else data/diplowatch.duckdb)",
    )
    common.add_argument("--config", metavar="DIR", help="a directory of your own *.toml overrides")
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=("table", "csv", "json"), default="table")
    fmt.add_argument("--limit", type=int, help="at most this many rows")

    parser = argparse.ArgumentParser(
        prog="diplowatch",
        description="French-news monitor of US–Russia–Ukraine diplomacy: feeds to claims to DuckDB",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str,
        fn: Callable[[argparse.Namespace], int],
        help: str,
        *parents: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=[common, *parents])
        p.set_defaults(func=fn)
        return p

    p = add("run", cmd_run, "run the daily flow over config/feeds.toml")
    p.add_argument("--date", type=_date, help="run date (default: today, Europe/Paris)")
    p = add(
        "demo",
        cmd_demo,
        "run the daily flow over the bundled offline sample (default --db data/demo.duckdb)",
    )
    p = add("backfill", cmd_backfill, "past dates from archived feeds and sitemaps; resumable")
    p.add_argument("--from", dest="date_from", type=_date, required=True, metavar="D1")
    p.add_argument("--to", dest="date_to", type=_date, required=True, metavar="D2")
    p.add_argument(
        "--outlet", action="append", metavar="NAME", help="only this outlet (repeatable)"
    )
    p.add_argument("--force", action="store_true", help="redo dates already complete")
    p = add(
        "reprocess", cmd_reprocess, "re-run cleaning, flags and claims on stored pages, no fetch"
    )
    p.add_argument("--since", type=_date)
    p.add_argument("--until", type=_date)
    p = add("analyze", cmd_analyze, "flag and claims for given texts or pages, no database")
    p.add_argument("files", nargs="*", metavar="FILE", help=".txt or .html files")
    p.add_argument("--input", metavar="JSONL", help='documents, one {"id", "text"|"html"} a line')
    p.add_argument("--output", metavar="JSONL", help="where to write (default: stdout)")
    p.add_argument("--published", type=_date, help="publication date of the FILEs")
    p = add("query", cmd_query, "run one read-only SQL query on the DuckDB file", fmt)
    p.add_argument("sql")
    p = add("claims", cmd_claims, "list stored claims with outlet, date and title", fmt)
    p.add_argument("--actor", help="speaker name (part of it)")
    p.add_argument("--country", help="speaker country code: USA, RUS, UKR, NATO, EU…")
    p.add_argument("--kind", help="statement, warning, demand, proposal, accusation…")
    p.add_argument("--since", type=_date)
    p.add_argument("--until", type=_date)
    p = add("flagged", cmd_flagged, "list flagged stories with their score and reasons", fmt)
    p.add_argument("--since", type=_date)
    p.add_argument("--until", type=_date)
    add("serve", cmd_serve, "register the daily schedule (Prefect deployment, cron) and serve it")
    add("settings", cmd_settings, "print every setting, its value and its help")
    return parser


FLOW_COMMANDS = frozenset({"run", "demo", "backfill", "reprocess", "serve"})


def main(argv: Sequence[str] | None = None) -> int:
    from diplowatch.flows.prefect_runtime import exit_status, prefect_runtime

    args = build_parser().parse_args(argv)
    try:
        if args.command not in FLOW_COMMANDS:
            return int(args.func(args))
        with prefect_runtime():
            return int(args.func(args))
    except DiplowatchError as exc:
        print(f"diplowatch: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print("diplowatch: interrupted", file=sys.stderr)
        return exit_status(exc)


if __name__ == "__main__":
    sys.exit(main())
