"""Golden files for the claim extractor: each `tests/golden/claims/*.txt` (a `published:` line,
then the article) beside its `*.expected.json`, the claims as `analyze` gives them.

A change of output shows as a diff here; when it is an improvement, regenerate with
`DIPLOWATCH_REGEN_GOLDEN=1 pytest tests/test_claims_golden.py` and review the JSON diff.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from diplowatch.extractors.claims import ClaimExtractor

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden" / "claims"
CASES = sorted(GOLDEN.glob("*.txt"))
FIELDS: tuple[str, ...] = (
    "speaker",
    "speaker_actor",
    "speaker_country",
    "kind",
    "cue",
    "addressee",
)
FIELDS += ("source", "content", "direct", "start", "end", "rule")


def read_case(path: Path) -> tuple[str, date]:
    head, _, text = path.read_text(encoding="utf-8").partition("\n")
    assert head.startswith("published: "), f"{path.name}: first line must be 'published: D'"
    return text, date.fromisoformat(head.removeprefix("published: ").strip())


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, extractor: ClaimExtractor) -> None:
    text, published = read_case(case)
    got: list[dict[str, Any]] = [
        {k: v for k, v in claim.to_dict().items() if k in FIELDS}
        for claim in extractor.extract(text, published=published)
    ]
    expected = case.with_suffix(".expected.json")
    if os.environ.get("DIPLOWATCH_REGEN_GOLDEN"):
        expected.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert got == json.loads(expected.read_text(encoding="utf-8"))
