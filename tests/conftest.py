"""Fixtures shared by the flow and CLI tests: real Prefect, real DuckDB files, real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# the `archive` and `user_config` fixtures of the backfill and reprocess tests
pytest_plugins = ["tests.backfill_fixtures"]

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for the whole session, as quiet as the CLI's."""
    from prefect.settings import temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from diplowatch.flows.prefect_runtime import QUIET

    with temporary_settings(updates=QUIET), prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A user's config directory: analysis in-process and fast retries, nothing else changed."""
    d = tmp_path / "config"
    d.mkdir()
    (d / "settings.toml").write_text(
        "[fetch]\ntimeout = 2.0\nconnect_timeout = 2.0\nretries = 2\nbackoff = 0.05\n"
        "max_backoff = 1.0\nmax_bytes = 200_000\n"
        'allow_hosts = ["127.0.0.1"]\n'  # the tests' loopback servers may be fetched
        "\n[pipeline]\nworkers = 0\nbatch_size = 5\n",
        encoding="utf-8",
    )
    return d


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[Any]:
    """pytest-httpserver's server, threaded: one slow handler must not stall the others."""
    from pytest_httpserver import HTTPServer

    # werkzeug logs each request to the root logger, which Prefect prints to the console
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="session")
def extractor() -> Any:
    """The shipped configuration's claim extractor, on the process's one spaCy pipeline."""
    from diplowatch.extractors.actors import ActorIndex
    from diplowatch.extractors.claims import ClaimExtractor
    from diplowatch.flows.workers import shared_nlp
    from diplowatch.settings.loader import load_config

    config = load_config(None)
    return ClaimExtractor(shared_nlp(), ActorIndex.from_config(config.actors), config.lexicon)
