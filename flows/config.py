"""Load the shipped configuration in `config/`, lay a user's directory over it, validate it.

A user's file overrides only what it names: tables merge key by key, so a user's `feeds.toml`
that holds `[feeds.lemonde-international] enabled = false` disables one feed and keeps the rest;
arrays (`[[actor]]`, term lists) are replaced whole. Each merged file is then checked against its
schema (`flows/settings.py` for settings.toml, `extractors/schemas.py` for the extractors' files,
below for feeds.toml), and the first problem becomes one `ConfigError` line naming the file, the
key and the value: the user's file whenever the bad value or the unknown key came from it.

Imports nothing heavier than pydantic: the CLI validates a configuration before any flow starts.
"""

from __future__ import annotations

import json
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diplowatch.errors import ConfigError
from diplowatch.extractors.schemas import ActorsFile, FlagFile, LexiconFile
from diplowatch.flows.settings import HttpUrl, Settings

__all__ = [
    "Config",
    "Feed",
    "Outlet",
    "deep_merge",
    "load_config",
    "parse_feeds",
    "read_toml",
]

SHIPPED: Traversable = files("diplowatch.config")
FILES = ("settings", "feeds", "actors", "lexicon", "flag")

_TABLE = ConfigDict(frozen=True, extra="forbid", strict=True)


class FeedTable(BaseModel):
    """One `[feeds.ID]` table. `enabled` defaults to true: a user adds a feed by naming it."""

    model_config = _TABLE

    outlet: str = Field(min_length=1)
    url: HttpUrl
    section: str = ""
    enabled: bool = True


class OutletTable(BaseModel):
    model_config = _TABLE

    site: HttpUrl
    sitemap: HttpUrl | list[HttpUrl] | None = None
    archive: bool = True


class FeedsFile(BaseModel):
    model_config = _TABLE

    feeds: dict[str, FeedTable]
    outlets: dict[str, OutletTable]


@dataclass(frozen=True, slots=True)
class Feed:
    feed_id: str  # the table name: what the database and the logs use
    outlet: str
    url: str
    section: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    site: str
    sitemaps: tuple[str, ...] = ()
    archive: bool = True  # read the archived copies of the outlet's feeds in a backfill


def _feed(feed_id: str, table: FeedTable) -> Feed:
    return Feed(feed_id, table.outlet, table.url, table.section, table.enabled)


def _outlet(name: str, table: OutletTable) -> Outlet:
    sitemap = table.sitemap
    sitemaps = () if sitemap is None else (sitemap,) if isinstance(sitemap, str) else sitemap
    return Outlet(name, table.site, tuple(sitemaps), table.archive)


@dataclass(frozen=True)
class Config:
    """The merged, validated configuration.

    `actors`, `lexicon` and `flag` stay the parsed TOML the extractors read (and whose digest is
    the analysis version), checked against `extractors/schemas.py`.
    """

    settings: Settings
    feeds: Mapping[str, Feed]
    outlets: Mapping[str, Outlet]
    actors: dict[str, Any] = field(repr=False)
    lexicon: dict[str, Any] = field(repr=False)
    flag: dict[str, Any] = field(repr=False)
    user_dir: Path | None = None

    def enabled_feeds(self) -> dict[str, Feed]:
        return {feed_id: feed for feed_id, feed in self.feeds.items() if feed.enabled}


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_toml(path: Path | Traversable) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc


# -- ValidationError -> one line ---------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def _show(value: Any) -> str:
    """A value as it would be written in TOML, short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else "an array"
    return str(value)


def _key(loc: Loc) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] += f" #{part + 1}"  # as the extractors name them: "actor #3"
        elif isinstance(part, int):
            parts.append(f"#{part + 1}")
        elif part.replace("-", "").replace("_", "").isalnum():
            parts.append(part)
        else:
            parts.append(json.dumps(part, ensure_ascii=False))
    return ".".join(parts)


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _input_loc(data: Any, loc: Loc, missing: bool) -> Loc:
    """`loc` without pydantic's own steps (union members, '[key]'), as keys of `data`."""
    kept: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        found, child = _child(node, part)
        if found:
            node = child
        elif missing and i == len(loc) - 1:
            pass  # the key that is absent
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _model_at(model: Any, loc: Loc) -> type[BaseModel] | None:
    """The model class that describes the table at `loc` (to list its known keys)."""
    node = model
    for part in loc:
        while True:
            origin = typing.get_origin(node)
            if origin is Annotated:
                node = typing.get_args(node)[0]
            elif origin in (types.UnionType, typing.Union):
                args = [a for a in typing.get_args(node) if a is not type(None)]
                node = args[-1]
            else:
                break
        if isinstance(node, type) and issubclass(node, BaseModel):
            info = node.model_fields.get(str(part))
            if info is None:
                return None
            node = info.annotation
        elif typing.get_origin(node) in (list, dict):
            node = typing.get_args(node)[-1]
        else:
            return None
    while typing.get_origin(node) is Annotated:
        node = typing.get_args(node)[0]
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date",
}


def _problem(err: Mapping[str, Any], model: type[BaseModel], loc: Loc) -> str:
    """What is wrong, in words; `loc` is the key in the file (as keys of the merged data)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    key = _key(loc)
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        known = ", ".join(sorted(parent.model_fields)) if parent else ""
        what = "section" if len(loc) == 1 and isinstance(value, dict) else "key"
        where = f"[{key}]" if what == "section" else key
        return f"{where}: unknown {what}" + (f" (known: {known})" if known else "")
    if kind == "missing":
        return f"{key}: missing"
    if err["loc"] and err["loc"][-1] == "[key]":  # a table whose names are fixed
        return f"{key}: unknown table (known: {ctx.get('expected')})"
    if kind in _EXPECTED:
        return f"{key}: expected {_EXPECTED[kind]}, got {_show(value)}"
    bounds = {
        "less_than_equal": ("must be at most", "le"),
        "greater_than_equal": ("must be at least", "ge"),
        "greater_than": ("must be more than", "gt"),
        "less_than": ("must be less than", "lt"),
    }
    if kind in bounds:
        words, name = bounds[kind]
        reason = f"{words} {ctx.get(name)}"
    elif kind == "literal_error":
        reason = f"must be one of {ctx.get('expected')}"
    elif kind in ("string_too_short", "too_short"):
        reason = "must not be empty"
    elif kind == "value_error":
        reason = str(ctx.get("error", err["msg"]))
    else:
        msg = str(err["msg"])
        reason = msg[:1].lower() + msg[1:]
    if not loc:
        return reason
    if isinstance(value, dict) and kind == "value_error":
        return f"{key}: {reason}"
    return f"{key} = {_show(value)}: {reason}"


def _came_from(user: dict[str, Any], loc: Loc) -> bool:
    """Whether the value at `loc` of the merged data was written in the user's file."""
    node: Any = user
    for part in loc:
        if not isinstance(node, dict):
            return True  # inside an array or value the user's file replaced whole
        if part not in node:
            return False
        node = node[part]
    return True


def validate(
    model: type[M],
    merged: dict[str, Any],
    shipped: str,
    user: dict[str, Any] | None = None,
    user_path: Path | None = None,
) -> M:
    """`merged` as a `model`, else ConfigError naming the file the first bad value came from."""
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = _input_loc(merged, tuple(first["loc"]), first["type"] == "missing")
        # a union (`sitemap`: a URL or an array of them) fails once per member: count keys
        others = {_input_loc(merged, tuple(e["loc"]), e["type"] == "missing") for e in errors}
        others.discard(loc)
        # a key missing from a table the user's file added is the user's omission
        at = loc[:-1] if first["type"] == "missing" else loc
        blame_user = user is not None and (not at or _came_from(user, at))
        name = str(user_path) if blame_user and user_path is not None else shipped
        more = f" (and {len(others)} more)" if others else ""
        raise ConfigError(f"{name}: {_problem(first, model, loc)}{more}") from None


def parse_feeds(tables: Mapping[str, Any], source: str = "feeds") -> dict[str, Feed]:
    """Feed tables as in feeds.toml's [feeds] (a flow parameter in tests), checked."""
    checked = validate(FeedsFile, {"feeds": dict(tables), "outlets": {}}, source)
    return {feed_id: _feed(feed_id, table) for feed_id, table in checked.feeds.items()}


_MODELS: dict[str, type[BaseModel]] = {
    "settings": Settings,
    "feeds": FeedsFile,
    "actors": ActorsFile,
    "lexicon": LexiconFile,
    "flag": FlagFile,
}


def _check_user_dir(user: Path) -> None:
    if not user.is_dir():
        raise ConfigError(
            f"{user}: configuration directory not found (--config takes a folder holding your "
            f"own {', '.join(f'{name}.toml' for name in FILES)})"
        )
    # a misspelt file name would otherwise be skipped without a word, like a misspelt key
    unknown = sorted(p.name for p in user.glob("*.toml") if p.stem not in FILES)
    if unknown:
        raise ConfigError(
            f"{user / unknown[0]}: not a diplowatch configuration file "
            f"(known: {', '.join(f'{name}.toml' for name in FILES)})"
        )


def load_config(user_dir: Path | str | None = None) -> Config:
    """The shipped defaults, overridden by the files found in `user_dir`, validated.

    Raises ConfigError (one line: file, key, value, what is wrong) on the first bad file.
    """
    user = Path(user_dir) if user_dir else None
    if user is not None:
        _check_user_dir(user)
    raw: dict[str, dict[str, Any]] = {}
    checked: dict[str, BaseModel] = {}
    for name in FILES:
        shipped = SHIPPED / f"{name}.toml"
        data = read_toml(shipped)
        user_path = user / f"{name}.toml" if user is not None else None
        over = read_toml(user_path) if user_path is not None and user_path.exists() else None
        if over is not None:
            data = deep_merge(data, over)
        raw[name] = data
        checked[name] = validate(_MODELS[name], data, f"{name}.toml", over, user_path)
    feeds = checked["feeds"]
    assert isinstance(feeds, FeedsFile)
    settings = checked["settings"]
    assert isinstance(settings, Settings)
    return Config(
        settings=settings,
        feeds=types.MappingProxyType({k: _feed(k, t) for k, t in feeds.feeds.items()}),
        outlets=types.MappingProxyType({k: _outlet(k, t) for k, t in feeds.outlets.items()}),
        actors=raw["actors"],
        lexicon=raw["lexicon"],
        flag=raw["flag"],
        user_dir=user,
    )
