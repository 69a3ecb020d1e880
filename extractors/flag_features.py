"""The flag's evidence as a vector of named features: a pure function of title, text and date.

Two regex passes over the text, compiled once per settings dict: one for actors
(`ActorIndex.find`, date-aware: "le président américain" is Biden in 2021, Trump in 2025) and one
for the term categories of `config/flag.toml`. Every hit is counted by where it stands: in the
title, in the lead (the first paragraphs), or further down the body, where it weighs less with
the distance (`body_half_chars`: live blogs, related stories, a closing paragraph on another
subject). Lines that point to other stories ("Lire aussi : ...") are blanked out first.

Features (all >= 0; counts go through log1p so that one repeated word is not a story):

* `{side}_{title,lead,body}`: mentions of the West (USA, NATO, EU), Russia, Ukraine, and of
  `other` theatres; `{side}_adj`: country adjectives ("russe", "occidentaux");
  `{side}_acts`: the side is named by an actor that can act (a person, "Kiev", "le Kremlin"),
  not only as a place ("en Ukraine");
* `{category}_top` (title and lead) and `{category}_body`: the terms of each
  `[terms.<category>]` table; `for_title`, `against_title`: the title's terms by their kind;
* structure: which pairs of sides are present in the head (title + `head_chars`), whether the
  war is the topic (Ukraine present, or the war named without it: "russo-ukrainien", "la guerre"),
  how many sides act, the share of the "for" categories among all terms in the head and over the
  page, how many distinct "for" terms the head holds, whether the article comes after the
  invasion, the West's sanctions on Russia (with the war implied after the invasion), the West
  and Russia on security guarantees or on ending a war (where Ukraine may go unnamed), and two
  products with "the war is the topic and someone acts on it".

Which way each feature pushes, and how much, is not decided here: `scripts/fit_flag.py` fits it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from diplowatch.extractors.actors import ActorIndex, normalize, phrase_key, trie_pattern

__all__ = ["NAMED_CATEGORIES", "Evidence", "compile_settings", "extract_features", "feature_names"]

SIDES = ("West", "RUS", "UKR")
_SIDE_KEYS = {"West": "west", "RUS": "rus", "UKR": "ukr", "other": "other"}
_REGIONS = ("title", "lead", "body")
# the term categories the structure features read by name (flag.toml must have them)
NAMED_CATEGORIES = ("sanctions", "security", "peace", "war", "conflict")
_PARAGRAPH = re.compile(r"\n\s*\n|\n")
STRUCTURE = (
    "pair_west_rus",
    "pair_west_ukr",
    "pair_rus_ukr",
    "war_topic",
    "acting_sides",
    "two_acting",
    "share_head",
    "share_all",
    "distinct_for_head",
    "after_invasion",
    "sanctions_west_rus",
    "security_west_rus",
    "peace_west_rus",
    "war_implied",
    "for_x_core",
    "share_x_core",
)


@dataclass(slots=True)
class _Compiled:
    """flag.toml turned into one term regex and lookups; built once per settings dict."""

    regex: re.Pattern[str]
    exact: dict[str, list[tuple[str, str]]]  # key -> [(category, label)]
    stems: dict[str, list[tuple[str, str]]]
    max_stem: int
    categories: tuple[str, ...]
    kinds: dict[str, str]  # category -> "for" | "against" | "topic"
    side_of_code: dict[str, str]
    other_codes: frozenset[str]
    skip: re.Pattern[str] | None  # lines that belong to other articles ("Lire aussi : ...")
    names: tuple[str, ...]
    settings: dict[str, Any] = field(repr=False)
    memo: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)

    def hits(self, matched: str) -> list[tuple[str, str]]:
        """The (category, label) pairs of a matched span, memoised: the same words recur."""
        found = self.memo.get(matched)
        if found is None:
            found = self.lookup(phrase_key(matched))
            if len(self.memo) < 100_000:  # bounded by the vocabulary; a cap all the same
                self.memo[matched] = found
        return found

    def lookup(self, key: str) -> list[tuple[str, str]]:
        hit = self.exact.get(key)
        if hit is not None:
            return hit
        for size in range(min(len(key), self.max_stem), 0, -1):
            hit = self.stems.get(key[:size])
            if hit is not None:
                return hit
        return []


@dataclass(slots=True)
class Evidence:
    """The features and what a reader needs to check them (names, cues, sides)."""

    features: dict[str, float]
    codes: dict[str, float]  # actor code -> weighted mentions
    present: list[str]  # sides present in the head
    title_names: list[str]
    cues: dict[str, float]  # label of a "for" term -> weighted hits
    against: dict[str, float]  # other categories -> weighted hits


_CACHE: dict[int, _Compiled] = {}


def feature_names(categories: Iterable[str]) -> tuple[str, ...]:
    """Every feature name, in a fixed order, given the term categories of flag.toml."""
    names = [f"{_SIDE_KEYS[s]}_{r}" for s in (*SIDES, "other") for r in _REGIONS]
    names += [f"{_SIDE_KEYS[s]}_adj" for s in (*SIDES, "other")]
    names += [f"{_SIDE_KEYS[s]}_acts" for s in SIDES]
    names += [f"{c}_{r}" for c in categories for r in ("top", "body")]
    return (*names, "for_title", "against_title", *STRUCTURE)


def compile_settings(settings: dict[str, Any]) -> _Compiled:
    cached = _CACHE.get(id(settings))
    if cached is not None and cached.settings is settings:
        return cached
    exact: dict[str, list[tuple[str, str]]] = defaultdict(list)
    stems: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def add(category: str, phrase: str) -> None:
        key = phrase_key(phrase)
        if key.endswith("*"):
            stems[key[:-1]].append((category, phrase.rstrip("*")))
        else:
            exact[key].append((category, phrase))

    terms = settings["terms"]
    categories = tuple(terms)
    for category in categories:
        for phrase in terms[category]["terms"]:
            add(category, str(phrase))
    for sides, phrases in settings["adjectives"].items():
        # "West+UKR": a compound adjective ("américano-ukrainien") names both sides
        for phrase in phrases:
            add(f"adj:{sides}", str(phrase))
    keys = [*exact, *(stem + "*" for stem in stems)]
    regex = re.compile(rf"(?<![\w\-])(?:{trie_pattern(keys)})(?![\w\-])")
    prefixes = [phrase_key(p) for p in settings["skip_lines"]]
    skip = (
        re.compile(rf"^[^\w\n]*(?:{trie_pattern(prefixes)})(?![\w\-]).*$", re.MULTILINE)
        if prefixes
        else None
    )
    compiled = _Compiled(
        regex=regex,
        exact=dict(exact),
        stems=dict(stems),
        max_stem=max((len(s) for s in stems), default=0),
        categories=categories,
        kinds={c: str(terms[c]["kind"]) for c in categories},
        side_of_code={code: side for side in SIDES for code in settings["sides"][side]},
        other_codes=frozenset(settings["other"]["codes"]),
        skip=skip,
        names=feature_names(categories),
        settings=settings,
    )
    _CACHE[id(settings)] = compiled
    return compiled


def _lead_end(text: str, settings: dict[str, Any]) -> int:
    """Where the lead stops: after `lead_paragraphs` paragraphs, else after `lead_chars`."""
    paragraphs = int(settings["lead_paragraphs"])
    chars = int(settings["lead_chars"])
    breaks = [m.end() for m in _PARAGRAPH.finditer(text.strip())]
    if len(breaks) >= paragraphs:
        return min(breaks[paragraphs - 1], 2 * chars)
    return chars


def _drop_skipped_lines(text: str, skip: re.Pattern[str] | None) -> tuple[str, str]:
    """Blank out the lines that point to other articles, keeping every offset; and its
    normalised form."""
    norm = normalize(text)
    if skip is None:
        return text, norm
    spans = [m.span() for m in skip.finditer(norm)]
    if not spans:
        return text, norm
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    blanked = "".join(parts)
    return blanked, normalize(blanked)


class _Tally:
    """Weighted hits per (name, region) while the two passes run."""

    def __init__(self, lead_end: int, head_end: int, half: float) -> None:
        self.lead_end, self.head_end, self.half = lead_end, head_end, half
        self.raw: dict[str, float] = defaultdict(float)
        self.head: dict[str, float] = defaultdict(float)  # title + head_chars
        self.whole: dict[str, float] = defaultdict(float)

    def add(self, name: str, at: int | None) -> None:
        """One hit of `name` at offset `at` of the text (None: in the title)."""
        if at is None:
            region, w = "title", 1.0
        elif at < self.lead_end:
            region, w = "lead", 1.0
        else:
            # far down a long page (live blog entries, related stories) counts less
            region, w = "body", self.half / (self.half + at - self.lead_end)
        self.raw[f"{name}_{region}"] += w
        self.whole[name] += w
        if at is None or at < self.head_end:
            self.head[name] += 1.0


def extract_features(
    title: str | None,
    text: str,
    *,
    published: date | None,
    actors: ActorIndex,
    settings: dict[str, Any],
) -> Evidence:
    """The named features of one article (see the module's docstring)."""
    compiled = compile_settings(settings)
    title = title or ""
    text, norm_text = _drop_skipped_lines(text, compiled.skip)
    half = float(settings["body_half_chars"])
    tally = _Tally(_lead_end(text, settings), int(settings["head_chars"]), half)
    acting: set[str] = set()
    codes: dict[str, float] = defaultdict(float)
    title_names: list[str] = []
    labels: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    distinct_head: set[str] = set()
    for part, norm, in_title in ((title, normalize(title), True), (text, norm_text, False)):
        for mention in actors.find(part, published):
            at = None if in_title else mention.start
            code = mention.country or (mention.actor.country if mention.actor else None)
            if code is None:
                continue
            codes[code] += 1.0
            side = compiled.side_of_code.get(code)
            if side is None and code not in compiled.other_codes:
                continue
            tally.add(_SIDE_KEYS[side or "other"], at)
            # "en Ukraine" is a place; "Kiev", "le Kremlin", "Lavrov" act
            if side and (
                mention.how != "name" or (mention.actor and mention.actor.kind != "country")
            ):
                acting.add(side)
            if in_title:
                label = mention.actor.name if mention.actor else mention.text
                if label not in title_names:
                    title_names.append(label)
        _count_terms(compiled, tally, norm, in_title, labels, distinct_head)
    return _assemble(compiled, tally, acting, codes, title_names, labels, distinct_head, published)


def _count_terms(
    compiled: _Compiled,
    tally: _Tally,
    norm: str,
    in_title: bool,
    labels: dict[str, dict[str, float]],
    distinct_head: set[str],
) -> None:
    """The term pass over the (normalised) title or text: adjectives to sides, terms to
    categories."""
    kinds = compiled.kinds
    for match in compiled.regex.finditer(norm):
        at = None if in_title else match.start()
        for category, label in compiled.hits(match.group()):
            if category.startswith("adj:"):
                for side in category[4:].split("+"):
                    tally.add(f"{_SIDE_KEYS[side]}_adj", at)
                    if at is None or at < tally.head_end:
                        tally.head[_SIDE_KEYS[side] + "_adj_head"] += 1.0
                continue
            tally.add(category, at)
            if at is None or at < tally.lead_end:
                tally.raw[f"{category}_top"] += 1.0
            if at is None:
                tally.raw[kinds[category] + "_title"] += 1.0
            labels[category][label.lower()] += 1.0
            if kinds[category] == "for" and (at is None or at < tally.head_end):
                distinct_head.add(label.lower())


def _assemble(
    compiled: _Compiled,
    tally: _Tally,
    acting: set[str],
    codes: dict[str, float],
    title_names: list[str],
    labels: dict[str, dict[str, float]],
    distinct_head: set[str],
    published: date | None,
) -> Evidence:
    settings = compiled.settings
    features = dict.fromkeys(compiled.names, 0.0)
    for name, value in tally.raw.items():
        if name in features:  # not the adjectives' regions: one feature per side for those
            features[name] = math.log1p(value)
    for side in (*SIDES, "other"):
        key = _SIDE_KEYS[side]
        features[f"{key}_adj"] = math.log1p(tally.whole[f"{key}_adj"])
    for side in acting:
        features[f"{_SIDE_KEYS[side]}_acts"] = 1.0
    head = tally.head
    present = [s for s in SIDES if head[_SIDE_KEYS[s]] + head[_SIDE_KEYS[s] + "_adj_head"] > 0]
    war_named = head["war"] > 0
    since = settings["invasion"]
    start = since if isinstance(since, date) else date.fromisoformat(str(since))
    after = published is not None and published >= start
    sanctions = tally.whole["sanctions"] > 0 and "West" in acting and "RUS" in present
    # Washington and Moscou on guarantees, NATO's enlargement or ending a war: Ukraine may go
    # unnamed ("des garanties de sécurité", "un sommet pour mettre fin à la guerre")
    west_rus = {"West", "RUS"} <= set(present) and bool(acting & {"West", "RUS"})
    # after the invasion, the West's sanctions on Russia, or "sa guerre" with Russia acting, are
    # about the war in Ukraine even where the article never names it
    unnamed_war = head["conflict"] > 0 and bool(acting & {"West", "RUS"}) and "RUS" in present
    # ...unless the head names another theatre (Moldova, Georgia, Iran): the measures are its
    other_head = head["other"] + head["other_adj_head"]
    implied = after and "UKR" not in present and (sanctions or unnamed_war) and not other_head
    war_topic = "UKR" in present or war_named or implied
    core = war_topic and bool(acting & {"West", "RUS"})
    fors = [c for c in compiled.categories if compiled.kinds[c] == "for"]
    kinds = compiled.kinds
    against_cats = [c for c in compiled.categories if kinds[c] == "against"]
    for_head = sum(head[c] for c in fors)
    against_head = sum(head[c] for c in against_cats) + head["other"]
    for_all = sum(tally.whole[c] for c in fors)
    against_all = sum(tally.whole[c] for c in against_cats) + tally.whole["other"]
    share_head = for_head / (for_head + against_head) if for_head + against_head else 0.0
    features.update(
        pair_west_rus=float({"West", "RUS"} <= set(present)),
        pair_west_ukr=float({"West", "UKR"} <= set(present)),
        pair_rus_ukr=float({"RUS", "UKR"} <= set(present)),
        war_topic=float(war_topic),
        acting_sides=float(len(acting)),
        two_acting=float(len(acting) >= 2),
        share_head=share_head,
        share_all=for_all / (for_all + against_all) if for_all + against_all else 0.0,
        distinct_for_head=math.log1p(len(distinct_head)),
        after_invasion=float(after),
        sanctions_west_rus=float(sanctions),
        security_west_rus=float(west_rus and head["security"] > 0),
        peace_west_rus=float(west_rus and head["peace"] > 0),
        war_implied=float(implied),
        for_x_core=math.log1p(for_head) * core,
        share_x_core=share_head * core,
    )
    cues: dict[str, float] = defaultdict(float)
    for category in fors:
        for label, n in labels[category].items():
            cues[label] += n
    against = {c: tally.whole[c] for c in against_cats if tally.whole[c] > 0}
    if tally.whole["other"] > 0:
        against["other actors"] = tally.whole["other"]
    return Evidence(features, dict(codes), present, title_names, dict(cues), against)
