"""`diplowatch show URL [--claim N]`: the article's text with its claims' sentences marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplowatch.cli import main
from tests import analyst_db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return analyst_db.build(tmp_path_factory.mktemp("show") / "a.duckdb")


def test_show_marks_every_claim(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--db", str(db), analyst_db.CALL]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Biden menace Poutine de sanctions\nLe Quotidien, 2021-12-07\n")
    assert "[[1| Joe Biden a averti Vladimir Poutine de sanctions sévères. ]]" in out
    assert "[[3| Le Kremlin a démenti toute intention d'attaquer l'Ukraine. ]]" in out
    assert "\n\n« Nous" not in out and "\n\n[[2| « Nous répondrons" in out  # paragraphs kept
    assert "[3] denial: Kremlin (RUS), cue «démentir»" in out


def test_show_one_claim(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--db", str(db), analyst_db.KYIV, "--claim", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("[[") == 1
    assert (
        "[[2| Le président ukrainien a réclamé des sanctions « préventives » contre Moscou. ]]"
        in out
    )


def test_show_by_a_tracked_link(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the canonical URL is what is stored; a copy with tracking parameters finds it too
    assert main(["show", "--db", str(db), analyst_db.KYIV + "?utm_source=twitter"]) == 0
    assert "Zelensky réclame des sanctions" in capsys.readouterr().out


def test_show_mistakes(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--db", str(db), analyst_db.KYIV, "--claim", "9"]) == 1
    assert "its claims: 1 to 2" in capsys.readouterr().err
    assert main(["show", "--db", str(db), "https://nulle.part/"]) == 1
    err = capsys.readouterr().err
    assert "no stored article 'https://nulle.part/'" in err and len(err.splitlines()) == 1
