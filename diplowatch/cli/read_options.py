"""The options of the commands that read the database: query, claims, flagged, readouts, show,
export, report. Declared here, once, with their help; `parser.py` calls `add_read_options`.
"""

from __future__ import annotations

import argparse

from diplowatch.cli.parser import (
    EXPORT_FORMATS,
    FORMATS,
    _window,
    positive_int,
)


def _output(p: argparse.ArgumentParser, *, limit: bool = True) -> None:
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="how rows are printed: table for people (wrapped to the terminal, plain when "
        "piped), csv or json (one object a line) verbatim for programs",
    )
    p.add_argument(
        "--excel",
        action="store_true",
        help="with --format csv: a byte-order mark and ';' between fields, so that a "
        "French-locale spreadsheet reads the accents and the columns",
    )
    if limit:
        p.add_argument("--limit", type=positive_int, metavar="N", help="at most N rows")


def add_read_options(name: str, p: argparse.ArgumentParser) -> None:
    """The options of the commands that read the database."""
    if name == "query":
        p.add_argument("sql", metavar="SQL", help="one SELECT (the file is opened read-only)")
        _output(p)
    elif name == "claims":
        p.add_argument(
            "--actor",
            metavar="NAME",
            help="speaker, by any name actors.toml knows: Poutine, Zelensky, le Kremlin…",
        )
        p.add_argument(
            "--country", metavar="CODE", help="speaker country, a code of actors.toml: USA, RUS…"
        )
        p.add_argument(
            "--kind",
            metavar="KIND",
            help="a kind of lexicon.toml: statement, warning, demand, proposal, accusation…",
        )
        _window(p, "publication date")
        _output(p)
    elif name == "flagged":
        _window(p, "publication date")
        _output(p)
    elif name == "readouts":
        p.add_argument("--event", metavar="ID", help="only this event (see the events table)")
        _window(p, "day of the events (an event counts if it overlaps the range)")
        _output(p, limit=False)
    elif name == "show":
        p.add_argument("url", metavar="URL", help="the article's URL, as `claims` prints it")
        p.add_argument(
            "--claim",
            type=positive_int,
            metavar="N",
            help="mark only claim N of the article (the `claim` column of `claims`)",
        )
    elif name == "export":
        p.add_argument("table", nargs="?", metavar="TABLE", help="a table to export whole")
        p.add_argument("--query", metavar="SQL", help="or one read-only query to export")
        p.add_argument(
            "--format",
            choices=EXPORT_FORMATS,
            help="the file's format (default: from the --out suffix)",
        )
        p.add_argument("--out", metavar="FILE", required=True, help="the file to write")
        p.add_argument(
            "--excel",
            action="store_true",
            help="csv only: a byte-order mark and ';' between fields, for a French spreadsheet",
        )
    elif name == "report":
        _window(p, "publication date in the report")
        p.add_argument(
            "--out", metavar="FILE", default="report.html", help="the HTML file to write"
        )
