"""reprocess end to end: stored pages analysed again after a lexicon change, with no network.

The file is filled by a real backfill from the loopback archive (tests/backfill_fixtures.py);
then the archive is stopped, a user's lexicon.toml moves the cue "demander" from the demand kind
to the proposal kind, and `diplowatch reprocess` must change those claims, stamp the new
extractor version, and open no connection to anything but Prefect's own API: an audit hook sees
every `socket.connect` of the process.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.backfill_fixtures import (
    OUTLET,
    ArchiveSite,
    run_cli,
)

pytestmark = pytest.mark.slow

LEXICON = """
[claims.kinds.demand]
cues = ["exiger", "réclamer", "sommer"]

[claims.kinds.proposal]
cues = ["proposer", "offrir", "suggérer", "demander"]
"""

# (host, port) of every socket.connect while `_watching` is set; audit hooks cannot be removed,
# so one hook is installed for the session and switched on and off.
_connects: list[Any] = []
_watching = False
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watching and event == "socket.connect":
        _connects.append(args[1])


@pytest.fixture
def socket_watch() -> Iterator[list[Any]]:
    global _watching, _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    _connects.clear()
    _watching = True
    try:
        yield _connects
    finally:
        _watching = False


def claims(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT url, idx, kind, cue, speaker_actor, content, extractor_version FROM claims"
            " ORDER BY url, idx"
        ).fetchall()


def table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_reprocess_after_a_lexicon_change_makes_no_request(
    prefect_harness: None,
    archive: tuple[ArchiveSite, HTTPServer],
    user_config: Path,
    tmp_path: Path,
    socket_watch: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from diplowatch.flows.workers import version_of
    from diplowatch.settings.loader import load_config

    site, server = archive
    db = tmp_path / "news.duckdb"
    common = ["--db", str(db), "--config", str(user_config)]
    assert (
        run_cli(
            "backfill", "--from", "2021-12-06", "--to", "2021-12-08", "--outlet", OUTLET, *common
        )
        == 0
    )
    old_version = version_of(load_config(user_config))
    before = claims(db)
    demands = {(url, idx) for url, idx, kind, cue, *_ in before if cue == "demander"}
    # the stories with a "demander" claim; the flag decides which stories get claims, so the
    # test asks only for the two unmistakable ones, not for an exact list
    demanding = {url for url, _ in demands}
    eighth = site.url("kiev-garanties")
    assert eighth in demanding and len(demanding) >= 2, demanding
    assert all(row[2] == "demand" for row in before if row[3] == "demander")
    articles_before = table(
        db, "SELECT url, link, raw_html, fetched, run_id FROM articles ORDER BY url"
    )
    texts_before = table(db, "SELECT url, text FROM articles ORDER BY url")
    (user_config / "lexicon.toml").write_text(LEXICON, encoding="utf-8")
    new_version = version_of(load_config(user_config))
    assert new_version != old_version

    # the network unplugged: the archive and the site are gone
    requests_before = len(server.log)
    server.stop()
    socket_watch.clear()

    # first only 8 December's stories, then everything
    assert run_cli("reprocess", "--since", "2021-12-08", *common) == 0
    window = claims(db)
    assert {r[6] for r in window if r[0] == eighth} == {new_version}
    assert {r[6] for r in window if r[0] != eighth} == {old_version}

    assert run_cli("reprocess", *common) == 0
    after = claims(db)

    # no request reached the server, and no connection went anywhere but Prefect's API
    from prefect.settings import PREFECT_API_URL

    api_port = urlsplit(str(PREFECT_API_URL.value())).port
    assert len(server.log) == requests_before
    assert [a for a in socket_watch if not (isinstance(a, tuple) and a[1] == api_port)] == []

    # the claims of "demander" changed kind, the others are the same claims, all re-stamped
    assert {(url, idx) for url, idx, kind, cue, *_ in after if cue == "demander"} == demands
    assert all(row[2] == "proposal" for row in after if row[3] == "demander")
    unchanged = [row[:6] for row in before if row[3] != "demander"]
    assert [row[:6] for row in after if row[3] != "demander"] == unchanged
    assert {row[6] for row in after} == {new_version}
    flags = table(db, "SELECT DISTINCT extractor_version FROM flags")
    assert flags == [(new_version,)]

    # the articles themselves: same pages, same text, not refetched
    assert table(db, "SELECT url, link, raw_html, fetched, run_id FROM articles ORDER BY url") == (
        articles_before
    )
    assert table(db, "SELECT url, text FROM articles ORDER BY url") == texts_before
    runs = table(
        db, "SELECT status, counts, params FROM runs WHERE kind = 'reprocess' ORDER BY started"
    )
    assert [r[0] for r in runs] == ["completed", "completed"]
    counts = json.loads(runs[1][1])
    # 8 December's story was already redone by the first, windowed, reprocess
    changed = len(demanding) - 1
    assert counts["pages"] == 7 and counts["changed"] == changed
    assert counts["claims"] == len(after)
    assert json.loads(runs[0][1])["pages"] == 2 and json.loads(runs[0][1])["changed"] == 1
    assert json.loads(runs[1][2])["version"] == new_version
    assert f"changed: {changed}" in capsys.readouterr().out


def test_reprocess_of_an_empty_file(prefect_harness: None, tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    assert run_cli("reprocess", "--db", str(db)) == 0
    rows = table(db, "SELECT kind, status, counts FROM runs")
    assert rows[0][:2] == ("reprocess", "completed") and json.loads(rows[0][2])["pages"] == 0


def test_reprocess_window_must_be_ordered(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.duckdb"
    assert (
        run_cli("reprocess", "--since", "2021-12-08", "--until", "2021-12-06", "--db", str(db)) == 1
    )
    assert "before --since" in capsys.readouterr().err
