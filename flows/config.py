"""Load the shipped configuration in `config/` and lay a user's directory over it.

A user's file overrides only what it names: tables merge key by key, so a user's `feeds.toml`
that holds `[feeds.lemonde-international] enabled = false` disables one feed and keeps the rest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from diplowatch.errors import ConfigError

SHIPPED: Traversable = files("diplowatch.config")
FILES = ("settings", "feeds", "actors", "lexicon", "flag")


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


@dataclass(frozen=True)
class Config:
    """The merged configuration, one dict per file of `config/`."""

    settings: dict[str, Any]
    feeds: dict[str, Any]
    actors: dict[str, Any]
    lexicon: dict[str, Any]
    flag: dict[str, Any]
    user_dir: Path | None = None

    def enabled_feeds(self) -> dict[str, dict[str, Any]]:
        return {
            feed_id: feed
            for feed_id, feed in self.feeds.get("feeds", {}).items()
            if feed.get("enabled", True) and feed.get("url")
        }


def load_config(user_dir: Path | str | None = None) -> Config:
    """The shipped defaults, overridden by the files found in `user_dir`."""
    user = Path(user_dir) if user_dir else None
    if user is not None and not user.is_dir():
        raise ConfigError(f"{user}: configuration directory not found")
    parts: dict[str, dict[str, Any]] = {}
    for name in FILES:
        shipped = SHIPPED / f"{name}.toml"
        data = read_toml(shipped) if shipped.is_file() else {}
        if user is not None and (user / f"{name}.toml").exists():
            data = deep_merge(data, read_toml(user / f"{name}.toml"))
        parts[name] = data
    return Config(user_dir=user, **parts)
