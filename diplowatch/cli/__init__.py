"""The `diplowatch` command. Errors become one clean line here, and only here.

`main` parses, checks everything the command needs (`checks.prepare`), then runs it. Exit status:
0 done, 1 an error (one line on stderr), 2 a usage mistake, 130 interrupted (Ctrl-C), 143
terminated (SIGTERM), 141 output closed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from diplowatch.cli.output import print_rows
from diplowatch.cli.parser import BY_NAME, Command, build_parser, handler
from diplowatch.errors import DiplowatchError

__all__ = ["build_parser", "main", "print_rows"]


def _set_log_level(quiet: bool, verbose: bool) -> None:
    if not (quiet or verbose):
        return
    level = "WARNING" if quiet else "DEBUG"
    # read when Prefect configures its loggers at its first import, which comes later
    os.environ["PREFECT_LOGGING_LEVEL"] = level
    # and set on the loggers its logging.yml gives a level, in case it was imported already
    for name in ("diplowatch", "prefect", "prefect.extra", "prefect.client"):
        logging.getLogger(name).setLevel(level)


def _quiet_stdout() -> None:
    """The reader went away (`| head`): drop what is left instead of a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _finish(status: int) -> int:
    sys.stdout.flush()  # a closed pipe shows here, inside main, not at interpreter exit
    return status


def _run_lock(command: Command, args: argparse.Namespace) -> AbstractContextManager[object]:
    """The run lock of the file a flow command writes (storage/runlock.py), for the whole command.

    `serve` takes none here: it would hold the file while it only waits for its schedule.
    """
    from diplowatch.cli.parser import DEMO_DB
    from diplowatch.storage.db import db_path
    from diplowatch.storage.runlock import run_lock

    if command.name == "serve":
        return nullcontext()
    path = Path(args.db or DEMO_DB) if command.name == "demo" else db_path(args.db)
    return run_lock(path, wait=args.cfg.settings.storage.run_lock_wait)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = BY_NAME[args.command]
    try:
        from diplowatch.cli.checks import prepare

        prepare(command, args)
        if not command.flow:
            return _finish(handler(command.name)(args))
        _set_log_level(args.quiet, args.verbose)
        from diplowatch.cli.allocator import limit_malloc_arenas
        from diplowatch.flows.prefect_runtime import prefect_runtime

        limit_malloc_arenas()  # before the run's threads: the flow process's memory stays level

        with _run_lock(command, args), prefect_runtime():  # runlock: one writing run per file
            return _finish(handler(command.name)(args))
    except DiplowatchError as exc:
        print(f"diplowatch: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM turned into one by prefect_runtime
        from diplowatch.flows.prefect_runtime import exit_status

        print("diplowatch: interrupted", file=sys.stderr)
        return exit_status(exc)
    except BrokenPipeError:
        _quiet_stdout()
        return 141
