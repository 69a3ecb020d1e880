#!/usr/bin/env python3
"""Measure the claims of `analyze` against gold files: the scorer's figures and where they go.

For each set (a gold file and its docs; default: ../shared/eval/real-dev), runs the analyzer in
process (the code of `diplowatch analyze`), or reuses predictions (`--pred`), then prints:

- the figures of ../shared/eval/score.py (imported from there at run time);
- addressee and source accuracy on found claims;
- strict F1 per kind and per speaker country (a wrong match counts against the gold's kind or
  country as a miss and against the prediction's as a false positive);
- precision per rule family (the predictions' `rule` field): matched, strict, neutral, false;
- the required gold claims missed, by the construction of their sentence;
- the wrong speakers of found claims, by what went wrong.

`--markdown` prints one README table row per set instead.

    .venv/bin/python scripts/eval_claims.py [--set DIR ...] [--gold G --docs D] [--pred P]
                                            [--out P] [--markdown] [--verbose]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "eval" / "score.py"
REAL_DEV = SHARED / "eval" / "real-dev"
PRONOUNS = frozenset({"il", "elle", "ils", "elles", "-il", "-elle", "lui"})


def load_scorer(path: Path = SCORER) -> ModuleType:
    """../shared/eval/score.py as a module; SystemExit in one line where it is absent."""
    if not path.exists():
        raise SystemExit(f"eval_claims: the scorer {path} is not on this machine")
    spec = importlib.util.spec_from_file_location("diplowatch_shared_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    raw = path.read_text(encoding="utf-8").strip()
    if raw.startswith("{") and "\n{" not in raw:
        return [json.loads(raw)]
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def analyze(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `analyze` contract's output for `docs`, in process."""
    from diplowatch.flows.workers import build_analyzer
    from diplowatch.settings.loader import load_config

    return list(build_analyzer(load_config(None)).analyze_documents(docs))


# -- matching, as score.py matches ----------------------------------------------------------


@dataclass
class Tally:
    """Counts of one set, overall and per kind, country and rule."""

    counts: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    by_country: dict[str, Counter[str]] = field(default_factory=dict)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)
    misses: Counter[str] = field(default_factory=Counter)
    wrong_speakers: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, table: dict[str, Counter[str]], key: str | None, what: str) -> None:
        table.setdefault(key or "-", Counter())[what] += 1


def match_doc(
    sc: ModuleType, gold: dict[str, Any], pred: dict[str, Any], text: str, t: Tally
) -> None:
    """Score one document as score.score_doc does, keeping who matched what."""
    preds = list(pred.get("claims") or [])
    texts = [sc.claim_text(p) for p in preds]
    sentences = [sc.norm(p.get("sentence")) for p in preds]
    used: set[int] = set()
    neutral: set[int] = set()
    for g in gold["claims"]:
        anchor = sc.norm(g["anchor"])
        hits = [i for i, s in enumerate(texts) if anchor in s and i not in used]
        required = g.get("required", True)
        if not required:
            neutral.update(i for i, s in enumerate(sentences) if anchor in s)
        if not hits:
            if required:
                t.add(t.by_kind, g["kind"][0], "fn")
                t.add(t.by_country, g["speaker_country"], "fn")
                why = miss_class(text, g["anchor"], [s for s in sentences if s])
                t.misses[why] += 1
                t.examples.append(f"[{gold['id']}] {why}: {g['anchor']!r}")
            continue
        best = max(hits, key=lambda i: (sc.speaker_ok(preds[i], g) + sc.kind_ok(preds[i], g), -i))
        used.add(best)
        if g.get("allow_multiple") or not required:
            neutral.update(hits)
        if not required:
            continue
        p = preds[best]
        s_ok, k_ok = sc.speaker_ok(p, g), sc.kind_ok(p, g)
        t.counts.update(
            tp=1,
            addressee_n=bool(g.get("addressee_names")),
            addressee_ok=bool(g.get("addressee_names"))
            and sc.names_ok(g["addressee_names"], p.get("addressee")),
            source_n=bool(g.get("source_names")),
            source_ok=bool(g.get("source_names"))
            and sc.names_ok(g["source_names"], p.get("source")),
        )
        t.add(t.by_rule, p.get("rule"), "matched")
        if s_ok and k_ok:
            t.add(t.by_rule, p.get("rule"), "strict")
            t.add(t.by_kind, g["kind"][0], "tp")
            t.add(t.by_country, g["speaker_country"], "tp")
            continue
        t.add(t.by_kind, g["kind"][0], "fn")
        t.add(t.by_kind, p.get("kind"), "fp")
        t.add(t.by_country, g["speaker_country"], "fn")
        t.add(t.by_country, p.get("speaker_country"), "fp")
        if not s_ok:
            t.wrong_speakers[speaker_class(p, g)] += 1
    for i, p in enumerate(preds):
        if i in used:
            continue
        if i in neutral:
            t.add(t.by_rule, p.get("rule"), "neutral")
            continue
        t.add(t.by_rule, p.get("rule"), "false")
        t.add(t.by_kind, p.get("kind"), "fp")
        t.add(t.by_country, p.get("speaker_country"), "fp")


def speaker_class(p: dict[str, Any], g: dict[str, Any]) -> str:
    """Why a found claim's speaker is wrong."""
    country = (p.get("speaker_country") or "").upper()
    if not country:
        return "no country"
    if (p.get("speaker") or "").lower() in PRONOUNS:
        return "pronoun, wrong antecedent"
    if country != g["speaker_country"].upper():
        return "another country"
    return "right country, another name"


# -- misses by construction ------------------------------------------------------------------

QUOTE_OPEN, QUOTE_CLOSE = "«“", "»”"
CUE_AFTER = re.compile(
    r",\s*(?:\w+\s+){0,3}?(?:a|ont|avait|avaient|aurait|auraient)(?:-t-(?:il|elle|ils|elles))?"
    r"\s+(?:\w+\s+){0,2}?\w+(?:é|ée|és|ées|u|ue|i|is|it|te)\b"
    r"|\b\w+-t-(?:il|elle|ils|elles)\b|\b\w+-(?:il|elle|ils|elles)\b|,\s*selon\b",
    re.IGNORECASE,
)
PARTICIPLE = re.compile(
    r"\ben\s+\w+ant\b|,\s*(?:se\s+|s')?\w{3,}ant\b|\b(?:se|s')\s*\w+ant\b"
    r"|\b(?:le|la|les|l')\s*\w+ant\s+(?:de|d'|à)",
    re.IGNORECASE,
)
NOT_PARTICIPLES = frozenset(
    {
        *("avant", "devant", "pendant", "durant", "cependant", "maintenant", "important"),
        *("puissant", "constant", "suffisant", "restant", "tant", "autant", "quant", "enfant"),
    }
)


def anchor_span(text: str, anchor: str) -> tuple[int, int] | None:
    """Where the anchor is in the text, tolerant of case, quotes, apostrophes and spaces."""
    words = [re.escape(w) for w in re.split(r"[\s\"«»“”]+", anchor.replace("’", "'")) if w]
    if not words:
        return None
    pattern = r"[\s\"«»“”]+".join(words).replace("'", "['’]")
    found = re.search(pattern, text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def miss_class(text: str, anchor: str, predicted_sentences: list[str]) -> str:
    """The construction of a missed claim's sentence, the first that applies."""
    span = anchor_span(text, anchor)
    if span is None:
        return "anchor not in the text"
    a, b = span
    para_start = text.rfind("\n", 0, a) + 1
    para_end = text.find("\n", b) % (len(text) + 1)
    para = text[para_start:para_end]
    before = text[para_start:a]
    starts = [m.end() for m in re.finditer(r"[.!?…]\s+(?=[A-ZÀ-Ý«\"“])", before)]
    s0 = para_start + (starts[-1] if starts else 0)
    after = text[b:para_end]
    stop = re.search(r"[.!?…](?:\s|$)", after)
    sentence = text[s0 : b + (stop.end() if stop else len(after))]
    paragraph_no = sum(1 for line in text[:para_start].splitlines() if line.strip())
    norm_sentence = " ".join(sentence.lower().split())
    if any(norm_sentence[:40] in s or s[:40] in norm_sentence for s in predicted_sentences):
        return "sentence extracted, content misses it"
    if paragraph_no == 0:
        return "title"
    opened = sum(before.count(c) for c in QUOTE_OPEN) - sum(before.count(c) for c in QUOTE_CLOSE)
    if opened > 0 or before.count('"') % 2 == 1:
        closing = para.find("»", a - para_start)
        tail = para[closing:] if closing >= 0 else ""
        return "in a quote, cue after it" if CUE_AFTER.search(tail[:80]) else "in a quote"
    if ":" in text[s0:a]:
        return "colon"
    if CUE_AFTER.search(text[b : s0 + len(sentence)]):
        return "cue after the words"
    if any(
        m.group(0).lower().split()[-1] not in NOT_PARTICIPLES for m in PARTICIPLE.finditer(sentence)
    ):
        return "participle or gerund"
    if paragraph_no == 1:
        return "lead"
    return "no cue found"


# -- one set ---------------------------------------------------------------------------------


@dataclass
class SetResult:
    name: str
    score_report: str
    tally: Tally


def evaluate(
    sc: ModuleType, name: str, gold_path: Path, docs_path: Path | None, preds: list[dict[str, Any]]
) -> SetResult:
    """Score `preds` against the gold: score.py's own report plus our tally."""
    golds = read_jsonl(gold_path)
    texts = {d["id"]: d.get("text") or "" for d in read_jsonl(docs_path)} if docs_path else {}
    by_id = {p.get("id"): p for p in preds}
    tally = Tally()
    for g in golds:
        p = by_id.get(g["id"], {"relevant": False, "claims": []})
        if "relevant" in g:
            got, want = bool(p.get("relevant")), bool(g["relevant"])
            tally.counts[("flag_t" if got == want else "flag_f") + ("p" if got else "n")] += 1
        if "claims" in g:
            match_doc(sc, g, p, texts.get(g["id"], ""), tally)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        pred_file = _scratch(preds)
        sc.main(["--gold", str(gold_path), "--pred", str(pred_file)])
        pred_file.unlink()
    return SetResult(name, buf.getvalue(), tally)


def _scratch(preds: list[dict[str, Any]]) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in preds)
    return Path(f.name)


def f1(c: Counter[str]) -> float:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def ratio(ok: int, n: int) -> str:
    return f"{ok / n:.3f} ({ok}/{n})" if n else "- (0/0)"


def per_group(table: dict[str, Counter[str]]) -> str:
    rows = sorted(table.items(), key=lambda kv: -(kv[1]["tp"] + kv[1]["fn"]))
    return " · ".join(
        f"{k} {f1(c):.2f} ({c['tp'] + c['fn']})" for k, c in rows if c["tp"] + c["fn"]
    )


def report(r: SetResult, verbose: bool) -> str:
    t = r.tally
    lines = [f"== {r.name}", r.score_report.rstrip()]
    lines.append(
        f"addressee on found: {ratio(t.counts['addressee_ok'], t.counts['addressee_n'])}"
        f"   source on found: {ratio(t.counts['source_ok'], t.counts['source_n'])}"
    )
    lines.append("strict F1 per kind (gold count): " + per_group(t.by_kind))
    lines.append("strict F1 per speaker country (gold count): " + per_group(t.by_country))
    lines.append("precision per rule: rule  matched strict neutral false  P  strict P")
    for rule, c in sorted(t.by_rule.items(), key=lambda kv: -sum(kv[1].values())):
        judged = c["matched"] + c["false"] or 1
        lines.append(
            f"  {rule:<28} {c['matched']:>4} {c['strict']:>4} {c['neutral']:>4} {c['false']:>4}"
            f"  {c['matched'] / judged:.3f}  {c['strict'] / judged:.3f}"
        )
    lines.append(f"misses by class ({sum(t.misses.values())}):")
    lines.extend(f"  {n:>4}  {k}" for k, n in t.misses.most_common())
    lines.append(f"wrong speakers on found claims ({sum(t.wrong_speakers.values())}):")
    lines.extend(f"  {n:>4}  {k}" for k, n in t.wrong_speakers.most_common())
    if verbose:
        lines.extend("  " + e for e in t.examples)
    return "\n".join(lines)


MARKDOWN_HEAD = (
    "| set | flag P / R / F1 | claims found P / R | speaker | kind | addressee | source "
    "| strict F1 | strict F1 per kind | strict F1 per speaker country |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def markdown_row(r: SetResult) -> str:
    c = r.tally.counts
    tp = c["tp"]
    fp = sum(x["false"] for x in r.tally.by_rule.values())
    fn = sum(r.tally.misses.values())
    ftp, ffp, ffn = c["flag_tp"], c["flag_fp"], c["flag_fn"]
    fp_, fr_ = ftp / (ftp + ffp) if ftp + ffp else 0.0, ftp / (ftp + ffn) if ftp + ffn else 0.0
    ff = 2 * fp_ * fr_ / (fp_ + fr_) if fp_ + fr_ else 0.0
    strict = Counter(
        tp=sum(x["tp"] for x in r.tally.by_kind.values()),
        fp=sum(x["fp"] for x in r.tally.by_kind.values()),
        fn=sum(x["fn"] for x in r.tally.by_kind.values()),
    )
    speaker = tp - sum(r.tally.wrong_speakers.values())
    kind_ok = _line_figure(r.score_report, "kind")
    cells = [
        r.name,
        f"{fp_:.3f} / {fr_:.3f} / {ff:.3f}" if ftp + ffp + ffn else "-",
        f"{tp / (tp + fp) if tp + fp else 0:.3f} / {tp / (tp + fn) if tp + fn else 0:.3f}",
        f"{speaker / tp if tp else 0:.3f}",
        kind_ok,
        ratio(c["addressee_ok"], c["addressee_n"]),
        ratio(c["source_ok"], c["source_n"]),
        f"**{f1(strict):.3f}**",
        per_group(r.tally.by_kind),
        per_group(r.tally.by_country),
    ]
    return "| " + " | ".join(cells) + " |"


def _line_figure(text: str, word: str) -> str:
    found = re.search(rf"\b{word} (\d\.\d+)", text)
    return found.group(1) if found else "-"


# -- command line ----------------------------------------------------------------------------


def sets_of(args: argparse.Namespace) -> list[tuple[str, Path, Path | None]]:
    if args.gold is not None:
        return [(args.gold.parent.name, args.gold, args.docs)]
    dirs = args.set or [REAL_DEV]
    return [(d.name, d / "gold.jsonl", d / "docs.jsonl") for d in dirs]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--set", type=Path, action="append", help="a folder with gold.jsonl, docs.jsonl"
    )
    ap.add_argument("--gold", type=Path, help="one gold file (with --docs)")
    ap.add_argument("--docs", type=Path, help="the documents of --gold (analyze's input)")
    ap.add_argument("--pred", type=Path, help="reuse these predictions (one set only)")
    ap.add_argument("--out", type=Path, help="write the predictions there (one set only)")
    ap.add_argument("--markdown", action="store_true", help="one README table row per set")
    ap.add_argument("--verbose", action="store_true", help="list each miss with its class")
    args = ap.parse_args(argv)
    sc = load_scorer()
    sets = sets_of(args)
    if (args.pred or args.out) and len(sets) != 1:
        ap.error("--pred and --out take one set")
    results = []
    for name, gold, docs in sets:
        for path in (gold, docs):
            if path is not None and not path.exists():
                raise SystemExit(f"eval_claims: {path} is not on this machine")
        if args.pred is not None:
            preds = read_jsonl(args.pred)
        elif docs is not None:
            preds = analyze(read_jsonl(docs))
        else:
            ap.error("--gold needs --docs or --pred")
        if args.out is not None:
            args.out.write_text(
                "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), "utf-8"
            )
        results.append(evaluate(sc, name, gold, docs, preds))
    if args.markdown:
        print(MARKDOWN_HEAD)
        print("\n".join(markdown_row(r) for r in results))
    else:
        print("\n\n".join(report(r, args.verbose) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
