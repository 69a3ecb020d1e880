#!/usr/bin/env python3
"""Score the claim extractor on the seed story with the shared scorer.

Reads ../shared/seed at run time (never copied into the project), drops its `date YYYY-MM`
marker, extracts the claims with `published` 2021-12-07, writes the `analyze` contract's JSON
Lines and runs ../shared/eval/score.py on them. Only the claims are scored here: the flag is
another module's, so `relevant` is taken from the gold to keep the flag figures out of the way.

    .venv/bin/python scripts/eval_seed.py [--shared ../shared] [--out preds.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor, load_nlp
from diplowatch.settings.loader import load_config

ROOT = Path(__file__).resolve().parents[1]

PUBLISHED = date(2021, 12, 7)
DATE_MARK = re.compile(r"^\s*date \d{4}-\d{2}\s*")


def seed_text(shared: Path) -> str:
    """The seed story without its leading `date YYYY-MM` marker."""
    path = sorted((shared / "seed").glob("*.txt"))[0]
    return DATE_MARK.sub("", path.read_text(encoding="utf-8"), count=1)


def predictions(shared: Path, extractor: ClaimExtractor | None = None) -> list[dict[str, Any]]:
    """The contract's output for the seed, one document with id "seed"."""
    if extractor is None:
        config = load_config(None)
        extractor = ClaimExtractor(
            load_nlp(), ActorIndex.from_config(config.actors), config.lexicon
        )
    gold = json.loads((shared / "eval" / "seed-gold.json").read_text(encoding="utf-8"))
    claims = extractor.extract(seed_text(shared), published=PUBLISHED)
    return [
        {
            "id": "seed",
            "relevant": bool(gold.get("relevant", True)),
            "claims": [c.to_dict() for c in claims],
        }
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=Path("preds.jsonl"))
    ap.add_argument("--show", action="store_true", help="print each predicted claim")
    args = ap.parse_args(argv)
    preds = predictions(args.shared)
    args.out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), "utf-8")
    if args.show:
        for c in preds[0]["claims"]:
            print(
                f"- {c['speaker']} / {c['speaker_country']} [{c['kind']}] cue={c['cue']!r}"
                f" to={c['addressee']!r} src={c['source']!r} direct={c['direct']}\n"
                f"    {c['content']}"
            )
    cmd = [
        sys.executable,
        str(args.shared / "eval" / "score.py"),
        "--gold",
        str(args.shared / "eval" / "seed-gold.json"),
        "--pred",
        str(args.out),
        "--verbose",
    ]
    print("$", " ".join(cmd))
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
