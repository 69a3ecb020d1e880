"""The `diplowatch` command line: every command, option and help text, declared in one place.

Nothing here imports Prefect, spaCy or DuckDB: parsing and the checks that follow it must answer
in a fraction of a second, before any flow starts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from diplowatch import __version__

DATE = "YYYY-MM-DD"
FORMATS = ("table", "csv", "json")
EXPORT_FORMATS = ("parquet", "csv", "xlsx")
DEMO_DB = "data/demo.duckdb"


@dataclass(frozen=True)
class Command:
    """One subcommand: where its code lives, what it says, which common options it takes."""

    name: str
    target: str  # "module:function", imported only when the command runs
    help: str
    db: bool = False  # takes --db
    config: bool = False  # takes --config (and its files are checked before it runs)
    flow: bool = False  # starts a Prefect flow: log level and interrupts apply


COMMANDS: tuple[Command, ...] = (
    Command(
        "run",
        "flow_commands:cmd_run",
        "run the daily flow over the configured feeds",
        db=True,
        config=True,
        flow=True,
    ),
    Command(
        "demo",
        "flow_commands:cmd_demo",
        "run the daily flow over the bundled offline sample, served on loopback",
        db=True,
        config=True,
        flow=True,
    ),
    Command(
        "backfill",
        "flow_commands:cmd_backfill",
        "past dates from archived feeds and sitemaps; resumable and idempotent",
        db=True,
        config=True,
        flow=True,
    ),
    Command(
        "reprocess",
        "flow_commands:cmd_reprocess",
        "re-run cleaning, flags and claims over the stored pages, with no fetch",
        db=True,
        config=True,
        flow=True,
    ),
    Command(
        "serve",
        "flow_commands:cmd_serve",
        "register the daily schedule (Prefect deployment, cron) and serve its runs",
        db=True,
        config=True,
        flow=True,
    ),
    Command(
        "analyze",
        "read_commands:cmd_analyze",
        "flag and claims for given texts or pages, as JSON lines; no database",
        config=True,
    ),
    Command(
        "query",
        "read_commands:cmd_query",
        "run one read-only SQL query on the DuckDB file",
        db=True,
    ),
    Command(
        "claims",
        "read_commands:cmd_claims",
        "list the stored claims, one per wire-copy group, with their article",
        db=True,
        config=True,  # --kind, --country and --actor are checked against lexicon and actors
    ),
    Command(
        "flagged",
        "read_commands:cmd_flagged",
        "list the flagged stories, wire copies folded, with their score and reasons",
        db=True,
    ),
    Command(
        "readouts",
        "read_commands:cmd_readouts",
        "each event's claims side by side by speaker country: USA | RUS | UKR | others",
        db=True,
    ),
    Command(
        "show",
        "read_commands:cmd_show",
        "print a stored article with its claims' sentences marked",
        db=True,
    ),
    Command(
        "export",
        "read_commands:cmd_export",
        "write a table or a query to a Parquet, CSV or xlsx file",
        db=True,
    ),
    Command(
        "report",
        "read_commands:cmd_report",
        "write one self-contained HTML report (charts, events, claims) that opens offline",
        db=True,
    ),
    Command(
        "settings",
        "read_commands:cmd_settings",
        "print every setting with its value and its help",
        config=True,
    ),
    Command(
        "completion",
        "completion:cmd_completion",
        'print a shell completion script: eval "$(diplowatch completion bash)"',
    ),
)
BY_NAME = {c.name: c for c in COMMANDS}
READ_COMMANDS = ("query", "claims", "flagged", "readouts", "show", "export", "report")


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date ({DATE}): {value!r}") from None


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number


class HelpFormatter(argparse.HelpFormatter):
    """Shows an option's default where it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            action.default not in (None, False, argparse.SUPPRESS)
            and "%(default)" not in text
            and "default:" not in text
        ):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line, with the way to the help, exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _window(p: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    """--since/--until, the one name of a date range in every command (both days included)."""
    # backfill's first release said --from/--to: kept as aliases so that old scripts still run
    since, until = (
        (["--since", "--from"], ["--until", "--to"]) if required else (["--since"], ["--until"])
    )
    for flags, which in ((since, "first"), (until, "last")):
        p.add_argument(
            *flags,
            dest=flags[0][2:],
            type=parse_date,
            metavar=DATE,
            required=required,
            help=f"{which} {what}",
        )


def _add_options(name: str, p: argparse.ArgumentParser) -> None:
    """The options of one command besides --db and --config."""
    if name == "run":
        p.add_argument(
            "--date",
            type=parse_date,
            metavar=DATE,
            help="the run's date (default: today in schedule.timezone)",
        )
    elif name == "backfill":
        _window(p, "date to backfill", required=True)
        p.add_argument(
            "--outlet",
            action="append",
            metavar="NAME",
            help="only this outlet of feeds.toml (repeatable)",
        )
        p.add_argument("--force", action="store_true", help="redo dates already complete")
    elif name == "reprocess":
        _window(p, "publication date of the stories to reprocess")
    elif name == "analyze":
        p.add_argument("files", nargs="*", metavar="FILE", help=".txt or .html files to analyse")
        p.add_argument(
            "--input",
            metavar="JSONL",
            help='documents, one {"id", "text"|"html", "published"?} a line',
        )
        p.add_argument("--output", metavar="JSONL", help="where to write (default: stdout)")
        p.add_argument(
            "--published",
            type=parse_date,
            metavar=DATE,
            help="publication date of the FILEs (picks who holds a role then)",
        )
    elif name in READ_COMMANDS:
        from diplowatch.cli.read_options import add_read_options

        add_read_options(name, p)
    elif name == "completion":
        p.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete for")


def _add_common(command: Command, p: argparse.ArgumentParser) -> None:
    if command.db:
        default = (
            DEMO_DB if command.name == "demo" else "$DIPLOWATCH_DB, else data/diplowatch.duckdb"
        )
        p.add_argument("--db", metavar="PATH", help=f"the DuckDB file (default: {default})")
    if command.db and not command.flow:  # readers: --live (storage/db.py reader_path)
        p.add_argument(
            "--live",
            action="store_true",
            help="read the database itself, not its analysts' copy NAME.read.duckdb "
            "(which holds the last completed run and never delays a run)",
        )
    if command.config:
        p.add_argument(
            "--config",
            metavar="DIR",
            help="a directory of your own *.toml files laid over the shipped ones",
        )
    if command.flow and command.name != "serve":
        p.add_argument(
            "--dask",
            metavar="ADDRESS",
            help="a Dask scheduler (tcp://HOST:8786) to run the analysis on"
            " (default: engine.dask_address, else local processes)",
        )


def build_parser() -> Parser:
    parser = Parser(
        prog="diplowatch",
        description="French-news monitor of US–Russia–Ukraine diplomacy: feeds to claims to DuckDB",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version and exit",
    )
    _add_loudness(parser, default=False)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for command in COMMANDS:
        p = sub.add_parser(
            command.name, help=command.help, description=command.help, formatter_class=HelpFormatter
        )
        _add_common(command, p)
        _add_options(command.name, p)
        if command.flow:
            # after the command too (`diplowatch demo -q`); SUPPRESS keeps a value given before it
            _add_loudness(p, default=argparse.SUPPRESS)
    return parser


def _add_loudness(p: argparse.ArgumentParser, default: Any) -> None:
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", default=default,
                      help="log only warnings and errors")  # fmt: skip
    loud.add_argument("-v", "--verbose", action="store_true", default=default,
                      help="log debugging detail too")  # fmt: skip


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, by name (for the completion script and the help check)."""
    for action in parser._actions:  # argparse keeps its subcommands nowhere public
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def handler(command: str) -> Callable[[argparse.Namespace], int]:
    """The function of a command, imported now that it runs."""
    from importlib import import_module

    module, _, function = BY_NAME[command].target.partition(":")
    fn: Callable[[argparse.Namespace], int] = getattr(
        import_module(f"diplowatch.cli.{module}"), function
    )
    return fn
