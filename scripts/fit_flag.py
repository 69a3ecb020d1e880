#!/usr/bin/env python3
"""Fit the flag's decision: a logistic regression on the features of every labelled text we have.

    .venv/bin/python scripts/fit_flag.py [--dry-run]      (or: make fit-flag)

Texts: our written sets (tests/devset/*.jsonl and claims*/, their `relevant` labels), our labels
of the real pages and feed items of ../shared/corpus (tests/devset/corpus_labels.jsonl; the texts
are read there at run time, through extract_article and parse_feed as the pipeline does), and
../shared/eval/real-dev (docs.jsonl + gold.jsonl). Features: extractors/flag_features.py, with
the lists of config/flag.toml and the actors of config/actors.toml (refit after changing either).

Cross-validation holds out whole sources (GroupKFold: one of our sets, or one outlet of the real
texts), so its figures say how the flag does on a source it has not seen. The regularisation
strength is chosen by that CV F1 (the smallest C within half of `--slack` of the best), and so is
the threshold (the highest CV F1 averaged over +-0.05, and among the thresholds within `--slack` of
it, the lowest: a margin toward recall). The model is then fitted
on everything, its standardisation folded into the weights, and the [model] table of
config/flag.toml is rewritten (nothing else in the file). Deterministic: same data, same output.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from diplowatch.errors import NotAFeedError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.article import extract_article
from diplowatch.extractors.feeds import parse_feed
from diplowatch.extractors.flag_features import extract_features, feature_names

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "devset"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
REAL_DEV = SHARED / "eval" / "real-dev"
FLAG_TOML = ROOT / "config" / "flag.toml"
MARKER = "# -- model: written by scripts/fit_flag.py"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
FOLDS = 6


@dataclass(frozen=True, slots=True)
class Text:
    set: str  # what the CV figures are printed per
    group: str  # the source held out together
    id: str
    title: str | None
    text: str
    published: date | None
    relevant: bool


def _jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def ours() -> Iterator[Text]:
    for name in ("dev", "heldout", "fresh", "unseen", "missed"):
        for d in _jsonl(DEVSET / f"{name}.jsonl"):
            yield Text(
                name,
                name,
                d["id"],
                d.get("title"),
                d["text"],
                _date(d.get("published")),
                bool(d["relevant"]),
            )
    for folder in sorted(DEVSET.glob("claims*/")):
        relevant = {g["id"]: bool(g["relevant"]) for g in _jsonl(folder / "gold.jsonl")}
        for d in _jsonl(folder / "docs.jsonl"):
            yield Text(
                folder.name,
                folder.name,
                d["id"],
                d.get("title"),
                d["text"],
                _date(d.get("published")),
                relevant[d["id"]],
            )


def corpus() -> Iterator[Text]:
    labels = _jsonl(DEVSET / "corpus_labels.jsonl")
    for label in (r for r in labels if r["kind"] == "page"):
        path = CORPUS / "pages" / label["file"]
        article = extract_article(path.read_bytes(), url=f"https://corpus.invalid/{path.name}")
        outlet = label["file"].split("_", 1)[0]
        yield Text(
            "corpus pages",
            f"outlet:{outlet}",
            label["file"],
            article.title,
            article.text,
            article.published,
            bool(label["relevant"]),
        )
    items = {(r["file"], r["link"]): r for r in labels if r["kind"] == "feed_item"}
    for name in sorted({file for file, _ in items}):
        path = CORPUS / "feeds" / name
        try:
            parsed = parse_feed(
                path.read_bytes(),
                feed_id=path.stem,
                outlet="corpus",
                url=f"https://x.invalid/{name}",
            )
        except NotAFeedError:
            continue
        outlet = name.split("_", 1)[0]
        for item in parsed:
            found = items.pop((name, item.url), None)
            if found is not None:
                published = item.published.date() if item.published else None
                yield Text(
                    "corpus feed items",
                    f"outlet:{outlet}",
                    item.url,
                    item.title,
                    item.summary or "",
                    published,
                    bool(found["relevant"]),
                )
    if items:
        raise SystemExit(f"labelled feed items no longer found: {sorted(items)[:3]}")


def real_dev() -> Iterator[Text]:
    relevant = {g["id"]: bool(g["relevant"]) for g in _jsonl(REAL_DEV / "gold.jsonl")}
    urls = {s["id"]: s["url"] for s in _jsonl(REAL_DEV / "sources.jsonl")}
    for d in _jsonl(REAL_DEV / "docs.jsonl"):
        host = urlsplit(urls[d["id"]]).hostname or "unknown"
        outlet = host.removeprefix("www.").split(".")[0]
        yield Text(
            "real-dev",
            f"outlet:{outlet}",
            d["id"],
            d.get("title"),
            d["text"],
            _date(d.get("published")),
            relevant[d["id"]],
        )


def load_texts() -> list[Text]:
    texts = list(ours())
    if (CORPUS / "pages").is_dir() and (CORPUS / "feeds").is_dir():
        texts += corpus()
    else:
        print(f"(no corpus at {CORPUS}: fitted without our labels of it)")
    if REAL_DEV.is_dir():
        texts += real_dev()
    else:
        print(f"(no real-dev at {REAL_DEV}: fitted without it)")
    return texts


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[float, float, float]:
    pred = p >= threshold
    tp = float(np.sum(pred & y))
    precision = tp / max(1.0, float(np.sum(pred)))
    recall = tp / max(1.0, float(np.sum(y)))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def choose_threshold(y: np.ndarray, p: np.ndarray, slack: float) -> tuple[float, float]:
    """The threshold of the best CV F1, averaged over +-0.05 around each candidate (a single
    lucky point of a small set is not a plateau); among those within `slack` of that best, the
    lowest: a margin toward recall. Returns the threshold and the best (unsmoothed) F1."""
    candidates = np.round(np.arange(0.05, 0.951, 0.01), 2)
    f1s = np.array([f1_at(y, p, float(t))[2] for t in candidates])
    smooth = np.array([f1s[max(0, i - 5) : i + 6].mean() for i in range(len(f1s))])
    best = float(smooth.max())
    chosen = next(float(t) for t, f in zip(candidates, smooth, strict=True) if f >= best - slack)
    return chosen, float(f1s.max())


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=10000)


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float) -> np.ndarray:
    """Each text's probability from a model that never saw its source."""
    p = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        mean, sd = x[train].mean(axis=0), x[train].std(axis=0) + 1e-9
        model = _model(c).fit((x[train] - mean) / sd, y[train])
        p[test] = model.predict_proba((x[test] - mean) / sd)[:, 1]
    return p


def fit_all(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Weights and intercept on the raw features: standardisation folded in."""
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    return fold(_model(c).fit((x - mean) / sd, y), mean, sd)


def fold(model: LogisticRegression, mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, float]:
    """w·((x - mean) / sd) + b  ==  (w / sd)·x + (b - sum(w mean / sd))."""
    w = model.coef_[0] / sd
    b = float(model.intercept_[0] - np.sum(model.coef_[0] * mean / sd))
    return w, b


def model_block(
    names: tuple[str, ...], w: np.ndarray, b: float, threshold: float, notes: list[str]
) -> str:
    lines = [
        f"{MARKER} (make fit-flag); everything below this line is",
        "# rewritten by it, so edit the lists above and refit rather than editing these numbers.",
        *(f"# {note}" for note in notes),
        "[model]",
        f"threshold = {threshold:.2f}",
        f"intercept = {b:.6g}",
        "",
        "[model.weights]",
        "# score = sigmoid(intercept + sum(weight x feature)); the features are in",
        "# extractors/flag_features.py",
    ]
    width = max(len(n) for n in names)
    lines += [f"{name:<{width}} = {float(v):.6g}" for name, v in zip(names, w, strict=True)]
    return "\n".join(lines) + "\n"


def rewrite_model(block: str, path: Path = FLAG_TOML) -> None:
    """Replace what follows the MARKER line of flag.toml with `block`; the rest is kept."""
    text = path.read_text(encoding="utf-8")
    at = text.find(MARKER)
    if at < 0:
        raise SystemExit(f"{path}: no line starting {MARKER!r} to rewrite below")
    path.write_text(text[:at] + block, encoding="utf-8")
    tomllib.loads(path.read_text(encoding="utf-8"))  # still valid TOML


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    ap.add_argument("--slack", type=float, default=0.005, help="CV F1 given up for recall")
    ap.add_argument(
        "--show",
        metavar="SET",
        action="append",
        default=[],
        help="print each text of SET with its cross-validated probability",
    )
    args = ap.parse_args()

    settings = tomllib.loads(FLAG_TOML.read_text(encoding="utf-8"))
    with (ROOT / "config" / "actors.toml").open("rb") as fh:
        actors = ActorIndex.from_config(tomllib.load(fh))
    names = feature_names(settings["terms"])
    texts = load_texts()
    rows = [
        extract_features(t.title, t.text, published=t.published, actors=actors, settings=settings)
        for t in texts
    ]
    x = np.array([[r.features[n] for n in names] for r in rows])
    y = np.array([t.relevant for t in texts])
    groups = np.array([t.group for t in texts])
    print(
        f"{len(texts)} texts ({int(y.sum())} relevant), {len(set(groups))} sources, "
        f"{len(names)} features"
    )

    runs = []
    for c in C_GRID:
        p = out_of_fold(x, y, groups, c)
        _, f1 = choose_threshold(y, p, 0.0)
        print(f"C {c:<5} CV F1 {f1:.3f} (best threshold)")
        runs.append((f1, c, p))
    # the strongest regularisation (smallest C) within half the slack of the best CV F1: a few
    # examples of a rare feature should not buy it a large weight
    top = max(f1 for f1, _, _ in runs)
    _, c, p = next(run for run in runs if run[0] >= top - args.slack / 2)
    threshold, _ = choose_threshold(y, p, args.slack)
    notes = [
        f"fitted on {len(texts)} texts ({int(y.sum())} relevant) from {len(set(groups))} "
        f"sources, C = {c};",
        f"cross-validated by source ({FOLDS} folds), at this threshold:",
    ]
    sets = [s for s in dict.fromkeys(t.set for t in texts)]
    for name in [*sets, "all"]:
        mask = np.array([name in ("all", t.set) for t in texts])
        prec, rec, f1 = f1_at(y[mask], p[mask], threshold)
        wrong = [
            t.id
            for t, m, pp in zip(texts, mask, p, strict=True)
            if m and (pp >= threshold) != t.relevant
        ]
        line = (
            f"  {name}: {int(mask.sum())} texts, {int(y[mask].sum())} relevant: "
            f"P {prec:.3f} R {rec:.3f} F1 {f1:.3f}"
        )
        print(line + f"  wrong: {wrong[:8]}")
        notes.append(line)
    for t, pp in zip(texts, p, strict=True):
        if t.set in args.show:
            mark = "ok " if (pp >= threshold) == t.relevant else "BAD"
            print(f"  {mark} {t.set} {t.id[:60]} relevant={t.relevant} cv p={pp:.3f}")
    w, b = fit_all(x, y, c)
    largest = sorted(zip(names, w, strict=True), key=lambda nv: -abs(nv[1]))[:12]
    print("largest weights: " + ", ".join(f"{n} {v:+.2f}" for n, v in largest))
    if args.dry_run:
        return 0
    rewrite_model(model_block(names, w, b, threshold, notes))
    print(f"wrote [model] of {FLAG_TOML.relative_to(ROOT)}: threshold {threshold:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
