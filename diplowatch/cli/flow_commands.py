"""The commands that start a flow: run, demo, backfill, reprocess, serve.

Each is called after `diplowatch.cli.checks` has loaded and validated everything it needs,
so a mistake has already been answered in one line before Prefect is imported.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from diplowatch.cli.output import counts_line, print_rows, prog
from diplowatch.cli.parser import DEMO_DB
from diplowatch.cli.read_commands import demo_report

# The sample's articles are dated around the Biden–Putin call it is written about.
DEMO_RUN_DATE = date(2021, 12, 7)


def cmd_run(args: argparse.Namespace) -> int:
    from diplowatch.errors import RunError
    from diplowatch.flows.daily import daily

    try:
        counts = daily(run_date=args.date, db=args.db, config_dir=args.config, dask=args.dask)
    except RunError as exc:
        if "no feed answered" in str(exc):  # one broken feed never sinks a run; all of them do
            raise RunError(
                f"{exc} (is the network reachable? `{prog()} demo` runs offline)"
            ) from None
        raise
    assert isinstance(counts, dict)  # a Failed state is raised by the call
    print(counts_line(counts))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from diplowatch.demo.server import DemoServer
    from diplowatch.flows.daily import daily
    from diplowatch.storage import db as storage_db
    from diplowatch.storage import listings, queries

    db_path = args.db or DEMO_DB
    with DemoServer() as server:
        print(f"Serving the offline sample at {server.base_url} ({len(server.feeds())} feeds)")
        counts = daily(
            run_date=DEMO_RUN_DATE,
            db=db_path,
            config_dir=args.config,
            feeds=server.feeds(),
            kind="demo",
            route=server.route,
            dask=args.dask,
        )
    assert isinstance(counts, dict)  # a Failed state is raised by the call
    print(counts_line(counts))
    with storage_db.connect(db_path, read_only=True) as con:
        s = queries.summary(con)
        print(
            f"\n{db_path}: {s['articles']} articles, {s['flagged']} flagged, {s['claims']} claims, "
            f"{s['runs']} runs"
        )
        # as `flagged` and `claims` show them to people: one row per story, however many
        # outlets ran it (a summary to read, piped or not)
        cols, rows = listings.flagged_for_people(*listings.flagged(con, limit=5))
        print("\nFlagged stories:")
        print_rows(cols, rows, "table", sys.stdout, width=50)
        cols, rows = listings.claims(con, limit=8)
        print("\nClaims:")
        print_rows(
            *listings.claims_for_people(cols, rows, terminal=True), "table", sys.stdout, width=50
        )
    print(
        f"\nQuery it: {prog()} query --db {db_path} "
        '"SELECT kind, count(*) FROM claims GROUP BY kind"'
    )
    demo_report(db_path)  # analyst-output: the report beside the db, and one event's readouts
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Live progress on stderr, a summary table on stdout at the end.

    A date that fails stops the backfill: the summary still shows what was done, the error is
    re-raised for `main` to print in one line, and the exit status is 1.
    """
    from diplowatch.flows.backfill import backfill
    from diplowatch.flows.progress import LineReporter, RichReporter

    chosen: RichReporter | LineReporter = (
        RichReporter() if sys.stderr.isatty() else LineReporter(sys.stderr)
    )
    try:
        backfill(
            date_from=args.since,
            date_to=args.until,
            db=args.db,
            config_dir=args.config,
            outlets=args.outlet,
            force=args.force,
            dask=args.dask,
            progress=chosen,
        )
    finally:
        columns, rows = chosen.table()
        if rows:
            print("\nBackfill summary:")
            print_rows(columns, rows, "table", sys.stdout)
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    from diplowatch.flows.reprocess import reprocess

    counts = reprocess(
        since=args.since, until=args.until, db=args.db, config_dir=args.config, dask=args.dask
    )
    print(counts_line(counts))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from diplowatch.flows.schedule import serve_daily

    serve_daily(db=args.db, config_dir=args.config)
    return 0
