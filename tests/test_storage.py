"""storage/: a real DuckDB file in tmp_path for every test, no mocks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from diplowatch.errors import (
    DatabaseLockedError,
    DatabaseMissingError,
    QueryError,
    StorageError,
)
from diplowatch.extractors.records import Article, Claim, FeedItem, Flag, ProcessedArticle
from diplowatch.storage import blobs, listings, writes
from diplowatch.storage.db import DEFAULT_DB, connect, db_path, session, transaction
from diplowatch.storage.migrations import MIGRATIONS, Migrations, applied, migrate
from diplowatch.storage.queries import run_query, summary
from diplowatch.storage.runs import (
    dates_completed,
    finish_run,
    load_feed_states,
    save_feed_status,
    start_run,
)
from diplowatch.storage.writes import (
    MAX_FETCH_ATTEMPTS,
    iter_stored_pages,
    known_urls,
    replace_analysis,
    save_batch,
)

DAY = date(2021, 12, 7)
VERSION = "test-1"


# --- builders -----------------------------------------------------------------------------------


def claim(
    speaker: str = "Joe Biden",
    actor: str | None = "Joe Biden",
    country: str | None = "USA",
    kind: str = "warning",
    content: str = "la Russie s'exposerait à de fortes sanctions",
    start: object = 0,
) -> Claim:
    return Claim(
        speaker=speaker,
        speaker_actor=actor,
        speaker_country=country,
        kind=kind,
        cue="faire savoir",
        addressee="Vladimir Poutine",
        source="un communiqué de la Maison Blanche",
        content=content,
        direct=False,
        sentence=f"{speaker} a fait savoir que {content}.",
        start=start,  # type: ignore[arg-type]  # tests pass a bad type on purpose
        end=99,
    )


def processed(
    url: str,
    *,
    status: str = "extracted",
    published: date | None = DAY,
    relevant: bool | None = True,
    claims: list[Claim] | None = None,
    html: bytes | None = None,
    text: str = "Le président américain a averti Moscou.",
    error: str | None = None,
) -> ProcessedArticle:
    item = FeedItem(
        url=url,
        link=url + "?utm_source=rss",
        feed="lemonde-international",
        outlet="Le Monde",
        title="Titre du flux",
        published=datetime(2021, 12, 7, 20, 0, tzinfo=UTC),
    )
    if status == "failed":
        return ProcessedArticle(item=item, status=status, error=error or "timeout")
    article = Article(
        url=url,
        title="Biden met en garde Poutine",
        text=text if status == "extracted" else "",
        author="AFP",
        published=published,
        language="fr",
    )
    return ProcessedArticle(
        item=item,
        status=status,
        fetched_at=datetime(2021, 12, 7, 21, 0, tzinfo=timezone(timedelta(hours=1))),
        http_status=200,
        raw_html=html if html is not None else f"<html><body>{url}</body></html>".encode(),
        article=article,
        flag=None if relevant is None else Flag(relevant, 0.9 if relevant else 0.1, ["a", "b"]),
        claims=claims if claims is not None else [claim()],
    )


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for table in ("articles", "flags", "claims", "runs", "feeds"):
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        counts[table] = row[0]
    return counts


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "dw.duckdb"


@pytest.fixture
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db)
    yield connection
    connection.close()


# --- db -----------------------------------------------------------------------------------------


def test_connect_creates_file_and_applies_migrations_once(db: Path) -> None:
    with session(db) as con:
        assert applied(con) == MIGRATIONS.names
        assert MIGRATIONS.names == [
            "0001_initial",
            "0002_indexes",
            "0003_run_seconds",
            "0004_claim_rule",
            "0005_article_truncated",
            "0006_copy_group",
            "0007_events",
        ]
        assert table_counts(con) == dict.fromkeys(
            ("articles", "flags", "claims", "runs", "feeds"), 0
        )
    assert db.exists()
    with session(db) as con:
        assert migrate(con) == []
        row = con.execute("SELECT count(*) FROM _migrations").fetchone()
        assert row == (len(MIGRATIONS.names),)


def test_migrate_applies_only_new_ones_and_a_failing_one_rolls_back(
    con: duckdb.DuckDBPyConnection,
) -> None:
    registry = Migrations()
    for name, step in MIGRATIONS:
        registry(name)(step)

    @registry("0003_extra")
    def _extra(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("CREATE TABLE extra (x INTEGER)")

    @registry("0004_broken")
    def _broken(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("CREATE TABLE half_done (x INTEGER)")
        c.execute("THIS IS NOT SQL")

    with pytest.raises(StorageError, match="0004_broken"):
        migrate(con, registry)
    assert applied(con)[-1] == "0003_extra"
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert "extra" in tables
    assert "half_done" not in tables


def test_duplicate_migration_name_is_refused() -> None:
    registry = Migrations()
    registry("0001_a")(lambda c: None)
    with pytest.raises(ValueError, match="duplicate"):
        registry("0001_a")(lambda c: None)


def test_read_only_connect_on_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(DatabaseMissingError, match=re.escape(f"{missing}: no such database file")):
        connect(missing, read_only=True)
    assert not missing.exists()


def test_read_only_connect_reads_and_refuses_writes(db: Path) -> None:
    connect(db).close()
    with session(db, read_only=True) as con:
        assert summary(con)["articles"] == 0
        with pytest.raises(StorageError):
            start_run(con, kind="daily", run_date=DAY, params={})


def test_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(StorageError, match=re.escape(str(bogus))) as info:
        connect(bogus, read_only=True)
    assert "\n" not in str(info.value)


def _hold_lock(db: Path) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sys, time, duckdb
        con = duckdb.connect({str(db)!r})
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_connect_while_another_process_writes_is_locked(db: Path) -> None:
    connect(db).close()
    proc = _hold_lock(db)
    try:
        for read_only in (False, True):
            with pytest.raises(DatabaseLockedError) as info:
                connect(db, read_only=read_only)
            message = str(info.value)
            assert str(db) in message
            assert f"process {proc.pid}" in message
            assert "\n" not in message
    finally:
        proc.communicate("")  # closing stdin ends the holder
    assert proc.returncode == 0


def test_connect_can_wait_for_the_lock(db: Path) -> None:
    connect(db).close()
    # `with`: closes the holder's pipes (a leaked one is a ResourceWarning) and waits for it
    with _hold_lock(db) as proc:
        assert proc.stdin is not None
        proc.stdin.close()  # the holder exits now; connect(wait=...) must get in after it
        con = connect(db, wait=10)
        con.close()


def test_mixing_modes_in_one_process_is_a_clear_error(db: Path) -> None:
    with session(db), pytest.raises(StorageError, match="already open read-write"):
        connect(db, read_only=True)


def test_db_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIPLOWATCH_DB", raising=False)
    assert db_path(None) == Path(DEFAULT_DB)
    monkeypatch.setenv("DIPLOWATCH_DB", "/env/x.duckdb")
    assert db_path(None) == Path("/env/x.duckdb")
    assert db_path("cli.duckdb") == Path("cli.duckdb")


def test_transaction_rolls_back_and_reraises(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RuntimeError), transaction(con):
        con.execute("INSERT INTO feeds (feed_id, url) VALUES ('f', 'u')")
        raise RuntimeError("boom")
    assert table_counts(con)["feeds"] == 0


# --- blobs --------------------------------------------------------------------------------------


def test_compress_round_trip() -> None:
    page = "<html>é".encode() * 1000
    packed = blobs.compress(page)
    assert len(packed) < len(page) / 5
    assert blobs.decompress(packed) == page
    with pytest.raises(StorageError):
        blobs.decompress(b"not zlib")


# --- runs ---------------------------------------------------------------------------------------


def test_runs_and_dates_completed(con: duckdb.DuckDBPyConnection) -> None:
    a = start_run(con, kind="backfill", run_date=DAY, params={"day": DAY}, flow_run_id="fr-1")
    b = start_run(con, kind="backfill", run_date=DAY + timedelta(days=1), params={})
    c = start_run(con, kind="daily", run_date=DAY, params={})
    assert len({a, b, c}) == 3
    finish_run(con, a, status="completed", counts={"articles": 3})
    finish_run(con, b, status="failed", counts={}, error="network down")
    finish_run(con, c, status="completed", counts={})
    assert dates_completed(con, "backfill") == {DAY}
    assert dates_completed(con, "daily") == {DAY}
    row = con.execute("SELECT status, counts, params, finished FROM runs WHERE run_id = ?", [a])
    status, counts, params, finished = row.fetchall()[0]
    assert (status, counts, params) == ("completed", '{"articles": 3}', '{"day": "2021-12-07"}')
    assert finished is not None
    with pytest.raises(StorageError, match="no run"):
        finish_run(con, "no-such-run", status="completed", counts={})
    with pytest.raises(StorageError, match="run kind"):
        start_run(con, kind="weekly", run_date=None, params={})


# --- feeds --------------------------------------------------------------------------------------


def test_feed_state_round_trip_keeps_validators_on_304_and_failure(
    con: duckdb.DuckDBPyConnection,
) -> None:
    common: dict[str, Any] = {
        "feed_id": "lm",
        "url": "https://lemonde.fr/rss",
        "outlet": "Le Monde",
    }
    t0 = datetime(2021, 12, 7, 6, 0, tzinfo=UTC)
    assert load_feed_states(con) == {}
    save_feed_status(
        con,
        **common,
        status="ok",
        http_status=200,
        etag='"v1"',
        last_modified="Tue, 07 Dec 2021 05:00:00 GMT",
        items=12,
        checked_at=t0,
    )
    assert load_feed_states(con) == {"lm": ('"v1"', "Tue, 07 Dec 2021 05:00:00 GMT")}

    save_feed_status(con, **common, status="unchanged", http_status=304, checked_at=t0)
    assert load_feed_states(con) == {"lm": ('"v1"', "Tue, 07 Dec 2021 05:00:00 GMT")}

    save_feed_status(con, **common, status="failed", error="timeout", checked_at=t0)
    assert load_feed_states(con) == {"lm": ('"v1"', "Tue, 07 Dec 2021 05:00:00 GMT")}
    row = con.execute("SELECT last_status, last_error, last_checked FROM feeds").fetchone()
    assert row == ("failed", "timeout", datetime(2021, 12, 7, 6, 0))

    save_feed_status(con, **common, status="ok", http_status=200, etag='"v2"', checked_at=t0)
    assert load_feed_states(con) == {"lm": ('"v2"', None)}
    with pytest.raises(StorageError, match="status"):
        save_feed_status(con, **common, status="weird", checked_at=t0)


# --- save_batch, known_urls ---------------------------------------------------------------------


def test_save_batch_twice_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    batch = [
        processed("https://a.fr/1", claims=[claim(), claim(speaker="Vladimir Poutine")]),
        processed("https://a.fr/2", status="empty", relevant=None, claims=[]),
        processed("https://a.fr/3", status="failed"),
    ]
    counts = save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)
    assert counts == {"articles": 3, "flags": 1, "claims": 2}
    before = table_counts(con)
    snapshot = con.execute("SELECT * FROM articles ORDER BY url").fetchall()

    again = save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)
    assert again == {"articles": 0, "flags": 0, "claims": 0}
    assert table_counts(con) == before
    assert con.execute("SELECT * FROM articles ORDER BY url").fetchall() == snapshot

    row = con.execute(
        "SELECT title, published, fetched, link, feed_id, status, run_date FROM articles"
        " WHERE url = 'https://a.fr/1'"
    ).fetchone()
    assert row == (
        "Biden met en garde Poutine",
        DAY,
        datetime(2021, 12, 7, 20, 0),  # 21:00+01:00 stored as naive UTC
        "https://a.fr/1?utm_source=rss",
        "lemonde-international",
        "extracted",
        DAY,
    )
    idx = con.execute("SELECT idx, speaker FROM claims ORDER BY idx").fetchall()
    assert idx == [(0, "Joe Biden"), (1, "Vladimir Poutine")]
    flag = con.execute("SELECT relevant, score, reasons, extractor_version FROM flags").fetchone()
    assert flag == (True, 0.9, ["a", "b"], VERSION)


def test_stored_article_is_never_changed_by_a_later_fetch(con: duckdb.DuckDBPyConnection) -> None:
    run1 = start_run(con, kind="daily", run_date=DAY, params={})
    save_batch(
        con, [processed("https://a.fr/1")], run_id=run1, run_date=DAY, extractor_version="v1"
    )
    run2 = start_run(con, kind="daily", run_date=DAY, params={})
    later = processed("https://a.fr/1", text="autre texte", relevant=False, claims=[])
    counts = save_batch(con, [later], run_id=run2, run_date=DAY, extractor_version="v2")
    assert counts == {"articles": 0, "flags": 0, "claims": 0}
    row = con.execute("SELECT text, run_id FROM articles").fetchone()
    assert row == ("Le président américain a averti Moscou.", run1)
    assert con.execute("SELECT relevant FROM flags").fetchone() == (True,)
    # a failure of a later fetch does not replace a stored page either
    failed = processed("https://a.fr/1", status="failed")
    assert (
        save_batch(con, [failed], run_id=run2, run_date=DAY, extractor_version="v2")["articles"]
        == 0
    )
    assert con.execute("SELECT status FROM articles").fetchone() == ("extracted",)


def test_failed_article_is_retried_then_given_up(con: duckdb.DuckDBPyConnection) -> None:
    url = "https://a.fr/flaky"
    runs = [start_run(con, kind="daily", run_date=DAY, params={}) for _ in range(4)]
    save_batch(
        con,
        [processed(url, status="failed")],
        run_id=runs[0],
        run_date=DAY,
        extractor_version=VERSION,
    )
    assert known_urls(con, [url]) == set()  # the next run fetches it again

    # the same failure saved twice by one run changes nothing
    save_batch(
        con,
        [processed(url, status="failed")],
        run_id=runs[0],
        run_date=DAY,
        extractor_version=VERSION,
    )
    assert con.execute("SELECT attempts FROM articles").fetchone() == (1,)

    counts = save_batch(
        con, [processed(url)], run_id=runs[1], run_date=DAY, extractor_version=VERSION
    )
    assert counts == {"articles": 1, "flags": 1, "claims": 1}
    row = con.execute("SELECT status, attempts, error, run_id FROM articles").fetchone()
    assert row == ("extracted", 2, None, runs[1])
    assert known_urls(con, [url]) == {url}

    dead = "https://a.fr/dead"
    for attempt, run in enumerate(runs[:MAX_FETCH_ATTEMPTS], start=1):
        assert known_urls(con, [dead]) == set()
        save_batch(
            con,
            [processed(dead, status="failed", error=f"HTTP 404 #{attempt}")],
            run_id=run,
            run_date=DAY,
            extractor_version=VERSION,
        )
    assert known_urls(con, [dead]) == {dead}
    row = con.execute("SELECT attempts, error FROM articles WHERE url = ?", [dead]).fetchone()
    assert row == (MAX_FETCH_ATTEMPTS, f"HTTP 404 #{MAX_FETCH_ATTEMPTS}")


def test_save_batch_in_chunks_with_mixed_values(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several multi-row INSERTs, NULLs and empty lists where other rows have values."""
    monkeypatch.setattr(writes, "INSERT_CHUNK", 2)
    run = start_run(con, kind="daily", run_date=DAY, params={})
    batch = []
    for i in range(5):
        pa = processed(
            f"https://a.fr/{i}",
            published=None if i % 2 else DAY,
            claims=[claim(country=None), claim(actor=None)] if i else [],
        )
        pa.flag = Flag(i % 2 == 0, i / 10, [] if i == 0 else [f"r{i}", "x"])
        batch.append(pa)
    counts = save_batch(con, batch, run_id=run, run_date=None, extractor_version=VERSION)
    assert counts == {"articles": 5, "flags": 5, "claims": 8}
    flags = con.execute("SELECT url, relevant, score, reasons FROM flags ORDER BY url").fetchall()
    assert flags[0] == ("https://a.fr/0", True, 0.0, [])
    assert flags[3] == ("https://a.fr/3", False, 0.3, ["r3", "x"])
    published = con.execute("SELECT published, run_date FROM articles ORDER BY url").fetchall()
    # no article date: the feed item's date is used
    assert published == [(DAY, None)] * 5
    rows = con.execute(
        "SELECT speaker_actor, speaker_country FROM claims"
        " WHERE url = 'https://a.fr/4' ORDER BY idx"
    ).fetchall()
    assert rows == [("Joe Biden", None), (None, "USA")]


def test_duplicate_url_in_a_batch_counts_once(con: duckdb.DuckDBPyConnection) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    batch = [processed("https://a.fr/1", status="failed"), processed("https://a.fr/1")]
    counts = save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)
    assert counts == {"articles": 1, "flags": 1, "claims": 1}
    assert con.execute("SELECT status FROM articles").fetchone() == ("extracted",)


def test_save_batch_rejects_unknown_status(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(StorageError, match="status"):
        save_batch(
            con,
            [processed("https://a.fr/1", status="weird")],
            run_id="r",
            run_date=DAY,
            extractor_version=VERSION,
        )
    assert table_counts(con)["articles"] == 0


def test_save_batch_is_all_or_nothing(con: duckdb.DuckDBPyConnection) -> None:
    batch = [processed("https://a.fr/1"), processed("https://a.fr/2", claims=[claim(start="x")])]
    with pytest.raises(StorageError, match="save_batch"):
        save_batch(con, batch, run_id="r", run_date=DAY, extractor_version=VERSION)
    assert table_counts(con) == dict.fromkeys(("articles", "flags", "claims", "runs", "feeds"), 0)


def test_known_urls_for_thousands(con: duckdb.DuckDBPyConnection) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    stored = [processed(f"https://a.fr/{i}", claims=[]) for i in range(0, 3000, 3)]
    save_batch(con, stored, run_id=run, run_date=DAY, extractor_version=VERSION)
    asked = [f"https://a.fr/{i}" for i in range(3000)] + ["https://a.fr/0"]
    t0 = time.perf_counter()
    found = known_urls(con, iter(asked))
    assert time.perf_counter() - t0 < 2
    assert found == {f"https://a.fr/{i}" for i in range(0, 3000, 3)}
    assert known_urls(con, []) == set()


def test_save_batch_of_100_is_quick(con: duckdb.DuckDBPyConnection) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    html = b"<p>" + "Le Kremlin a d\xc3\xa9menti. ".encode() * 2000 + b"</p>"
    batch = [
        processed(f"https://b.fr/{i}", html=html, claims=[claim(), claim(), claim()])
        for i in range(100)
    ]
    t0 = time.perf_counter()
    counts = save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)
    elapsed = time.perf_counter() - t0
    assert counts == {"articles": 100, "flags": 100, "claims": 300}
    assert elapsed < 5, elapsed  # ~0.03 s here; the bound only catches a pathological regression


# --- replace_analysis, iter_stored_pages --------------------------------------------------------


def test_replace_analysis_replaces(con: duckdb.DuckDBPyConnection) -> None:
    url = "https://a.fr/1"
    run = start_run(con, kind="daily", run_date=DAY, params={})
    save_batch(
        con,
        [processed(url, claims=[claim(), claim()])],
        run_id=run,
        run_date=DAY,
        extractor_version="v1",
    )
    new_article = Article(
        url=url,
        title="Nouveau titre",
        text="Nouveau texte.",
        language="fr",
        published=date(2021, 12, 8),
    )
    replace_analysis(
        con,
        url,
        article=new_article,
        flag=Flag(False, 0.2, ["none"]),
        claims=[claim(speaker="Dmitri Peskov", actor="Dmitri Peskov", country="RUS")],
        extractor_version="v2",
    )
    row = con.execute("SELECT title, text, published, status, author FROM articles").fetchone()
    assert row == ("Nouveau titre", "Nouveau texte.", date(2021, 12, 8), "extracted", None)
    assert con.execute("SELECT relevant, extractor_version FROM flags").fetchall() == [
        (False, "v2")
    ]
    claims = con.execute("SELECT idx, speaker, extractor_version FROM claims").fetchall()
    assert claims == [(0, "Dmitri Peskov", "v2")]

    replace_analysis(con, url, article=None, flag=None, claims=[], extractor_version="v3")
    row = con.execute("SELECT title, text, status FROM articles").fetchone()
    assert row == ("Nouveau titre", "", "empty")
    assert table_counts(con)["flags"] == table_counts(con)["claims"] == 0

    with pytest.raises(StorageError, match="no such article"):
        replace_analysis(
            con, "https://a.fr/none", article=None, flag=None, claims=[], extractor_version="v3"
        )


def test_replace_analysis_is_atomic(con: duckdb.DuckDBPyConnection) -> None:
    url = "https://a.fr/1"
    run = start_run(con, kind="daily", run_date=DAY, params={})
    save_batch(
        con,
        [processed(url, claims=[claim(), claim()])],
        run_id=run,
        run_date=DAY,
        extractor_version="v1",
    )
    before = {
        table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ("articles", "flags", "claims")
    }
    new_article = Article(url=url, title="Autre", text="Autre texte.")
    with pytest.raises(StorageError, match=re.escape(f"replace_analysis {url}")):
        replace_analysis(
            con,
            url,
            article=new_article,
            flag=Flag(False, 0.0),
            claims=[claim(), claim(start="not an offset")],  # the second claim cannot be stored
            extractor_version="v2",
        )
    after = {
        table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ("articles", "flags", "claims")
    }
    assert after == before
    # and the connection is usable again
    assert summary(con)["claims"] == 2


def test_iter_stored_pages_chunks_and_window(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writes, "PAGE_CHUNK", 2)
    run = start_run(con, kind="reprocess", run_date=None, params={})
    batch = [
        processed(f"https://a.fr/{i}", published=DAY + timedelta(days=i), html=f"page {i}".encode())
        for i in range(5)
    ]
    batch.append(processed("https://a.fr/failed", status="failed"))  # no page: not yielded
    save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)

    pages = list(iter_stored_pages(con, None, None))
    assert [url for url, _, _ in pages] == [f"https://a.fr/{i}" for i in range(5)]
    url, html, meta = pages[3]
    assert html == b"page 3"
    assert meta["published"] == DAY + timedelta(days=3)
    assert meta["outlet"] == "Le Monde"
    assert meta["feed_id"] == "lemonde-international"
    assert meta["link"] == url + "?utm_source=rss"
    assert meta["title"] == "Biden met en garde Poutine"

    window = iter_stored_pages(con, DAY + timedelta(days=1), DAY + timedelta(days=3))
    assert [url for url, _, _ in window] == [f"https://a.fr/{i}" for i in (1, 2, 3)]

    # writing on the same connection while iterating is fine (reprocess does it)
    for url, _, _ in iter_stored_pages(con, None, None):
        replace_analysis(con, url, article=None, flag=None, claims=[], extractor_version="v2")
    assert summary(con) == {
        "articles": 6,
        "extracted": 0,
        "empty": 5,
        "failed": 1,
        "flagged": 0,
        "claims": 0,
        "runs": 1,
        "copy_groups": 6,
        "claims_once": 0,
        "events": 0,
    }


# --- queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO runs (run_id) VALUES ('x')",
        "DELETE FROM articles",
        "DROP TABLE articles",
        "ATTACH 'other.duckdb' AS other",
        "COPY articles TO 'out.csv'",
        "UPDATE articles SET title = 'x'",
        "CREATE TABLE x (a INTEGER)",
        "WITH a AS (SELECT 1) INSERT INTO feeds (feed_id, url) SELECT 'f', 'u' FROM a",
        "EXPLAIN ANALYZE DELETE FROM articles",
        "-- a comment\n/* another */ EXPLAIN ANALYZE DELETE FROM articles",
        "EXPLAIN (FORMAT json) ANALYZE DROP TABLE claims",
        "EXPLAIN EXPLAIN ANALYZE DELETE FROM articles",
        "/* x */ PRAGMA enable_profiling",
        "SELECT 1; DELETE FROM articles",
        "PRAGMA enable_profiling",
        "SET threads = 1",
        "INSTALL httpfs",
        "CALL pragma_table_info('articles')",
    ],
)
def test_run_query_rejects_writes(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    save_batch(
        con, [processed("https://a.fr/1")], run_id=run, run_date=DAY, extractor_version=VERSION
    )
    before = table_counts(con)
    with pytest.raises(QueryError):
        run_query(con, sql)
    assert table_counts(con) == before
    assert {row[0] for row in con.execute("SHOW TABLES").fetchall()} >= {"articles"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) AS n FROM articles",
        "WITH a AS (SELECT url FROM articles) SELECT * FROM a",
        "FROM articles SELECT url",
        "DESCRIBE articles",
        "SHOW TABLES",
        "SUMMARIZE claims",
        "PRAGMA table_info('claims')",
        "EXPLAIN SELECT * FROM claims",
        "EXPLAIN ANALYZE SELECT * FROM claims",
        "-- why\nEXPLAIN (FORMAT json) SELECT 1",
        "/* x */ PRAGMA table_info('claims');",
    ],
)
def test_run_query_accepts_reads(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    columns, rows = run_query(con, sql)
    assert columns
    assert isinstance(rows, list)


def test_run_query_params_and_errors(con: duckdb.DuckDBPyConnection) -> None:
    assert run_query(con, "SELECT ? + 1 AS x", [41]) == (["x"], [(42,)])
    with pytest.raises(QueryError) as info:
        run_query(con, "SELECT nope FROM articles")
    assert "nope" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(QueryError):
        run_query(con, "SELEC 1")


def _stories(con: duckdb.DuckDBPyConnection) -> None:
    run = start_run(con, kind="daily", run_date=DAY, params={})
    batch = [
        processed(
            "https://a.fr/biden",
            published=DAY,
            claims=[
                claim(),
                claim(
                    speaker="le président russe",
                    actor="Vladimir Poutine",
                    country="RUS",
                    kind="demand",
                    content="des garanties juridiques",
                ),
            ],
        ),
        processed(
            "https://a.fr/peskov",
            published=DAY + timedelta(days=1),
            claims=[
                claim(
                    speaker="Dmitri Peskov",
                    actor="Dmitri Peskov",
                    country="RUS",
                    kind="denial",
                    content="aucune invasion n'est prévue",
                )
            ],
        ),
        processed(
            "https://a.fr/sport",
            published=DAY,
            relevant=False,
            claims=[claim(speaker="l'entraîneur", actor=None, country=None, kind="statement")],
        ),
    ]
    save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)


def test_claims_listing_filters(con: duckdb.DuckDBPyConnection) -> None:
    """storage.listings.claims, as `claims` and the demo's summary list them."""
    _stories(con)
    columns, rows = listings.claims(con)
    found = list(rows)
    assert len(found) == 4
    assert found[0][columns.index("url")] == "https://a.fr/peskov"  # newest first

    def urls_speakers(**kw: object) -> list[tuple[str, str]]:
        cols, rows = listings.claims(con, **kw)  # type: ignore[arg-type]  # keyword filters
        return [(row[cols.index("url")], row[cols.index("speaker")]) for row in rows]

    # the CLI has resolved the filters: a canonical actor, a country code, a lexicon kind
    assert urls_speakers(actor="Vladimir Poutine") == [("https://a.fr/biden", "le président russe")]
    assert {u for u, _ in urls_speakers(country="RUS")} == {
        "https://a.fr/biden",
        "https://a.fr/peskov",
    }
    assert urls_speakers(kind="denial") == [("https://a.fr/peskov", "Dmitri Peskov")]
    assert urls_speakers(country="RUS", since=DAY + timedelta(days=1)) == [
        ("https://a.fr/peskov", "Dmitri Peskov")
    ]
    assert [u for u, _ in urls_speakers(until=DAY)] == ["https://a.fr/biden"] * 2 + [
        "https://a.fr/sport"
    ]
    assert len(urls_speakers(limit=1)) == 1
    assert urls_speakers(actor="Emmanuel Macron") == []


def test_flagged_listing_and_summary(con: duckdb.DuckDBPyConnection) -> None:
    _stories(con)

    def urls(**kw: object) -> list[str]:
        cols, rows = listings.flagged(con, **kw)  # type: ignore[arg-type]  # keyword filters
        return [row[cols.index("url")] for row in rows]

    assert urls() == ["https://a.fr/peskov", "https://a.fr/biden"]
    assert urls(since=DAY, until=DAY) == ["https://a.fr/biden"]
    assert len(urls(limit=1)) == 1
    assert summary(con) == {
        "articles": 3,
        "extracted": 3,
        "empty": 0,
        "failed": 0,
        "flagged": 2,
        "claims": 4,
        "runs": 1,
        "copy_groups": 3,
        "claims_once": 4,
        "events": 0,
    }


# --- the file format, read by other tools ---------------------------------------------------------

#: the DuckDB line the README promises opens our files (storage.db.STORAGE_VERSION)
OLDEST_READER = "1.1"


def _storage_version(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as raw:
        row = raw.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE NOT internal"
        ).fetchone()
    assert row is not None
    return str(row[0])


def _fill(path: Path) -> None:
    with session(path) as con:
        run = start_run(con, kind="daily", run_date=DAY, params={"n": 300})
        batch = [
            processed(
                f"https://a.fr/{i}",
                claims=[claim(), claim("Vladimir Poutine", "Vladimir Poutine", "RUS")],
            )
            for i in range(300)
        ]
        save_batch(con, batch, run_id=run, run_date=DAY, extractor_version=VERSION)
        finish_run(con, run, status="completed", counts={"articles": 300})


def test_new_files_are_written_in_the_1x_format(db: Path) -> None:
    _fill(db)
    assert _storage_version(db) == "v1.0.0+"  # DuckDB's name for the format v1.0 to v1.1 share


def test_a_file_in_duckdb_2s_own_format_is_kept_as_it_is(db: Path) -> None:
    """Written by DuckDB 2 with its default: our writer opens and migrates it, never rewrites it."""
    db.parent.mkdir(parents=True)
    duckdb.connect(str(db)).close()
    assert _storage_version(db) == "v2.0.0+"
    _fill(db)
    with session(db, read_only=True) as con:
        names = con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()
        assert [n for (n,) in names] == sorted(MIGRATIONS.names)
        assert table_counts(con)["articles"] == 300
    assert _storage_version(db) == "v2.0.0+"


@pytest.fixture(scope="session")
def duckdb_1x(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtualenv holding DuckDB 1.1 from PyPI, the oldest reader we promise."""
    venv = tmp_path_factory.mktemp("duckdb1x") / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtualenv: {made.stderr.strip()}")
    python = venv / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         f"duckdb=={OLDEST_READER}.*"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if pip.returncode != 0:
        last = (pip.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"pip cannot install duckdb=={OLDEST_READER}.* (no PyPI?): {last}")
    return python


READ_IN_1X = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
one = lambda sql: [list(map(str, r)) for r in con.execute(sql).fetchall()]
print(json.dumps({
    "version": duckdb.__version__,
    "counts": one("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM flags),"
                  " (SELECT count(*) FROM claims), (SELECT count(*) FROM runs)"),
    "article": one("SELECT title, published, status, octet_length(raw_html) > 0 FROM articles"
                   " WHERE url = 'https://a.fr/42'"),
    "flag": one("SELECT relevant, score, reasons FROM flags WHERE url = 'https://a.fr/42'"),
    "claims": one("SELECT idx, speaker, speaker_actor FROM claims WHERE url = 'https://a.fr/42'"
                  " ORDER BY idx"),
    "by_actor": one("SELECT count(*) FROM claims WHERE speaker_actor = 'Joe Biden'"),
    "runs": one("SELECT kind, status FROM runs"),
    "migrations": one("SELECT name FROM _migrations ORDER BY name"),
    "indexes": one("SELECT index_name FROM duckdb_indexes() ORDER BY index_name"),
}))
"""


@pytest.mark.slow
def test_duckdb_1x_opens_and_reads_our_file(db: Path, duckdb_1x: Path) -> None:
    _fill(db)
    proc = subprocess.run(
        [str(duckdb_1x), "-c", READ_IN_1X, str(db)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["version"].startswith(OLDEST_READER + ".")
    assert seen["counts"] == [["300", "300", "600", "1"]]
    assert seen["article"] == [["Biden met en garde Poutine", "2021-12-07", "extracted", "True"]]
    assert seen["flag"] == [["True", "0.9", "['a', 'b']"]]
    assert seen["claims"] == [
        ["0", "Joe Biden", "Joe Biden"],
        ["1", "Vladimir Poutine", "Vladimir Poutine"],
    ]
    assert seen["by_actor"] == [["300"]]
    assert seen["runs"] == [["daily", "completed"]]
    assert seen["migrations"] == [[name] for name in sorted(MIGRATIONS.names)]
    assert seen["indexes"] == [["articles_published"], ["claims_speaker_actor"]]


@pytest.mark.slow
def test_duckdb_1x_cannot_open_duckdb_2s_own_format(tmp_path: Path, duckdb_1x: Path) -> None:
    """Why STORAGE_VERSION exists, and what the README says of files written before it."""
    path = tmp_path / "v2.duckdb"
    with duckdb.connect(str(path)) as raw:
        raw.execute("CREATE TABLE t AS SELECT 1 AS a")
    proc = subprocess.run(
        [str(duckdb_1x), "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
         str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "newer version of DuckDB" in proc.stderr
