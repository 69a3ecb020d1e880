"""`diplowatch export` and the machine formats of the read commands, on a real DuckDB file."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from diplowatch.cli import main
from tests import analyst_db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return analyst_db.build(tmp_path_factory.mktemp("export") / "a.duckdb")


def test_parquet_is_duckdb_copy_of_the_table(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "claims.parquet"
    assert main(["export", "--db", str(db), "claims", "--out", str(out)]) == 0
    with duckdb.connect() as con:
        row = con.execute(f"SELECT count(*), min(kind) FROM read_parquet('{out}')").fetchone()
    assert row == (8, "demand")


def test_csv_is_verbatim_with_lists_as_json(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    sql = "SELECT a.url, a.text, f.reasons FROM articles a JOIN flags f USING (url) ORDER BY 1"
    assert main(["export", "--db", str(db), "--query", sql, "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    call = next(r for r in rows if r["url"] == analyst_db.CALL)
    assert call["text"] == analyst_db.CALL_TEXT  # paragraph breaks kept, accents intact
    assert json.loads(call["reasons"]) == ["actors: USA, RUS"]


def test_excel_csv_has_a_bom_and_semicolons(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    assert main(["export", "--db", str(db), "claims", "--out", str(out), "--excel"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("url;idx;speaker;")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert {r["cue"] for r in rows} >= {"démentir", "réclamer"}


def test_xlsx_holds_every_row_and_the_accents(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.xlsx"
    assert main(["export", "--db", str(db), "articles", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert len(re.findall(r"<row ", sheet)) == 1 + 4
    assert "Le Kremlin a démenti" in sheet and "Zelensky réclame" in sheet


def test_export_mistakes_are_one_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--db", str(db), "nope", "--out", str(tmp_path / "x.csv")]) == 1
    err = capsys.readouterr().err
    assert "no table 'nope'" in err and "claims" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--db", str(db), "claims", "--out", str(tmp_path / "x.txt")])
    assert exit_.value.code == 2
    assert "--format" in capsys.readouterr().err
    sql = "DELETE FROM claims"
    assert main(["export", "--db", str(db), "--query", sql, "--out", str(tmp_path / "d.csv")]) == 1
    assert not (tmp_path / "d.csv").exists()


def test_query_limit_streams(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a billion rows: only a streamed, limited read answers at once
    sql = "SELECT range AS n FROM range(1000000000)"
    assert main(["query", "--db", str(db), "--limit", "3", "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.split() == ["n", "0", "1", "2"]


def test_claims_json_carries_the_analyze_contract(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from diplowatch.storage.listings import CONTRACT_FIELDS

    assert main(["claims", "--db", str(db), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(set(CONTRACT_FIELDS) <= set(r) for r in rows)
    # the reprint's three claims are folded into the original's: 8 stored, 5 listed
    assert len(rows) == 5
    biden = next(r for r in rows if r["kind"] == "warning")
    assert biden["copies"] == 2 and biden["url"] == analyst_db.CALL
    text = analyst_db.CALL_TEXT
    assert text[biden["start"] : biden["end"]] == biden["sentence"]


def test_claims_csv_keeps_content_whole(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["claims", "--db", str(db), "--format", "csv", "--kind", "demand"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["content"] for r in rows] == ["des sanctions « préventives » contre Moscou"]
    assert list(rows[0])[:6] == [
        "published",
        "outlet",
        "speaker",
        "speaker_country",
        "kind",
        "content",
    ]


@pytest.mark.parametrize(
    ("option", "value", "expect"),
    [
        ("--kind", "warnings", "kinds: statement, warning"),
        ("--country", "Narnia", "codes: "),
        ("--actor", "Poutin", "did you mean 'Vladimir Poutine'"),
    ],
)
def test_unknown_filter_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, expect: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["claims", "--db", str(db), option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expect in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "value", "speakers"),
    [
        ("--actor", "le Kremlin", {"Le Kremlin"}),
        ("--actor", "Zelenski", {"Volodymyr Zelensky", "Le président ukrainien"}),
        ("--country", "rus", {"Le Kremlin"}),
        ("--country", "Ukraine", {"Volodymyr Zelensky", "Le président ukrainien"}),
        ("--kind", "Warning", {"Joe Biden"}),
    ],
)
def test_filters_resolve_through_the_configuration(
    db: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, speakers: set[str]
) -> None:
    assert main(["claims", "--db", str(db), option, value, "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["speaker"] for r in rows} == speakers


def test_flagged_folds_wire_copies(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flagged", "--db", str(db), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["url"] for r in rows] == [analyst_db.KYIV, analyst_db.CALL]
    call = rows[1]
    assert call["copies"] == 2 and call["outlets"] == ["L'Autre Journal", "Le Quotidien"]


def test_read_command_mistakes_are_one_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "r.html"
    assert main(["report", "--db", str(db), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"no folder {out.parent}" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["readouts", "--db", str(db), "--event", "e1", "--since", "2021-12-01"])
    assert exit_.value.code == 2
    assert "do not go together" in capsys.readouterr().err


def test_report_folds_wire_copies(db: Path, tmp_path: Path) -> None:
    from diplowatch.report import write_report
    from diplowatch.storage import db as storage_db

    out = tmp_path / "r.html"
    with storage_db.session(db, read_only=True) as con:
        stats = write_report(con, out)
    # 3 flagged articles, one a reprint: 2 stories; 8 stored claims, the reprint's 3 folded
    assert (stats.articles, stats.stories, stats.claims, stats.events) == (3, 2, 5, 1)
    html = out.read_text(encoding="utf-8")
    assert "L&#x27;Autre Journal" in html  # the reprinting outlet, drawn as a wire copy
    assert html.count('<article class=text id="a') == 2  # the reprint's text is not repeated
    assert '<mark id="a1-c' in html and "Le Kremlin a démenti" in html


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_an_export_query_reads_the_database_only(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n", encoding="utf-8")
    out = tmp_path / f"leak.{fmt}"
    sql = f"SELECT * FROM read_csv('{secret}')"
    assert main(["export", "--db", str(db), "--query", sql, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "disabled by configuration" in err and len(err.splitlines()) == 1
    assert not out.exists() or b"hunter2" not in out.read_bytes()
    # nor can its SQL write elsewhere than the export's own file
    other = tmp_path / "other.csv"
    sql = f"SELECT * FROM claims UNION ALL SELECT * FROM read_csv('{other}')"
    assert main(["export", "--db", str(db), "--query", sql, "--out", str(out)]) == 1
    capsys.readouterr()
