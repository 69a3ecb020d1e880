"""Shipped defaults, a user's directory laid over them, and the declared settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplowatch.errors import ConfigError
from diplowatch.flows.config import load_config
from diplowatch.flows.settings import SETTINGS, get


def test_every_setting_is_declared_once_and_has_a_default() -> None:
    cfg = load_config()
    shipped = {f"{section}.{key}" for section, table in cfg.settings.items() for key in table}
    assert shipped == {s.name for s in SETTINGS}
    for s in SETTINGS:
        assert isinstance(get(cfg.settings, s.name), s.type)
        assert s.help.strip()


def test_a_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    shipped = load_config()
    some_feed = next(iter(shipped.enabled_feeds()))
    (tmp_path / "feeds.toml").write_text(
        f'[feeds.{some_feed}]\nenabled = false\n\n[feeds.mon-blog]\noutlet = "Mon blog"\n'
        'url = "https://example.org/feed.xml"\n',
        encoding="utf-8",
    )
    (tmp_path / "settings.toml").write_text("[fetch]\ntimeout = 3\n", encoding="utf-8")
    cfg = load_config(tmp_path)
    feeds = cfg.enabled_feeds()
    assert some_feed not in feeds
    assert feeds["mon-blog"]["url"] == "https://example.org/feed.xml"
    assert len(feeds) == len(shipped.enabled_feeds())  # one out, one in, the rest untouched
    assert get(cfg.settings, "fetch.timeout") == 3.0
    assert get(cfg.settings, "fetch.retries") == get(shipped.settings, "fetch.retries")


def test_shipped_feeds_cover_fifteen_outlets() -> None:
    feeds = load_config().enabled_feeds()
    assert len({f["outlet"] for f in feeds.values()}) >= 15
    assert all(f["url"].startswith(("https://", "http://")) for f in feeds.values())


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[fetch\ntimeout = ", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.toml"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="nowhere"):
        load_config(tmp_path / "nowhere")
    (tmp_path / "settings.toml").write_text('[fetch]\ntimeout = "soon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fetch\.timeout"):
        get(load_config(tmp_path).settings, "fetch.timeout")
