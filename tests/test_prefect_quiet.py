"""Prefect quiet by configuration: `prefect.toml` for the bare `prefect` command run from the
repository, `prefect_runtime()` for our commands run from anywhere, nothing on import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from diplowatch.flows.prefect_runtime import QUIET

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No PREFECT_* from the caller, and a Prefect home (database, profiles) of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.pop("DO_NOT_TRACK", None)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    return env


def run_python(script: str, cwd: Path, env: dict[str, str]) -> Any:
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


IMPORTS = """
import json, logging, os

def filters():
    loggers = [logging.getLogger()] + [
        l for l in logging.Logger.manager.loggerDict.values() if isinstance(l, logging.Logger)
    ]
    found = []
    for logger in loggers:
        for f in logger.filters:
            found.append(f"{logger.name}: {type(f).__module__}.{type(f).__qualname__}")
        for h in logger.handlers:
            for f in h.filters:
                found.append(f"{logger.name} handler: {type(f).__module__}.{type(f).__qualname__}")
    return sorted(found)

env = dict(os.environ)
import prefect, prefect.flows  # Prefect's own logging set-up, for a fair comparison
after_prefect = (dict(os.environ), filters())
import diplowatch.flows
import diplowatch.flows.daily, diplowatch.cli, diplowatch.flows.prefect_runtime
after_ours = (dict(os.environ), filters())
print(json.dumps({
    "env_changed_by_prefect": sorted(set(after_prefect[0].items()) ^ set(env.items())),
    "env_changed_by_us": sorted(set(after_ours[0].items()) ^ set(after_prefect[0].items())),
    "filters_before": after_prefect[1],
    "filters_after": after_ours[1],
}))
"""


def test_importing_the_flows_changes_nothing(tmp_path: Path) -> None:
    result = run_python(IMPORTS, tmp_path, clean_env(tmp_path))
    assert result["env_changed_by_us"] == []
    root = [f for f in result["filters_after"] if f.startswith("root")]
    assert root == [f for f in result["filters_before"] if f.startswith("root")]
    # Prefect gives each of its loggers its API-key filter as its modules load; no filter is ours
    assert not [f for f in result["filters_after"] if "diplowatch" in f]


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_prefect_toml_carries_the_runtime_settings() -> None:
    with (ROOT / "prefect.toml").open("rb") as fh:
        assert flatten(tomllib.load(fh)) == QUIET


def test_prefect_config_view_from_the_repository(tmp_path: Path) -> None:
    done = subprocess.run(
        [PREFECT, "config", "view"],
        cwd=ROOT,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for key in QUIET:
        name = "PREFECT_" + key.replace(".", "_").upper()
        assert f"{name}='False' (from prefect.toml)" in done.stdout, name


@pytest.mark.slow
def test_prefect_command_from_the_repository_sends_no_telemetry(tmp_path: Path) -> None:
    """`prefect deployment ls` starts a temporary server: it reports nothing, fails nothing."""
    done = subprocess.run(
        [PREFECT, "deployment", "ls"],
        cwd=ROOT,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "Deployments" in output
    assert "telemetry" not in output.lower() and "ERROR" not in output


RUNTIME = """
import json, os
import httpx
from prefect.settings import get_current_settings
from diplowatch.flows.prefect_runtime import QUIET, prefect_runtime

def values():
    s = get_current_settings().model_dump()
    out = {}
    for key in QUIET:
        node = s
        for part in key.split("."):
            node = node[part]
        out[key] = node
    return out

env = dict(os.environ)
outside = values()
with prefect_runtime():
    inside = values()
    url = get_current_settings().api.url
    server = httpx.get(url + "/admin/settings").json()["server"]
    env_inside = dict(os.environ)
try:
    httpx.get(url + "/health", timeout=2)
    stopped = False
except httpx.TransportError:
    stopped = True
print(json.dumps({
    "outside": outside, "inside": inside, "after": values(), "url": url,
    "server_analytics": server["analytics_enabled"], "server_ui": server["ui"]["enabled"],
    "env_same": env == env_inside == dict(os.environ), "stopped": stopped,
}))
"""


@pytest.mark.slow
def test_runtime_applies_the_settings_anywhere_and_cleans_up(tmp_path: Path) -> None:
    """From a directory without prefect.toml, with no API configured: the runtime's own
    temporary server runs with the same settings, and is gone afterwards."""
    result = run_python(RUNTIME, tmp_path, clean_env(tmp_path))
    assert result["inside"] == QUIET
    assert result["outside"] == result["after"] != QUIET  # Prefect's defaults, restored
    assert result["url"].startswith("http://127.0.0.1:")
    assert result["server_analytics"] is False and result["server_ui"] is False
    assert result["env_same"] and result["stopped"]


def test_runtime_keeps_a_configured_api(prefect_harness: None) -> None:
    from prefect.settings import get_current_settings

    from diplowatch.flows.prefect_runtime import prefect_runtime

    url = get_current_settings().api.url
    env = dict(os.environ)
    with prefect_runtime():
        assert get_current_settings().api.url == url
        assert get_current_settings().server.analytics_enabled is False
    assert dict(os.environ) == env
