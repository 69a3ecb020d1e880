"""The values of `--kind`, `--country` and `--actor`, checked against the configuration.

A misspelt filter would otherwise print zero rows without a word (`--kind warnings`, `--country
Russia`, `--actor Putin`): each is checked before the database is opened, and an unknown value is
a usage mistake (exit 2) that lists the valid ones, or the closest, in one line.
`--actor` goes through the actors file as the extractor does: a name, a surname, an alias or a
metonym ("le Kremlin", "Zelenski", "Poutine") becomes the canonical name that claims store.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any, NoReturn

from diplowatch.extractors.actors import ActorIndex, phrase_key


def usage_error(command: str, message: str) -> NoReturn:
    """Like argparse's own: one line on stderr, the way to the help, exit status 2."""
    sys.stderr.write(
        f"diplowatch {command}: error: {message} (see `diplowatch {command} --help`)\n"
    )
    raise SystemExit(2)


def lexicon_kinds(lexicon: dict[str, Any]) -> list[str]:
    return list(lexicon.get("claims", {}).get("kinds", {}))


def actor_countries(actors: dict[str, Any]) -> list[str]:
    codes = {str(t["code"]) for t in actors.get("actor", []) if "code" in t}
    codes |= {str(t["country"]) for t in actors.get("role", []) if "country" in t}
    return sorted(codes)


def check_kind(command: str, kind: str, lexicon: dict[str, Any]) -> str:
    kinds = lexicon_kinds(lexicon)
    if kind in kinds:
        return kind
    folded = {k.lower(): k for k in kinds}
    if kind.lower() in folded:
        return folded[kind.lower()]
    usage_error(command, f"--kind: unknown kind {kind!r} (kinds: {', '.join(kinds)})")


def check_country(command: str, code: str, index: ActorIndex, actors: dict[str, Any]) -> str:
    codes = actor_countries(actors)
    if code.upper() in codes:
        return code.upper()
    # "Russia" is no code, but "Russie" names a country actor: its code is meant
    named = index.actor(code)
    if named is not None and named.kind == "country":
        return named.country
    usage_error(command, f"--country: unknown code {code!r} (codes: {', '.join(codes)})")


def _spellings(actors: dict[str, Any]) -> dict[str, str]:
    """Every spelling of actors.toml (name, names, surnames, aliases) -> its canonical name."""
    keys: dict[str, str] = {}
    for table in actors.get("actor", []):
        name = str(table.get("name", ""))
        for phrase in [name, *(str(p) for f in ("names", "surnames", "aliases")
                               for p in table.get(f, []))]:  # fmt: skip
            keys.setdefault(phrase_key(phrase), name)
    return keys


def check_actor(command: str, name: str, index: ActorIndex, actors: dict[str, Any]) -> str:
    found = index.actor(name)
    if found is None:
        # a role ("le président russe") names no one without a date: its current holder
        found = index.holder(name, None)
    if found is not None:
        return found.name
    keys = _spellings(actors)
    close = difflib.get_close_matches(phrase_key(name), list(keys), n=6, cutoff=0.6)
    suggestions = list(dict.fromkeys(keys[k] for k in close))[:3]
    hint = (
        "did you mean " + " or ".join(map(repr, suggestions)) + "?"
        if suggestions
        else f"known actors: {', '.join(a.name for a in index.actors)}"
    )
    usage_error(command, f"--actor: no actor {name!r} in actors.toml ({hint})")


def check_filters(command: str, args: argparse.Namespace) -> None:
    """Resolve args.kind / args.country / args.actor in place, or exit 2 naming the valid ones."""
    cfg = args.cfg
    if getattr(args, "kind", None):
        args.kind = check_kind(command, args.kind, cfg.lexicon)
    country, actor = getattr(args, "country", None), getattr(args, "actor", None)
    if country or actor:
        index = ActorIndex.from_config(cfg.actors)
        if country:
            args.country = check_country(command, country, index, cfg.actors)
        if actor:
            args.actor = check_actor(command, actor, index, cfg.actors)


def _check_out(command: str, out: str) -> None:
    from pathlib import Path

    from diplowatch.errors import InputError

    path = Path(out)
    if path.is_dir():
        usage_error(command, f"--out {out}: is a folder; give a file name")
    if not path.parent.exists():
        raise InputError(f"{command}: --out {out}: no folder {path.parent}")


def _check_export(args: argparse.Namespace) -> None:
    from pathlib import Path

    from diplowatch.cli.parser import EXPORT_FORMATS

    if (args.table is None) == (args.query is None):
        usage_error("export", "give a TABLE or --query SQL (one of them)")
    if args.format is None:
        suffix = Path(args.out).suffix.lower().lstrip(".")
        if suffix not in EXPORT_FORMATS:
            usage_error(
                "export",
                f"--format: cannot tell from {args.out!r}; give --format "
                + "|".join(EXPORT_FORMATS),
            )
        args.format = suffix
    if args.excel and args.format != "csv":
        usage_error("export", "--excel applies to --format csv only")
    _check_out("export", args.out)


def check_read(command: str, args: argparse.Namespace) -> None:
    """The checks of the read commands' own options, before the database is opened."""
    if command == "claims":
        check_filters(command, args)
    elif command == "readouts" and args.event and (args.since or args.until):
        usage_error(command, "--event and --since/--until do not go together")
    elif command == "export":
        _check_export(args)
    elif command == "report":
        _check_out(command, args.out)
