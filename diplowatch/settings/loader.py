"""Load the shipped configuration in `config/`, lay a user's directory over it, validate it.

A user's file overrides only what it names: tables merge key by key, so a user's `feeds.toml`
that holds `[feeds.lemonde-international] enabled = false` disables one feed and keeps the rest;
arrays (`[[actor]]`, term lists) are replaced whole. Each merged file is then checked against its
schema (`schema.py` for settings.toml, `extractors/schemas.py` for the extractors' files,
below for feeds.toml), and the first problem becomes one `ConfigError` line naming the file, the
key and the value (`validation.py`): the user's file whenever the bad value came from it.

Imports nothing heavier than pydantic: the CLI validates a configuration before any flow starts.
"""

from __future__ import annotations

import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from diplowatch.errors import ConfigError
from diplowatch.extractors.schemas import ActorsFile, FlagFile, LexiconFile
from diplowatch.settings.schema import HttpUrl, Settings
from diplowatch.settings.validation import validate

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
