"""What the CLI checks before a command starts: a mistake is answered here, in one line.

Configuration files, dates, outlets and paths are all loaded and validated before any flow, so a
typo costs a fraction of a second instead of a Prefect start-up and a traceback.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from diplowatch.cli.parser import DEMO_DB, READ_COMMANDS, Command
from diplowatch.errors import InputError, StorageError


def check_window(command: str, args: argparse.Namespace) -> None:
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since and until and until < since:
        raise InputError(f"{command}: --until {until} is before --since {since}")


def check_writable_db(command: Command, args: argparse.Namespace) -> None:
    """The file a flow will write: its folder made now, its permissions checked now."""
    from diplowatch.storage.db import check_not_newer, db_path

    path = Path(args.db or DEMO_DB) if command.name == "demo" else db_path(args.db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{path}: cannot create its folder ({exc.strerror})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise StorageError(f"{path}: not writable")
    if path.is_dir():
        raise StorageError(f"{path}: is a folder; give a file path with --db")
    check_not_newer(path)  # readers: a file a newer diplowatch wrote is refused (storage/db.py)


def prepare(command: Command, args: argparse.Namespace) -> None:
    """Load and check everything `command` needs; raise a DiplowatchError at the first problem."""
    if command.config:
        from diplowatch.settings.loader import load_config

        args.cfg = load_config(args.config)
    check_window(command.name, args)
    if command.name == "backfill":
        from diplowatch.settings.sources import backfill_sources

        # a misspelt outlet would backfill nothing, silently: named here with the known ones
        backfill_sources(args.cfg, args.outlet)
    if command.flow and command.name != "serve":
        check_writable_db(command, args)
    if command.name in READ_COMMANDS:  # analyst-output: the read commands' own options
        from diplowatch.cli.filters import check_read

        check_read(command.name, args)
