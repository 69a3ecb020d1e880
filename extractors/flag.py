"""Flag the stories about US–Russia–Ukraine diplomacy, cheaply, before any spaCy parse.

It runs on every article, so it is two regex passes over the text: one for actors
(`ActorIndex.find`) and one for the terms of `config/flag.toml`, both compiled once. The score
answers two questions separately, because each alone misleads:

* who: are at least two of the sides (West = USA/NATO/EU, Russia, Ukraine) present, with
  Ukraine among them (the conflict is the topic)? US–China talks, Gaza ceasefires and US
  domestic politics fail here however diplomatic their words;
* what: is diplomacy the subject, or a closing line of a battlefield report, a sports story,
  a prisoner swap? Diplomacy terms are weighed against battlefield and off-topic terms.

The title counts more than the lead, the lead more than the tail; all weights, term lists and
the threshold are in `config/flag.toml` (see its header for the formula).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extractors.actors import ActorIndex, normalize, phrase_key, trie_pattern
from extractors.errors import ConfigError
from extractors.records import Flag

__all__ = ["flag_article"]

SIDES = ("West", "RUS", "UKR")
_CATEGORIES = ("diplomacy", "speech", "battlefield", "offtopic", "other_conflict", "prisoners")
_NEGATIVE = ("battlefield", "offtopic", "other_conflict", "prisoners")
_PARAGRAPH = re.compile(r"\n\s*\n|\n")


@dataclass(slots=True)
class _Compiled:
    """flag.toml turned into one term regex and lookups; built once per settings dict."""

    regex: re.Pattern[str]
    exact: dict[str, tuple[str, str]]  # key -> (category, label)
    stems: dict[str, tuple[str, str]]
    max_stem: int
    weights: dict[str, float]
    side_of_code: dict[str, str]
    other_codes: frozenset[str]
    settings: dict[str, Any] = field(repr=False)

    def lookup(self, key: str) -> tuple[str, str] | None:
        hit = self.exact.get(key)
        if hit is not None:
            return hit
        for size in range(min(len(key), self.max_stem), 0, -1):
            hit = self.stems.get(key[:size])
            if hit is not None:
                return hit
        return None


_CACHE: dict[int, _Compiled] = {}


def _compile(settings: dict[str, Any]) -> _Compiled:
    cached = _CACHE.get(id(settings))
    if cached is not None and cached.settings is settings:
        return cached
    exact: dict[str, tuple[str, str]] = {}
    stems: dict[str, tuple[str, str]] = {}
    weights: dict[str, float] = {}
    terms = settings.get("terms", {})
    if not isinstance(terms, dict) or "diplomacy" not in terms:
        raise ConfigError("flag.toml: [terms.diplomacy] is missing")

    def add(category: str, phrase: str) -> None:
        key = phrase_key(phrase)
        if key.endswith("*"):
            stems.setdefault(key[:-1], (category, phrase.rstrip("*")))
        else:
            exact.setdefault(key, (category, phrase))

    for category in _CATEGORIES:
        table = terms.get(category, {})
        weights[category] = float(table.get("weight", 1.0))
        for phrase in table.get("terms", []):
            add(category, str(phrase))
    adjectives = settings.get("adjectives", {})
    weights["adjective"] = float(adjectives.get("weight", 0.5))
    for side in (*SIDES, "other"):
        for phrase in adjectives.get(side, []):
            add(f"adj:{side}", str(phrase))
    keys = [*exact, *(stem + "*" for stem in stems)]
    regex = re.compile(rf"(?<![\w\-])(?:{trie_pattern(keys)})(?![\w\-])")
    side_of_code = {
        code: side for side in SIDES for code in settings.get("sides", {}).get(side, [])
    } or {"USA": "West", "NATO": "West", "EU": "West", "RUS": "RUS", "UKR": "UKR"}
    other_codes = frozenset(settings.get("other", {}).get("codes", []))
    compiled = _Compiled(
        regex,
        exact,
        stems,
        max((len(s) for s in stems), default=0),
        weights,
        side_of_code,
        other_codes,
        settings,
    )
    _CACHE[id(settings)] = compiled
    return compiled


def _lead_end(text: str, settings: dict[str, Any]) -> int:
    """Where the lead stops: after `lead_paragraphs` paragraphs, else after `lead_chars`."""
    paragraphs = int(settings.get("lead_paragraphs", 2))
    chars = int(settings.get("lead_chars", 450))
    breaks = [m.end() for m in _PARAGRAPH.finditer(text.strip())]
    if len(breaks) >= paragraphs:
        return min(breaks[paragraphs - 1], 2 * chars)
    return chars


def flag_article(
    title: str | None,
    text: str,
    *,
    published: date | None,
    actors: ActorIndex,
    settings: dict[str, Any],
) -> Flag:
    """Is this a US–Russia–Ukraine diplomacy story? Score in [0, 1] with readable reasons.

    `published` picks the holders of role nouns; `settings` is the parsed flag.toml.
    """
    compiled = _compile(settings)
    position = settings.get("position", {})
    w_title = float(position.get("title", 3.0))
    w_lead = float(position.get("lead", 1.5))
    w_body = float(position.get("body", 1.0))
    lead_end = _lead_end(text, settings)
    title = title or ""

    side_weight: dict[str, float] = defaultdict(float)
    agents: set[str] = set()  # sides named by an actor that can act, not only as a place
    codes: dict[str, float] = defaultdict(float)
    title_names: list[str] = []
    other = 0.0
    cats: dict[str, float] = defaultdict(float)
    cues: dict[str, float] = defaultdict(float)

    for part, weight_at in ((title, None), (text, lead_end)):
        for mention in actors.find(part, published):
            w = w_title if weight_at is None else (w_lead if mention.start < weight_at else w_body)
            code = mention.country or (mention.actor.country if mention.actor else None)
            if code is None:
                continue
            codes[code] += w
            side = compiled.side_of_code.get(code)
            if side is not None:
                side_weight[side] += w
                # "en Ukraine" is a place; "Kiev", "le Kremlin", "Lavrov" act
                if mention.how != "name" or (mention.actor and mention.actor.kind != "country"):
                    agents.add(side)
            elif code in compiled.other_codes:
                other += w
            if weight_at is None:
                label = mention.actor.name if mention.actor else mention.text
                if label not in title_names:
                    title_names.append(label)
        norm = normalize(part)
        for match in compiled.regex.finditer(norm):
            hit = compiled.lookup(phrase_key(match.group()))
            if hit is None:
                continue
            category, label = hit
            w = w_title if weight_at is None else (w_lead if match.start() < weight_at else w_body)
            if category.startswith("adj:"):
                side = category[4:]
                if side == "other":
                    other += w * compiled.weights["adjective"]
                else:
                    side_weight[side] += w * compiled.weights["adjective"]
                continue
            cats[category] += w * compiled.weights[category]
            if category in ("diplomacy", "speech"):
                cues[label.lower()] += w

    min_side = float(settings.get("min_side_weight", 1.0))
    present = [s for s in SIDES if side_weight[s] >= min_side]
    gate_cfg = settings.get("gate", {})
    if "UKR" not in present:
        gate = float(gate_cfg.get("no_ukraine", 0.1))
    elif len(present) < 2 or len(agents.intersection(present)) < 2:
        # one side, or a conflict that is only a backdrop: nobody on two sides acts
        gate = float(gate_cfg.get("one_side", 0.25))
    else:
        gate = 1.0
    diplomacy = cats["diplomacy"] + cats["speech"]
    negative = sum(cats[c] for c in _NEGATIVE) + other * float(
        settings.get("other", {}).get("weight", 0.6)
    )
    share = diplomacy / (diplomacy + negative) if diplomacy + negative > 0 else 0.0
    half = float(settings.get("strength_half", 3.0))
    strength = diplomacy / (diplomacy + half) if diplomacy > 0 else 0.0
    score = max(0.0, min(1.0, gate * share * strength))
    relevant = score >= float(settings.get("threshold", 0.4))

    shown = [c for c in sorted(codes, key=lambda c: -codes[c])][:6]
    main = [c for c in ("USA", "RUS", "UKR", "NATO", "EU") if c in codes]
    reasons = [f"actors: {', '.join(main + [c for c in shown if c not in main]) or 'none'}"]
    reasons.append(f"sides: {', '.join(present) or 'none'}")
    if cues:
        top = sorted(cues, key=lambda c: -cues[c])[:6]
        reasons.append(f"cues: {', '.join(top)}")
    if title_names:
        reasons.append(f"title: {', '.join(title_names[:6])}")
    against = {c: round(cats[c], 1) for c in _NEGATIVE if cats[c] > 0}
    if other > 0:
        against["other actors"] = round(other, 1)
    if against:
        reasons.append("against: " + ", ".join(f"{k} {v}" for k, v in against.items()))
    reasons.append(
        f"score {score:.2f} = gate {gate:.2f} x share {share:.2f} x strength {strength:.2f}"
    )
    return Flag(relevant=relevant, score=round(score, 4), reasons=reasons)
