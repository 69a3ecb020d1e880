"""scripts/eval_claims.py on a small gold set of our own: the scorer's figures, per-rule precision,
misses by class, strict F1 per kind and country, and the README row.

Imports ../shared/eval/score.py at run time (as the script does); skipped where it is absent.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
SCORER = ROOT.parent / "shared" / "eval" / "score.py"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not SCORER.exists(), reason=f"the scorer {SCORER} is not on this machine"),
]

# Our own sentences: one claim found right, one found with the wrong speaker, one in a quote
# whose cue comes after it (missed), one with the cue after the words (missed), one extra.
TEXT = (
    "Pourparlers à Vienne\n\n"
    "Le ministre russe des Affaires étrangères a déclaré mardi que les échanges restaient"
    " utiles.\n\n"
    "Washington a averti que toute escalade aurait un prix.\n\n"
    "« Nous ne céderons sur aucun point essentiel », a martelé le négociateur ukrainien.\n\n"
    "La prochaine session aura lieu en mars, a indiqué la porte-parole du département d'Etat.\n\n"
    "Les délégations ont dîné ensemble."
)
GOLD = {
    "id": "t1",
    "relevant": True,
    "claims": [
        {"anchor": "échanges restaient utiles", "speaker_country": "RUS", "kind": ["statement"]},
        {"anchor": "escalade aurait un prix", "speaker_country": "USA", "kind": ["warning"]},
        {"anchor": "aucun point essentiel", "speaker_country": "UKR", "kind": ["denial"]},
        {"anchor": "session aura lieu en mars", "speaker_country": "USA", "kind": ["statement"]},
    ],
}


def claim(content: str, country: str, kind: str, rule: str) -> dict[str, Any]:
    return {
        "speaker": "x",
        "speaker_actor": None,
        "speaker_country": country,
        "kind": kind,
        "content": content,
        "sentence": content,
        "rule": rule,
    }


PREDS = [
    {
        "id": "t1",
        "relevant": True,
        "claims": [
            claim("les échanges restaient utiles", "RUS", "statement", "reported_que"),
            claim("toute escalade aurait un prix", "RUS", "warning", "reported_que"),
            claim("ensemble", "FRA", "statement", "bare_object"),
        ],
    },
    {"id": "t2", "relevant": False, "claims": []},
]


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def eval_claims() -> ModuleType:
    return load("diplowatch_eval_claims", ROOT / "scripts" / "eval_claims.py")


@pytest.fixture
def gold_set(tmp_path: Path) -> Path:
    (tmp_path / "gold.jsonl").write_text(
        json.dumps(GOLD, ensure_ascii=False) + "\n" + json.dumps({"id": "t2", "relevant": False}),
        encoding="utf-8",
    )
    docs = [
        {"id": "t1", "text": TEXT, "published": "2025-03-04"},
        {"id": "t2", "text": "Le match a été reporté à cause de la pluie.", "published": None},
    ]
    (tmp_path / "docs.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8"
    )
    (tmp_path / "preds.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in PREDS), encoding="utf-8"
    )
    return tmp_path


def run(eval_claims: ModuleType, *argv: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert eval_claims.main(list(argv)) == 0
    return buf.getvalue()


def test_report_on_given_predictions(eval_claims: ModuleType, gold_set: Path) -> None:
    out = run(
        eval_claims,
        "--gold",
        str(gold_set / "gold.jsonl"),
        "--docs",
        str(gold_set / "docs.jsonl"),
        "--pred",
        str(gold_set / "preds.jsonl"),
        "--verbose",
    )
    # score.py's own lines: 2 of 4 found, 1 extra; strict 1 of 4 (the warning's speaker is wrong)
    assert "claims found: P 0.667 R 0.500" in out
    assert "claims strict (found + speaker + kind): P 0.333 R 0.250" in out
    assert "flag: P 1.000 R 1.000 F1 1.000 (tp 1 fp 0 fn 0 tn 1)" in out
    rules = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:2] == "  "}
    assert rules["reported_que"][:4] == ["2", "1", "0", "0"]  # matched, strict, neutral, false
    assert rules["bare_object"][:4] == ["0", "0", "0", "1"]
    assert "in a quote, cue after it: 'aucun point essentiel'" in out
    assert "cue after the words: 'session aura lieu en mars'" in out
    assert "another country" in out
    assert "strict F1 per kind (gold count): statement 0.50 (2)" in out
    assert (
        "RUS 0.67 (1)" in out
    )  # its one claim, and the warning wrongly given to it and "USA 0.00 (2)" in out


def test_markdown_row(eval_claims: ModuleType, gold_set: Path) -> None:
    out = run(
        eval_claims,
        "--set",
        str(gold_set),
        "--pred",
        str(gold_set / "preds.jsonl"),
        "--markdown",
    )
    head, rule, row = out.strip().splitlines()
    assert head.startswith("| set | flag P / R / F1 |") and rule.startswith("|---|")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == gold_set.name
    assert cells[1:4] == ["1.000 / 1.000 / 1.000", "0.667 / 0.500", "0.500"]
    assert cells[7] == "**0.286**"  # strict: tp 1, fp 2 + 1 wrong, fn 3


def test_missing_scorer_is_one_line(eval_claims: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="is not on this machine"):
        eval_claims.load_scorer(tmp_path / "score.py")


@pytest.mark.slow
def test_runs_the_analyzer_in_process(eval_claims: ModuleType, gold_set: Path) -> None:
    """Without --pred the analyzer runs on the docs, and --out keeps what it predicted."""
    out_file = gold_set / "fresh.jsonl"
    out = run(eval_claims, "--set", str(gold_set), "--out", str(out_file))
    preds = [json.loads(line) for line in out_file.read_text("utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["t1", "t2"]
    found = {c["content"] for c in preds[0]["claims"]}
    assert any("restaient utiles" in c for c in found)
    assert "claims found:" in out and "misses by class" in out
