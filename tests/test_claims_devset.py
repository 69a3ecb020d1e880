"""Our own dev sets of written French news, scored with the shared scorer.

tests/devset/claims: 18 articles, written and then tuned on. tests/devset/claims_fresh: 13 longer
articles imitating real pages (datelines, bylines, captions, "Lire aussi" lines, live-blog
timestamps, headlines), written before the extractor was run on them: its first figure (strict
F1 0.752 with claims-3) is our best estimate for unseen real articles; rules were then added
for its failures, so it is tuned on now too. tests/devset/claims_unseen: 8 more such articles
(2022-2025 speakers: Zakharova, Nebenzia, Kallas, Rutte, Vance, Witkoff, Erdogan, Xi, ...), first
scored at 0.854 by claims-4, then tuned on (claims-5).

The dev set is ours; the scorer is read from ../shared/eval/score.py at run time (never copied)
and the test is skipped where it is absent. The figures are printed (`pytest -s` shows them) and
the strict claim F1 must stay above a floor a little under what the extractor reaches.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared"
DEVSET = ROOT / "tests" / "devset" / "claims"
FRESH = ROOT / "tests" / "devset" / "claims_fresh"
UNSEEN = ROOT / "tests" / "devset" / "claims_unseen"
SCORER = SHARED / "eval" / "score.py"
FLOOR = 0.85  # strict claim F1; the extractor reaches about 0.90 on this set
FRESH_FLOOR = 0.84  # strict claim F1; the extractor reaches about 0.88 on the fresh set
UNSEEN_FLOOR = 0.89  # strict claim F1; 0.854 before tuning (claims-4), about 0.92 with claims-5

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SCORER.exists(), reason=f"{SCORER} (the shared scorer) is not present"),
]


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diplowatch_shared_score_devset", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    return run_set(DEVSET, tmp_path_factory)


@pytest.fixture(scope="module")
def unseen_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    return run_set(UNSEEN, tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    return run_set(FRESH, tmp_path_factory)


def run_set(devset: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    from diplowatch.extractors.actors import ActorIndex
    from diplowatch.extractors.claims import ClaimExtractor, load_nlp
    from diplowatch.settings.loader import load_config

    config = load_config(None)
    extractor = ClaimExtractor(load_nlp(), ActorIndex.from_config(config.actors), config.lexicon)
    docs = [json.loads(line) for line in (devset / "docs.jsonl").read_text("utf-8").splitlines()]
    gold = {
        g["id"]: g for g in map(json.loads, (devset / "gold.jsonl").read_text("utf-8").splitlines())
    }
    inputs = [
        (d["text"], date.fromisoformat(d["published"]) if d.get("published") else None)
        for d in docs
    ]
    preds = []
    for d, found in zip(docs, extractor.extract_many(inputs), strict=True):
        # the flag is another module's: take it from the gold to keep the claim figures apart
        preds.append(
            {
                "id": d["id"],
                "relevant": gold[d["id"]]["relevant"],
                "claims": [c.to_dict() for c in found],
            }
        )
    out = tmp_path_factory.mktemp("devset") / "preds.jsonl"
    out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), "utf-8")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        load_scorer().main(["--gold", str(devset / "gold.jsonl"), "--pred", str(out), "--verbose"])
    text = buf.getvalue()
    print(f"\n{devset.name}:\n" + text)
    return text


def strict_f1(report: str) -> float:
    line = next(line for line in report.splitlines() if line.startswith("strict claim F1"))
    return float(line.split()[3].rstrip(","))


@pytest.mark.parametrize(("devset", "size"), [(DEVSET, 15), (FRESH, 12), (UNSEEN, 8)])
def test_devset_is_well_formed(devset: Path, size: int) -> None:
    docs = [json.loads(line) for line in (devset / "docs.jsonl").read_text("utf-8").splitlines()]
    gold = [json.loads(line) for line in (devset / "gold.jsonl").read_text("utf-8").splitlines()]
    assert len(docs) >= size and [d["id"] for d in docs] == [g["id"] for g in gold]
    scorer = load_scorer()
    for d, g in zip(docs, gold, strict=True):
        for claim in g["claims"]:
            assert scorer.norm(claim["anchor"]) in scorer.norm(d["text"]), (d["id"], claim)


def test_strict_claim_f1_above_the_floor(report: str) -> None:
    assert strict_f1(report) >= FLOOR, report


def test_fresh_strict_claim_f1_above_the_floor(fresh_report: str) -> None:
    assert strict_f1(fresh_report) >= FRESH_FLOOR, fresh_report


def test_unseen_strict_claim_f1_above_the_floor(unseen_report: str) -> None:
    assert strict_f1(unseen_report) >= UNSEEN_FLOOR, unseen_report
