"""Shipped defaults, a user's directory laid over them, and every file checked against its schema.

Each test writes real files in a temporary directory and reads them through `load_config`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from diplowatch.errors import ConfigError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.settings.loader import Feed, load_config, parse_feeds


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert "\n" not in message and not message.startswith("error")
    return message


# -- overrides ---------------------------------------------------------------------------------


def test_a_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    shipped = load_config()
    some_feed = next(iter(shipped.enabled_feeds()))
    write(
        tmp_path,
        "feeds.toml",
        f'[feeds.{some_feed}]\nenabled = false\n\n[feeds.mon-blog]\noutlet = "Mon blog"\n'
        'url = "https://example.org/feed.xml"\n',
    )
    write(tmp_path, "settings.toml", "[fetch]\ntimeout = 3\n\n[schedule]\nhour = 23\n")
    cfg = load_config(tmp_path)
    feeds = cfg.enabled_feeds()
    assert some_feed not in feeds
    assert feeds["mon-blog"] == Feed("mon-blog", "Mon blog", "https://example.org/feed.xml")
    assert len(feeds) == len(shipped.enabled_feeds())  # one out, one in, the rest untouched
    assert cfg.settings.fetch.timeout == 3.0
    assert cfg.settings.schedule.hour == 23
    assert cfg.settings.schedule.minute == shipped.settings.schedule.minute
    assert cfg.settings.fetch.retries == shipped.settings.fetch.retries
    assert cfg.outlets == shipped.outlets


def test_config_objects_are_frozen() -> None:
    cfg = load_config()
    with pytest.raises(Exception, match="frozen"):
        cfg.settings.fetch.timeout = 1.0
    with pytest.raises(TypeError):
        cfg.feeds["x"] = cfg.feeds[next(iter(cfg.feeds))]  # type: ignore[index]


def test_shipped_feeds_cover_fifteen_outlets() -> None:
    cfg = load_config()
    feeds = cfg.enabled_feeds()
    assert len({f.outlet for f in feeds.values()}) >= 15
    assert all(f.url.startswith(("https://", "http://")) for f in feeds.values())
    assert cfg.outlets["Le Monde"].sitemaps == ("https://www.lemonde.fr/sitemap_index.xml",)


def test_a_user_actors_file_replaces_the_actor_list(tmp_path: Path) -> None:
    write(
        tmp_path,
        "actors.toml",
        'role = []\ndemonym = []\n\n[[actor]]\nname = "Vatican"\ncode = "VAT"\nkind = "country"\n'
        'metonyms = ["Saint-Siège"]\n',
    )
    index = ActorIndex.from_config(load_config(tmp_path).actors)
    found = index.find("Le Saint-Siège et la Russie")
    assert (
        [m.actor.name for m in found if m.actor is not None]
        == ["Vatican"]
        == [m.actor.name if m.actor else None for m in found]
    )


# -- the error line ----------------------------------------------------------------------------


def test_unknown_section_names_the_user_file_and_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "settings.toml", "[pipline]\nworkers = 1\n")
    assert error_of(tmp_path) == (
        f"{path}: [pipline]: unknown section"
        " (known: analysis, backfill, copies, engine, events, fetch, pipeline, schedule, storage)"
    )


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "settings.toml", "[pipeline]\nworker = 1\n")
    assert (
        error_of(tmp_path) == f"{path}: pipeline.worker: unknown key (known: batch_size, workers)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[schedule]\nhour = 25\n", "schedule.hour = 25: must be at most 23"),
        ("[schedule]\nminute = -1\n", "schedule.minute = -1: must be at least 0"),
        ("[fetch]\ntimeout = 0\n", "fetch.timeout = 0: must be more than 0"),
        ('[fetch]\ntimeout = "20"\n', 'fetch.timeout: expected a number, got "20"'),
        ("[fetch]\nretries = 1.5\n", "fetch.retries: expected an integer, got 1.5"),
        ('[backfill]\ncdx_url = "ftp://archive.org/cdx"\n', "backfill.cdx_url"),
    ],
)
def test_bad_setting_values(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "settings.toml", text)
    assert error_of(tmp_path).startswith(f"{path}: {expected}")


def test_bad_timezone_hints_at_a_valid_one(tmp_path: Path) -> None:
    path = write(tmp_path, "settings.toml", '[schedule]\ntimezone = "Paris"\n')
    message = error_of(tmp_path)
    assert message.startswith(f'{path}: schedule.timezone = "Paris": unknown time zone')
    assert "Europe/Paris" in message


def test_several_problems_are_counted(tmp_path: Path) -> None:
    write(tmp_path, "settings.toml", "[schedule]\nhour = 25\nminute = 99\n")
    assert error_of(tmp_path).endswith("must be at most 23 (and 1 more)")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "actors.toml",
            "actors = 5\n",
            "actors: unknown key (known: actor, demonym, groups, role)",
        ),
        ("actors.toml", "actor = 5\n", "actor: expected an array, got 5"),
        (
            "actors.toml",
            '[[actor]]\nname = "X"\ncode = "X"\nkind = "pope"\n',
            'actor #1.kind = "pope": must be one of',
        ),
        ("lexicon.toml", "[claims]\nrules = 5\n", "claims.rules: expected an array, got 5"),
        (
            "lexicon.toml",
            '[claims.speakers]\nanaphora_window = "4"\n',
            'claims.speakers.anaphora_window: expected an integer, got "4"',
        ),
        (
            "flag.toml",
            '[model]\nthreshold = "high"\n',
            'model.threshold: expected a number, got "high"',
        ),
        ("flag.toml", "[model]\nthreshold = 1.5\n", "model.threshold = 1.5: must be at most 1"),
        ("flag.toml", "[model]\nthreshol = 0.2\n", "model.threshol: unknown key"),
        (
            "flag.toml",
            "[model.weights]\nukr_titel = 0.2\n",
            "model.weights.ukr_titel: unknown feature",
        ),
        ("feeds.toml", '[feeds.x]\noutlet = "X"\nurl = 5\n', "feeds.x.url: expected a string"),
        ("feeds.toml", "[feeds.lemonde-une]\nenabled = 1\n", "feeds.lemonde-une.enabled: expected"),
        (
            "feeds.toml",
            '[feeds.x]\noutlet = "X"\nurl = "www.example.org/rss"\n',
            'feeds.x.url = "www.example.org/rss": must be an http:// or https:// URL',
        ),
        ("feeds.toml", '[outlets."Le Monde"]\narchive = "no"\n', 'outlets."Le Monde".archive'),
    ],
)
def test_wrong_type_or_value_in_the_other_files(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = write(tmp_path, name, text)
    assert error_of(tmp_path).startswith(f"{path}: {expected}")


def test_a_feed_the_user_adds_must_name_its_outlet(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds.toml", '[feeds.x]\nurl = "https://example.org/rss"\n')
    assert error_of(tmp_path) == f"{path}: feeds.x.outlet: missing"


def test_a_role_held_by_an_unknown_actor(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "actors.toml",
        '[[role]]\nphrases = ["le pape"]\ncountry = "VAT"\nholders = [{ actor = "Nobody" }]\n',
    )
    assert re.fullmatch(rf"{re.escape(str(path))}: .*unknown actor 'Nobody'", error_of(tmp_path))


def test_unreadable_or_missing_config(tmp_path: Path) -> None:
    path = write(tmp_path, "settings.toml", "[fetch\ntimeout = ")
    assert error_of(tmp_path).startswith(f"{path}: not valid TOML")
    assert "nowhere" in error_of(tmp_path / "nowhere")


def test_feed_tables_given_to_a_flow_are_checked() -> None:
    feeds = parse_feeds({"t": {"outlet": "Test", "url": "http://127.0.0.1:8000/feed.xml"}})
    assert feeds["t"].url == "http://127.0.0.1:8000/feed.xml" and feeds["t"].enabled
    with pytest.raises(ConfigError, match=r"^feeds: feeds\.t\.url"):
        parse_feeds({"t": {"outlet": "Test", "url": "file:///etc/passwd"}})


# -- the shipped files -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["settings", "feeds", "actors", "lexicon", "flag"])
def test_an_empty_user_file_changes_nothing(tmp_path: Path, name: str) -> None:
    write(tmp_path, f"{name}.toml", "# nothing to change\n")
    cfg, shipped = load_config(tmp_path), load_config()
    assert (cfg.settings, cfg.feeds, cfg.actors, cfg.lexicon, cfg.flag) == (
        shipped.settings,
        shipped.feeds,
        shipped.actors,
        shipped.lexicon,
        shipped.flag,
    )


def test_shipped_settings_and_declarations_agree() -> None:
    from diplowatch.settings.schema import Settings, describe_settings

    with files("diplowatch.config").joinpath("settings.toml").open("rb") as fh:
        shipped = tomllib.load(fh)
    in_file = {f"{section}.{key}" for section, table in shipped.items() for key in table}
    declared = {
        f"{section}.{key}"
        for section, info in Settings.model_fields.items()
        for key in info.annotation.model_fields  # type: ignore[union-attr]
    }
    assert in_file == declared
    for info in Settings.model_fields.values():  # no value in code to contradict the file
        assert all(f.is_required() for f in info.annotation.model_fields.values())  # type: ignore[union-attr]
    rows = describe_settings(load_config().settings)
    assert {name for name, _, _, _ in rows} == declared
    for name, type_name, value, help_text in rows:
        section, _, key = name.partition(".")
        assert value == shipped[section][key]
        assert type_name in ("str", "int", "float", "list") and help_text.strip()


def test_loading_the_config_imports_no_heavy_library(tmp_path: Path) -> None:
    # the CLI checks --config before any flow starts; Prefect, spaCy or DuckDB would cost seconds
    write(tmp_path, "settings.toml", "[schedule]\nhour = 25\n")
    code = (
        "import sys\n"
        "from diplowatch.errors import ConfigError\n"
        "from diplowatch.settings.loader import load_config\n"
        "try:\n"
        f"    load_config({str(tmp_path)!r})\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
        "print(sorted(m for m in ('prefect', 'spacy', 'duckdb', 'httpx') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        f"{tmp_path / 'settings.toml'}: schedule.hour = 25: must be at most 23",
        "[]",
    ]


def test_a_misspelt_file_name_in_the_user_dir_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "setting.toml").write_text("[fetch]\nretries = 0\n", encoding="utf-8")
    (tmp_path / "NOTES.md").write_text("not configuration: left alone\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert "setting.toml" in message and "settings.toml" in message and "\n" not in message


def _every_key(
    node: dict[str, object], at: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], object]]:
    found: list[tuple[tuple[str, ...], object]] = []
    for key, value in node.items():
        found.append(((*at, key), value))
        if isinstance(value, dict):
            found += _every_key(value, (*at, key))
    return found


def _toml_key(part: str) -> str:
    bare = part.isascii() and part.replace("_", "").replace("-", "").isalnum()
    return part if bare else f'"{part}"'


@pytest.mark.parametrize("name", ["settings", "feeds", "actors", "lexicon", "flag"])
def test_a_wrong_type_anywhere_in_any_user_file_is_one_line_naming_file_and_key(
    tmp_path: Path, name: str
) -> None:
    """Every key of every shipped file (tables included), given a value of the wrong type in a
    user's file: `actors = 5` is the issue's case, this is all of them."""
    shipped = tomllib.loads((files("diplowatch.config") / f"{name}.toml").read_text("utf-8"))
    keys = _every_key(shipped)
    assert len(keys) >= 4
    path = tmp_path / f"{name}.toml"
    for at, value in keys:
        wrong = '"x"' if isinstance(value, int | float) and not isinstance(value, bool) else "5"
        table = ".".join(_toml_key(p) for p in at[:-1])
        path.write_text(
            (f"[{table}]\n" if table else "") + f"{_toml_key(at[-1])} = {wrong}\n", encoding="utf-8"
        )
        message = error_of(tmp_path)
        assert message.startswith(f"{path}: "), (at, message)
        assert at[-1] in message and "\n" not in message, (at, message)
