#!/usr/bin/env python3
"""Time `flag_article` per article: it runs on every article, so it must stay cheap.

Texts: our dev, held-out, fresh, unseen and missed sets, the claims set (tests/devset/) and,
where present, ../shared/eval/real-dev and the real pages of ../shared/corpus/pages, extracted
once up front with trafilatura (only the flag is timed: features and the model's sigmoid).

    .venv/bin/python scripts/bench_flag.py [--repeat N] [--show]

Prints the median and p95 time per article, overall and per source; `--show` also lists the
corpus pages with their flag, to eyeball what the rules do on real French news.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.flag import flag_article
from diplowatch.settings.loader import load_config

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared"


def load_devset(name: str = "dev") -> list[tuple[str, str | None, str, date | None]]:
    docs: list[tuple[str, str | None, str, date | None]] = []
    path = ROOT / "tests" / "devset" / f"{name}.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            published = date.fromisoformat(d["published"]) if d.get("published") else None
            docs.append((d["id"], d.get("title"), d["text"], published))
    return docs


def load_real_dev() -> list[tuple[str, str | None, str, date | None]]:
    path = SHARED / "eval" / "real-dev" / "docs.jsonl"
    if not path.is_file():
        print(f"(no real-dev at {path})")
        return []
    docs: list[tuple[str, str | None, str, date | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            published = date.fromisoformat(d["published"]) if d.get("published") else None
            docs.append((d["id"], d.get("title"), d["text"], published))
    return docs


def load_corpus() -> list[tuple[str, str | None, str, date | None]]:
    pages = SHARED / "corpus" / "pages"
    if not pages.is_dir():
        print(f"(no corpus at {pages}: dev set only)")
        return []
    import trafilatura

    docs = []
    for path in sorted(pages.glob("*.htm*")):
        html = path.read_bytes()
        text = trafilatura.extract(html, favor_precision=True) or ""
        meta = trafilatura.extract_metadata(html)
        title = meta.title if meta is not None else None
        published = None
        if meta is not None and meta.date:
            try:
                published = date.fromisoformat(meta.date[:10])
            except ValueError:
                published = None
        if text:
            docs.append((path.name, title, text, published))
    return docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=20, help="timed runs per article")
    ap.add_argument("--show", action="store_true", help="list the corpus pages with their flag")
    args = ap.parse_args()

    config = load_config(None)  # the shipped files, validated
    actors = ActorIndex.from_config(config.actors)
    settings = config.flag

    sources = {
        "devset": load_devset(),
        "heldout": load_devset("heldout"),
        "fresh": load_devset("fresh"),
        "unseen": load_devset("unseen"),
        "missed": load_devset("missed"),
        "claims": load_devset("claims/docs"),
        "real-dev": load_real_dev(),
        "corpus": load_corpus(),
    }
    everything: list[float] = []
    for name, docs in sources.items():
        if not docs:
            continue
        times = []
        for doc_id, title, text, published in docs:
            flag_article(title, text, published=published, actors=actors, settings=settings)
            per = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                flag = flag_article(
                    title, text, published=published, actors=actors, settings=settings
                )
                per.append(time.perf_counter() - t0)
            times.append(statistics.median(per) * 1000)
            if args.show and name == "corpus":
                mark = "FLAG" if flag.relevant else "    "
                print(f"{mark} {flag.score:.2f} {doc_id} [{len(text)} chars] {flag.reasons[:3]}")
        everything.extend(times)
        chars = statistics.median(len(d[2]) for d in docs)
        print(
            f"{name}: {len(docs)} articles (median {chars:.0f} chars): median "
            f"{statistics.median(times):.3f} ms, p95 {quantile(times, 0.95):.3f} ms, "
            f"max {max(times):.3f} ms per article"
        )
    print(
        f"all: {len(everything)} articles: median {statistics.median(everything):.3f} ms, "
        f"p95 {quantile(everything, 0.95):.3f} ms per article"
    )
    return 0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


if __name__ == "__main__":
    sys.exit(main())
