#!/usr/bin/env python3
"""Time claim extraction per article over the real pages of ../shared/corpus/pages.

The pages are cleaned with trafilatura first, untimed: only `ClaimExtractor.extract_many` (spaCy
through `nlp.pipe` in batches, plus the rules) is measured, after one warm-up document.

    .venv/bin/python scripts/bench_claims.py [--shared ../shared] [--batch-size 32] [--show]
        [--long N]

`--long N` (default 50) then times one generated page of N and of 4N quoted paragraphs: the cost
per paragraph must not grow with the page (issue 13).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import trafilatura

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor, load_nlp
from diplowatch.settings.loader import load_config

ROOT = Path(__file__).resolve().parents[1]


def page_texts(pages: Path) -> list[tuple[str, str]]:
    """(file name, cleaned text) of every page trafilatura finds text in."""
    out: list[tuple[str, str]] = []
    for path in sorted(pages.glob("*.htm*")):
        text = trafilatura.extract(path.read_bytes(), include_comments=False)
        if text and text.strip():
            out.append((path.name, text))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--show", action="store_true", help="print the claims found")
    ap.add_argument("--cold", action="store_true", help="time the first pass over the texts")
    ap.add_argument(
        "--long",
        type=int,
        default=50,
        metavar="N",
        help="also time one page of N then 4N quoted paragraphs (0: skip)",
    )
    args = ap.parse_args(argv)
    pages = args.shared / "corpus" / "pages"
    if not pages.is_dir():
        print(f"{pages}: not found", file=sys.stderr)
        return 2
    texts = page_texts(pages)
    t0 = time.perf_counter()
    config = load_config(None)
    nlp = load_nlp()
    extractor = ClaimExtractor(nlp, ActorIndex.from_config(config.actors), config.lexicon)
    load_s = time.perf_counter() - t0
    # warm-up pass, untimed: the first sight of each word fills the vocabulary's caches, which a
    # long-running process has done long before; --cold measures that first pass instead
    if not args.cold:
        list(extractor.extract_many(((t, None) for _, t in texts), batch_size=args.batch_size))
    else:
        extractor.extract("Le ministre a déclaré que la réunion aurait lieu lundi.")

    t0, c0 = time.perf_counter(), time.process_time()
    results = list(
        extractor.extract_many(((t, None) for _, t in texts), batch_size=args.batch_size)
    )
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0  # CPU time: steadier than the wall clock on a shared machine

    per_article: list[float] = []
    for (_, text), _ in zip(texts, results, strict=True):
        t1 = time.perf_counter()
        extractor.extract(text)
        per_article.append((time.perf_counter() - t1) * 1000)

    chars = sum(len(t) for _, t in texts)
    n_claims = sum(len(r) for r in results)
    if args.show:
        for (name, _), claims in zip(texts, results, strict=True):
            for c in claims:
                print(
                    f"{name}: {c.speaker}/{c.speaker_country} [{c.kind}] {c.cue!r} "
                    f"direct={c.direct} :: {c.content[:110]}"
                )
    print(f"pipeline: {', '.join(nlp.pipe_names)} (model load {load_s:.1f} s, untimed below)")
    print(
        f"articles: {len(texts)}, {chars / len(texts):.0f} characters on average, {n_claims} claims"
    )
    print(
        f"extract_many (nlp.pipe, batch {args.batch_size}): "
        f"{total * 1000 / len(texts):.1f} ms per article, "
        f"{chars / total / 1000:.1f} k characters/s, "
        f"{cpu * 1000 / len(texts):.1f} ms CPU per article"
    )
    print(
        f"extract one by one: median {statistics.median(per_article):.1f} ms, "
        f"mean {statistics.fmean(per_article):.1f} ms per article"
    )
    if args.long:
        long_page(extractor, args.long)
    return 0


# a paragraph of the construction that made issue 13's page slow: a quote, its cue after it
QUOTED = (
    "« Les pourparlers sur les céréales de la mer Noire doivent reprendre sans délai, et nous "
    "attendons une réponse écrite de nos partenaires », a déclaré Sergueï Lavrov.\n"
)


def long_page(extractor: ClaimExtractor, paragraphs: int) -> None:
    """Cost per quoted paragraph on one page of N, then 4N, paragraphs: equal when linear."""
    costs: list[str] = []
    for n in (paragraphs, 4 * paragraphs):
        t0 = time.perf_counter()
        found = extractor.extract(QUOTED * n)
        ms = (time.perf_counter() - t0) * 1000
        costs.append(
            f"{n} paragraphs ({len(QUOTED) * n // 1000} kB, {len(found)} claims) "
            f"{ms / n:.2f} ms each"
        )
    print("one long page of quoted paragraphs: " + "; ".join(costs))


if __name__ == "__main__":
    sys.exit(main())
