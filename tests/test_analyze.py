"""`diplowatch analyze`: the JSON Lines contract, bad input, and the seed through eval/score.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from diplowatch.cli import main
from tests.conftest import SHARED
from tests.flow_fixtures import page

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {"id", "relevant", "score", "reasons", "claims"}
CLAIM_KEYS = {
    "speaker", "speaker_actor", "speaker_country", "kind", "cue", "addressee", "source",
    "content", "direct", "sentence", "start", "end", "rule",
}  # fmt: skip


def run_analyze(
    tmp_path: Path, docs: list[dict[str, str]], options: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    src, out = tmp_path / "docs.jsonl", tmp_path / "preds.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    assert main(["analyze", *options, "--input", str(src), "--output", str(out)]) == 0
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_contract_in_order_with_offsets(tmp_path: Path) -> None:
    text = (
        "Le chef de la diplomatie russe a averti mardi les Etats-Unis contre toute livraison "
        "d'armes à Kiev. « Nous ne resterons pas les bras croisés », a déclaré Sergueï Lavrov."
    )
    docs = [
        {"id": "b", "text": "Il pleut sur Brest depuis trois jours.", "published": "2022-01-10"},
        {"id": "a", "text": text, "published": "2022-01-10"},
        {"id": "page", "html": page("appel-biden-poutine").decode()},
    ]
    preds = run_analyze(tmp_path, docs)
    assert [p["id"] for p in preds] == ["b", "a", "page"]
    for p in preds:
        assert set(p) == CONTRACT_KEYS and 0.0 <= p["score"] <= 1.0
        for c in p["claims"]:
            assert set(c) == CLAIM_KEYS
    assert preds[0]["claims"] == [] and preds[0]["relevant"] is False
    quote = [c for c in preds[1]["claims"] if c["direct"]]
    assert quote and quote[0]["speaker_actor"] == "Sergueï Lavrov"
    assert quote[0]["speaker_country"] == "RUS" and quote[0]["kind"] == "statement"
    for c in preds[1]["claims"]:
        assert text[c["start"] : c["end"]] == c["sentence"]
    assert preds[2]["relevant"] is True and preds[2]["claims"]


def test_files_and_published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    txt = tmp_path / "note.txt"
    txt.write_text(
        "Le président américain a appelé Moscou à la désescalade, selon la Maison Blanche."
    )
    html = tmp_path / "page.html"
    html.write_bytes(page("ligue-1-nantes"))
    assert main(["analyze", "--published", "2021-12-07", str(txt), str(html)]) == 0
    preds = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["id"] for p in preds] == ["note.txt", "page.html"]
    speakers = {c["speaker_actor"] for c in preds[0]["claims"]}
    assert "Joe Biden" in speakers or "Maison Blanche" in speakers
    assert preds[1]["relevant"] is False


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "docs.jsonl"
    src.write_text('{"id": "ok", "text": "Bonjour."}\n{"id": "bad", "txt": 1}\n', "utf-8")
    assert main(["analyze", "--input", str(src)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("diplowatch: error:") and f"{src}:2" in err and "\n" not in err
    assert main(["analyze", str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt" in capsys.readouterr().err


@pytest.mark.skipif(not (SHARED / "seed").is_dir(), reason="../shared/seed not found")
def test_seed_scored_by_the_shared_scorer(tmp_path: Path) -> None:
    """The Done-when of the flag and claims issues, as CI runs it."""
    raw = next((SHARED / "seed").glob("*.txt")).read_text("utf-8")
    text = re.sub(r"^\s*date \d{4}-\d{2}\s*", "", raw)  # the month marker is not article text
    run_analyze(tmp_path, [{"id": "seed", "text": text, "published": "2021-12-07"}])
    result = subprocess.run(
        [
            sys.executable,
            str(SHARED / "eval" / "score.py"),
            "--gold",
            str(SHARED / "eval" / "seed-gold.json"),
            "--pred",
            str(tmp_path / "preds.jsonl"),
            "--min-strict-f1",
            "0.85",
            "--verbose",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout)
    assert "flag: P 1.000 R 1.000 F1 1.000 (tp 1 fp 0 fn 0 tn 0)" in result.stdout
    assert "missed:" not in result.stdout
    assert result.returncode == 0, result.stdout


def test_one_document_too_long_for_spacy_loses_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = "Le chef de la diplomatie russe a averti mardi les Etats-Unis contre toute escalade."
    huge = " ".join([ok] * 15_000)  # over spaCy's million characters
    # the shipped text cap would cut it first: a user's cap above spaCy's limit
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "settings.toml").write_text("[analysis]\nmax_text_chars = 2_000_000\n")
    options = ("--config", str(tmp_path / "conf"))
    docs = [{"id": "ok", "text": ok}, {"id": "huge", "text": huge}]
    preds = run_analyze(tmp_path, docs, options)
    assert [p["id"] for p in preds] == ["ok", "huge"]
    assert preds[0]["claims"] and "error" not in preds[0]
    assert preds[1]["claims"] == [] and "claim extraction failed" in preds[1]["error"]
    err = capsys.readouterr().err
    assert "huge" in err and "Traceback" not in err
