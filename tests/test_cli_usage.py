"""The command line before any flow starts: help for everything, one-line mistakes, pipes.

These run `diplowatch` as a user does, in a subprocess from the installed console script where
the exit status or the time to answer is what is checked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diplowatch import __version__
from diplowatch.cli import build_parser, main
from diplowatch.cli.completion import script
from diplowatch.cli.parser import COMMANDS, subcommands

DIPLOWATCH = Path(sys.executable).with_name("diplowatch")


def test_every_command_and_option_has_help() -> None:
    parser = build_parser()
    commands = subcommands(parser)
    assert set(commands) == {c.name for c in COMMANDS}
    missing = [
        f"{name} {action.dest}"
        for name, sub in [("diplowatch", parser), *commands.items()]
        for action in sub._actions
        if not isinstance(action, argparse._SubParsersAction) and not (action.help or "").strip()
    ]
    assert not missing, f"options without help: {missing}"
    assert all(sub.description for sub in commands.values())


def test_db_and_config_only_where_used() -> None:
    commands = subcommands(build_parser())
    flags = {
        name: {f for a in sub._actions for f in a.option_strings} for name, sub in commands.items()
    }
    assert "--db" not in flags["analyze"] and "--db" not in flags["settings"]
    assert "--config" not in flags["query"] and "--config" not in flags["flagged"]
    # claims checks --kind/--country/--actor against the user's lexicon and actors
    assert "--config" in flags["claims"]
    assert {"--db", "--config"} <= flags["run"]


def test_date_options_show_their_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backfill", "--help"])
    out = capsys.readouterr().out
    assert "--since YYYY-MM-DD, --from YYYY-MM-DD" in out and "--until YYYY-MM-DD" in out


def test_the_old_backfill_names_still_work_as_aliases() -> None:
    args = build_parser().parse_args(["backfill", "--from", "2021-12-06", "--to", "2021-12-07"])
    assert (args.since.isoformat(), args.until.isoformat()) == ("2021-12-06", "2021-12-07")


def test_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "(default: table)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "default: data/demo.duckdb" in capsys.readouterr().out


def _run(*argv: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [str(DIPLOWATCH), *argv], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    return done, time.monotonic() - start


@pytest.mark.parametrize(
    ("argv", "status", "named"),
    [
        (["run", "--config", "/nonexistent"], 1, "/nonexistent"),
        (["backfill", "--since", "2021-13-01", "--until", "2021-12-02"], 2, "2021-13-01"),
        (["backfill", "--since", "2021-12-05", "--until", "2021-12-01"], 1, "--until"),
        (["reprocess", "--since", "2021-12-05", "--until", "2021-12-01"], 1, "--until"),
        (["claims", "--limit", "0"], 2, "--limit"),
        (["nosuchcommand"], 2, "nosuchcommand"),
    ],
)
def test_mistakes_answer_fast_in_one_line(
    tmp_path: Path, argv: list[str], status: int, named: str
) -> None:
    done, _ = _run(*argv, cwd=tmp_path)
    assert done.returncode == status
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # nothing was started, nothing written


def test_an_unknown_outlet_is_named_with_the_known_ones(tmp_path: Path) -> None:
    done, _ = _run(
        "backfill",
        "--since",
        "2021-12-01",
        "--until",
        "2021-12-01",
        "--outlet",
        "Le Mondo",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "'Le Mondo'" in done.stderr and "known:" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_mistake_answers_before_prefect_loads(tmp_path: Path) -> None:
    """The check runs before any flow module is imported (Prefect alone takes seconds)."""
    code = (
        "import sys; from diplowatch.cli import main; "
        "status = main(['run', '--config', '/nonexistent']); "
        "print(status, 'prefect' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.stdout.split() == ["1", "False"]


def test_version(tmp_path: Path) -> None:
    done, _ = _run("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"diplowatch {__version__}"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`diplowatch query ... | head -1`: the reader leaves early; no traceback, no stderr."""
    import duckdb

    db = tmp_path / "t.duckdb"
    duckdb.connect(str(db)).close()
    # far more than a pipe's buffer, so the write happens after `head` has gone
    sql = "SELECT range AS n FROM range(300000)"
    done = subprocess.run(
        f"'{DIPLOWATCH}' query --db '{db}' --format csv '{sql}' | head -1; "
        'echo "status ${PIPESTATUS[0]}"',
        shell=True,
        executable="bash",
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.stdout.splitlines() == ["n", "status 141"]
    assert done.stderr == ""


def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    completion = tmp_path / "diplowatch.bash"
    completion.write_text(script("bash"), encoding="utf-8")

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in ("diplowatch", *words))
        done = subprocess.run(
            [
                "bash",
                "-c",
                f"source '{completion}'; COMP_WORDS=({line}); "
                f'COMP_CWORD={len(words)}; _diplowatch; echo "${{COMPREPLY[@]}}"',
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    assert complete("back") == ["backfill"]
    assert "--outlet" in complete("backfill", "--o")
    assert complete("claims", "--format", "") == ["table", "csv", "json"]
    assert "--version" in complete("--v")


def test_an_unknown_settings_key_is_named_before_any_flow(tmp_path: Path) -> None:
    config = tmp_path / "my-config"
    config.mkdir()
    (config / "settings.toml").write_text("[pipline]\nbatch_size = 10\n", encoding="utf-8")
    done, _ = _run("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "settings.toml" in line and "pipline" in line and "Traceback" not in line


@pytest.mark.slow
@pytest.mark.parametrize(("flag", "info_lines"), [("-q", False), ("-v", True)])
def test_quiet_and_verbose_set_the_log_level(tmp_path: Path, flag: str, info_lines: bool) -> None:
    """A flow command's Prefect log: -q keeps warnings and errors only, -v shows INFO and more."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run(
        [str(DIPLOWATCH), flag, "reprocess", "--db", str(tmp_path / "empty.duckdb")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert ("| INFO" in done.stderr) is info_lines, done.stderr


def test_quiet_and_verbose_go_before_or_after_a_flow_command() -> None:
    parse = build_parser().parse_args
    assert parse(["-q", "demo"]).quiet and parse(["demo", "-q"]).quiet
    assert parse(["run", "--verbose"]).verbose and not parse(["run"]).quiet
    assert not parse(["query", "SELECT 1"]).quiet  # read commands log nothing to quiet
