"""The flag on texts it was not tuned on: our held-out set and the labelled real corpus.

* `tests/devset/heldout.jsonl`: full-length articles written by us (live blogs, "Lire aussi"
  tails, agency credits), labelled before the flag was run on them;
* `tests/devset/fresh.jsonl`: a second set of full-length articles written by us after the flag
  was tuned (sanctions packages that never name Ukraine, invasion-day and anniversary reactions,
  G7/NATO summits, nuclear warnings, ICC warrant, frozen assets; hard negatives: battlefield,
  Navalny, Wagner, US primaries, sport, gas prices, Witkoff on Iran, Moldova, Georgia),
  labelled by DESIGN.md before the flag was run on them;
* `tests/devset/unseen.jsonl`: a third set of full-length articles written by us (Zakharova and
  Kremlin reactions, Congress votes, Bürgenstock, the Security Council, Turkish, Vatican and
  Chinese mediation, metonyms and role nouns only, diplomacy only in a page's second half; hard
  negatives: trade disputes, Gaza at the UN, Greenland, Niger, Ukrainian domestic politics),
  labelled by DESIGN.md before the flag was run on them;
* `tests/devset/missed.jsonl`: a fourth set of short articles written by us for the classes the
  rule-based flag missed on real news (US–Russia talks on security guarantees, NATO's enlargement
  or a summit "to end the war" without Ukraine named, texts in the wording of Russian wires,
  sanctions announced on a day of strikes; hard negatives: a US–Russia prisoner swap, New Start,
  Russia–China gas, Gaza); scored once before any fit on it: the rules P 1.000 R 0.250 F1 0.400,
  the first fitted model (without it) P 1.000 R 0.750 F1 0.857;
* `tests/devset/claims/`: the claims dev set written by another engineer; its gold's
  "relevant" field is the flag's label;
* `tests/devset/corpus_labels.jsonl`: our labels (file name or item link, relevant, a note) for
  the real pages and feed items of ../shared/corpus. The texts are read there at run time,
  through extract_article and parse_feed as the pipeline does, and never copied here; those
  tests skip where ../shared is absent.

Since the flag's decision is fitted (scripts/fit_flag.py) on all of these texts, the figures here
are in-sample: they show the fit holds them, not how it does on unseen text. The honest figures
are the fit's cross-validation by source, printed by `make fit-flag` and written in flag.toml's
[model] comment. Each test prints precision, recall and F1 (run with `pytest -s`) and holds a
floor a little under what the flag reaches, so that a regression shows. Labels marked BORDERLINE
in their note are counted like the others.

    .venv/bin/pytest -q -s tests/test_flag_corpus.py
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from diplowatch.errors import NotAFeedError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.article import extract_article
from diplowatch.extractors.feeds import parse_feed
from diplowatch.extractors.flag import flag_article

ROOT = Path(__file__).resolve().parents[1]
DEVSET = Path(__file__).resolve().parent / "devset"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str | None
    text: str
    published: date | None
    relevant: bool


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int
    tn: int
    wrong: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.tp + self.fp + self.fn + self.tn} texts, precision "
            f"{self.precision:.3f} recall {self.recall:.3f} F1 {self.f1:.3f} "
            f"(tp {self.tp} fp {self.fp} fn {self.fn} tn {self.tn}) wrong: {list(self.wrong)}"
        )


@cache
def _actors() -> ActorIndex:
    with (ROOT / "config" / "actors.toml").open("rb") as fh:
        return ActorIndex.from_config(tomllib.load(fh))


@cache
def _settings() -> dict[str, Any]:
    with (ROOT / "config" / "flag.toml").open("rb") as fh:
        return tomllib.load(fh)


def score(cases: list[Case]) -> Score:
    tp = fp = fn = tn = 0
    wrong = []
    for case in cases:
        got = flag_article(
            case.title,
            case.text,
            published=case.published,
            actors=_actors(),
            settings=_settings(),
        ).relevant
        tp += got and case.relevant
        fp += got and not case.relevant
        fn += (not got) and case.relevant
        tn += (not got) and not case.relevant
        if got != case.relevant:
            wrong.append(("FP " if got else "FN ") + case.id)
    return Score(tp, fp, fn, tn, tuple(wrong))


def heldout_cases() -> list[Case]:
    lines = (DEVSET / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines if line.strip()]
    return [
        Case(d["id"], d["title"], d["text"], date.fromisoformat(d["published"]), d["relevant"])
        for d in docs
    ]


def fresh_cases() -> list[Case]:
    lines = (DEVSET / "fresh.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines if line.strip()]
    return [
        Case(d["id"], d["title"], d["text"], date.fromisoformat(d["published"]), d["relevant"])
        for d in docs
    ]


def unseen_cases() -> list[Case]:
    lines = (DEVSET / "unseen.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines if line.strip()]
    return [
        Case(d["id"], d["title"], d["text"], date.fromisoformat(d["published"]), d["relevant"])
        for d in docs
    ]


def missed_cases() -> list[Case]:
    lines = (DEVSET / "missed.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines if line.strip()]
    return [
        Case(d["id"], d["title"], d["text"], date.fromisoformat(d["published"]), d["relevant"])
        for d in docs
    ]


def claims_cases() -> list[Case]:
    def read(name: str) -> list[dict[str, Any]]:
        lines = (DEVSET / "claims" / name).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    relevant = {g["id"]: bool(g["relevant"]) for g in read("gold.jsonl")}
    return [
        Case(
            d["id"],
            d.get("title"),
            d["text"],
            date.fromisoformat(d["published"]) if d.get("published") else None,
            relevant[d["id"]],
        )
        for d in read("docs.jsonl")
    ]


def _labels(kind: str) -> list[dict[str, Any]]:
    lines = (DEVSET / "corpus_labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, filter(str.strip, lines)) if r["kind"] == kind]


def _require_corpus() -> None:
    if not (CORPUS / "pages").is_dir() or not (CORPUS / "feeds").is_dir():
        pytest.skip(f"{CORPUS} is absent: the real corpus is read at run time, never copied")


def page_cases() -> list[Case]:
    cases = []
    for label in _labels("page"):
        path = CORPUS / "pages" / label["file"]
        article = extract_article(path.read_bytes(), url=f"https://corpus.invalid/{path.name}")
        cases.append(
            Case(label["file"], article.title, article.text, article.published, label["relevant"])
        )
    return cases


def _feed_items(name: str) -> Iterator[tuple[str, str | None, str, date | None]]:
    path = CORPUS / "feeds" / name
    try:
        items = parse_feed(
            path.read_bytes(), feed_id=path.stem, outlet="corpus", url=f"https://x.invalid/{name}"
        )
    except NotAFeedError:
        return
    for item in items:
        published = item.published.date() if item.published else None
        yield item.url, item.title, item.summary or "", published


def feed_cases() -> list[Case]:
    labels = {(r["file"], r["link"]): r for r in _labels("feed_item")}
    cases = []
    for name in sorted({file for file, _ in labels}):
        for url, title, summary, published in _feed_items(name):
            label = labels.pop((name, url), None)
            if label is not None:
                cases.append(Case(url, title, summary, published, label["relevant"]))
    assert not labels, f"labelled feed items no longer found: {sorted(labels)[:3]}"
    return cases


def test_heldout_precision_recall_f1() -> None:
    cases = heldout_cases()
    assert len(cases) >= 30 and sum(c.relevant for c in cases) >= 12
    result = score(cases)
    print("\n" + result.line("heldout (ours)"))
    # rules: 1.0 / 1.0 / 1.0 (17 positives, 18 negatives); fitted model: 1.0 / 1.0 / 1.0
    # in-sample (CV by source: P 0.944 R 1.000): one error still passes
    assert result.precision >= 0.9 and result.recall >= 0.9 and result.f1 >= 0.93, result


def test_fresh_precision_recall_f1() -> None:
    cases = fresh_cases()
    assert len(cases) >= 30 and sum(c.relevant for c in cases) >= 15
    result = score(cases)
    print("\n" + result.line("fresh (ours, untuned)"))
    # 0.75 recall before the implied-Ukraine and varied-cues rules; they reached 1.0 / 1.0 / 1.0
    # (20 positives, 19 negatives); fitted model 1.0 / 1.0 / 1.0 in-sample (CV by source:
    # P 0.952 R 1.000): one error still passes
    assert result.precision >= 0.9 and result.recall >= 0.9 and result.f1 >= 0.93, result


def test_unseen_precision_recall_f1() -> None:
    cases = unseen_cases()
    assert len(cases) >= 30 and sum(c.relevant for c in cases) >= 18
    result = score(cases)
    print("\n" + result.line("unseen (ours, labelled before the flag ran)"))
    # before any tuning on it: precision 1.0, recall 0.95, F1 0.974 (the live blog on the Istanbul
    # talks of 2022 missed at 0.358); 1.0 / 1.0 / 1.0 after the varied-cues factor went from 0.5
    # to 0.35 (20 positives, 13 negatives); fitted model 1.0 / 1.0 / 1.0 in-sample (CV by source:
    # P 0.952 R 1.000): one error still passes
    assert result.precision >= 0.9 and result.recall >= 0.9 and result.f1 >= 0.93, result


def test_missed_classes_precision_recall_f1() -> None:
    cases = missed_cases()
    assert len(cases) >= 14 and sum(c.relevant for c in cases) >= 8
    result = score(cases)
    print("\n" + result.line("missed classes (ours, scored before the fit)"))
    # before the fit: rules 1.0 / 0.25 / 0.40; fitted without it 1.0 / 0.75 / 0.857; with it
    # 1.0 / 1.0 / 1.0 in-sample (CV by source, the whole set held out: P 1.0 R 0.75): one error
    # still passes
    assert result.precision >= 0.85 and result.recall >= 0.85 and result.f1 >= 0.9, result


def test_claims_set_relevant_precision_recall_f1() -> None:
    cases = claims_cases()
    assert len(cases) >= 16
    result = score(cases)
    print("\n" + result.line("claims set (relevant)"))
    # 0.875 recall before (a sanctions package without Ukraine, the invasion day); 1.0 / 1.0
    # reached (16 positives, 2 negatives): one error still passes
    assert result.precision >= 0.9 and result.recall >= 0.93 and result.f1 >= 0.93, result


@pytest.mark.corpus
def test_corpus_pages_precision_recall_f1() -> None:
    _require_corpus()
    cases = page_cases()
    assert len(cases) == len(list((CORPUS / "pages").glob("*.html")))
    result = score(cases)
    print("\n" + result.line("corpus pages"))
    # one positive only, a borderline one (missed by the rules and by the fitted model, in-sample
    # too): hold the false positives down (0 reached by both)
    assert result.fp <= 1, result


@pytest.mark.corpus
def test_corpus_feed_items_precision_recall_f1() -> None:
    _require_corpus()
    cases = feed_cases()
    assert len(cases) >= 300
    result = score(cases)
    print("\n" + result.line("corpus feed items"))
    # rules and fitted model (in-sample): 1.0 / 1.0 (9 positives among 392 items; CV by source:
    # P 0.900 R 1.000): one error still passes
    assert result.precision >= 0.85 and result.recall >= 0.85, result


@pytest.mark.corpus
def test_corpus_all_labels_f1() -> None:
    _require_corpus()
    result = score(page_cases() + feed_cases())
    print("\n" + result.line("corpus pages + feed items"))
    # rules and fitted model (in-sample): F1 0.947 (the one miss: the borderline RT/Sputnik ban
    # page)
    assert result.f1 >= 0.9, result
