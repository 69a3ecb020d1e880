"""Flag the stories about US–Russia–Ukraine diplomacy, cheaply, before any spaCy parse.

It runs on every article, so it is two regex passes over the text: one for actors
(`ActorIndex.find`) and one for the terms of `config/flag.toml`, both compiled once. The score
answers two questions separately, because each alone misleads:

* who: are at least two of the sides (West = USA/NATO/EU, Russia, Ukraine) present, with
  Ukraine among them (the conflict is the topic)? US–China talks, Gaza ceasefires and US
  domestic politics fail here however diplomatic their words;
* what: is diplomacy the subject, or a closing line of a battlefield report, a sports story,
  a prisoner swap? Diplomacy terms are weighed against battlefield and off-topic terms.

Two rules cover what real news does with these two questions: after the invasion (the flag
knows the article's date), the West's sanctions on Russia are about the war even where Ukraine
is never named ("sa guerre"); and many different diplomatic acts by two sides acting (a threat,
a condemnation, a call, sanctions) outweigh the war's facts around them (an invasion day, an
anniversary, arms deliveries).

Real pages are long and mixed (live blogs, related links, a closing paragraph on another
story), so the title counts more than the lead and the lead more than the tail, which fades
with the distance; "Lire aussi" lines are ignored; a repeated word adds less each time; and
what the head of the page (title and first lines) is about can carry the story whatever its
tail adds. All weights, term lists and the threshold are in `config/flag.toml` (see its header
for the formula).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from diplowatch.extractors.actors import ActorIndex, normalize, phrase_key, trie_pattern
from diplowatch.extractors.records import Flag

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
    skip: re.Pattern[str] | None  # lines that belong to other articles ("Lire aussi : ...")
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
    terms = settings["terms"]

    def add(category: str, phrase: str) -> None:
        key = phrase_key(phrase)
        if key.endswith("*"):
            stems.setdefault(key[:-1], (category, phrase.rstrip("*")))
        else:
            exact.setdefault(key, (category, phrase))

    for category in _CATEGORIES:
        table = terms[category]
        weights[category] = float(table["weight"])
        for phrase in table["terms"]:
            add(category, str(phrase))
    adjectives = settings["adjectives"]
    weights["adjective"] = float(adjectives["weight"])
    for sides, phrases in adjectives.items():
        # "West+UKR": a compound adjective ("américano-ukrainien") names both sides
        if sides != "weight" and all(s in (*SIDES, "other") for s in sides.split("+")):
            for phrase in phrases:
                add(f"adj:{sides}", str(phrase))
    keys = [*exact, *(stem + "*" for stem in stems)]
    regex = re.compile(rf"(?<![\w\-])(?:{trie_pattern(keys)})(?![\w\-])")
    side_of_code = {code: side for side in SIDES for code in settings["sides"][side]}
    other_codes = frozenset(settings["other"]["codes"])
    prefixes = [phrase_key(p) for p in settings["skip_lines"]]
    skip = (
        re.compile(rf"^[^\w\n]*(?:{trie_pattern(prefixes)})(?![\w\-]).*$", re.MULTILINE)
        if prefixes
        else None
    )
    compiled = _Compiled(
        regex,
        exact,
        stems,
        max((len(s) for s in stems), default=0),
        weights,
        side_of_code,
        other_codes,
        skip,
        settings,
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


def _drop_skipped_lines(text: str, norm: str, skip: re.Pattern[str] | None) -> tuple[str, str]:
    """Blank out the lines that point to other articles, keeping every offset."""
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


def _implied_ukraine(
    settings: dict[str, Any],
    published: date | None,
    present: list[str],
    agents: set[str],
    cues: dict[str, float],
    side_weight: dict[str, float],
    other: float,
) -> str:
    """Why the war in Ukraine is the topic though Ukraine is not named, or "".

    After the invasion, sanctions and other measures the West takes against Russia are about
    that war ("un 18e paquet de sanctions contre Moscou", "sa guerre"), unless another theatre
    weighs on the story (Moldova, Iran, Georgia).
    """
    cfg = settings["implied_ukraine"]
    since = cfg["since"]
    if not since or published is None or "UKR" in present or "RUS" not in present:
        return ""
    if "West" not in agents.intersection(present):
        return ""
    start = since if isinstance(since, date) else date.fromisoformat(str(since))
    if published < start:
        return ""
    labels = [str(t).rstrip("*").lower() for t in cfg["measures"]]
    found = [label for label in labels if cues.get(label, 0.0) > 0]
    weight = sum(cues.get(label, 0.0) for label in labels)
    if weight < float(cfg["min_weight"]):
        return ""
    if other >= float(cfg["max_other_share"]) * side_weight["RUS"]:
        return ""
    return f"Western {', '.join(found[:3])} against Russia after {start.isoformat()}"


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
    position = settings["position"]
    w_title = float(position["title"])
    w_lead = float(position["lead"])
    w_body = float(position["body"])
    body_half = float(position["body_half_chars"])
    decay = {c: float(v) for c, v in settings["repeat_decay"].items()}
    title = title or ""
    text, norm_text = _drop_skipped_lines(text, normalize(text), compiled.skip)
    lead_end = _lead_end(text, settings)

    def weight(at: int | None) -> float:
        """The weight of a hit: in the title, the lead, or further down the body."""
        if at is None:
            return w_title
        if at < lead_end:
            return w_lead
        if body_half <= 0:
            return w_body
        # far down a long page (live blog entries, related stories) counts less
        return w_body * body_half / (body_half + at - lead_end)

    side_weight: dict[str, float] = defaultdict(float)
    head: dict[str, float] = defaultdict(float)  # cats, over the title and the first lines
    head_end = int(settings["head_chars"])
    agents: set[str] = set()  # sides named by an actor that can act, not only as a place
    codes: dict[str, float] = defaultdict(float)
    title_names: list[str] = []
    other = 0.0
    cats: dict[str, float] = defaultdict(float)
    cues: dict[str, float] = defaultdict(float)
    head_cues: set[str] = set()  # distinct diplomacy and speech terms in the head
    seen: dict[tuple[str, str], int] = defaultdict(int)

    for part, norm, in_title in ((title, normalize(title), True), (text, norm_text, False)):
        for mention in actors.find(part, published):
            w = weight(None if in_title else mention.start)
            code = mention.country or (mention.actor.country if mention.actor else None)
            if code is None:
                continue
            codes[code] += w
            side = compiled.side_of_code.get(code)
            if side is not None:
                side_weight[side] += w
                if in_title or mention.start < head_end:
                    head["side:" + side] += w
                # "en Ukraine" is a place; "Kiev", "le Kremlin", "Lavrov" act
                if mention.how != "name" or (mention.actor and mention.actor.kind != "country"):
                    agents.add(side)
            elif code in compiled.other_codes:
                other += w
                if in_title or mention.start < head_end:
                    head["other"] += w
            if in_title:
                label = mention.actor.name if mention.actor else mention.text
                if label not in title_names:
                    title_names.append(label)
        for match in compiled.regex.finditer(norm):
            hit = compiled.lookup(phrase_key(match.group()))
            if hit is None:
                continue
            category, label = hit
            w = weight(None if in_title else match.start())
            if category.startswith("adj:"):
                for side in category[4:].split("+"):
                    if side == "other":
                        other += w * compiled.weights["adjective"]
                        if in_title or match.start() < head_end:
                            head["other"] += w * compiled.weights["adjective"]
                    else:
                        side_weight[side] += w * compiled.weights["adjective"]
                        if in_title or match.start() < head_end:
                            head["side:" + side] += w * compiled.weights["adjective"]
                continue
            # the same word again adds less: one repeated word is not a story
            repeats = seen[category, label]
            seen[category, label] += 1
            w *= decay.get(category, 1.0) ** repeats
            cats[category] += w * compiled.weights[category]
            if in_title or match.start() < head_end:
                head[category] += w * compiled.weights[category]
            if category in ("diplomacy", "speech"):
                cues[label.lower()] += w
                if in_title or match.start() < head_end or head_end <= 0:
                    head_cues.add(label.lower())

    min_side = float(settings["min_side_weight"])
    present = [s for s in ("West", "RUS") if side_weight[s] >= min_side]
    ukraine = side_weight["UKR"]
    need = min_side
    if {"West", "RUS"} <= agents.intersection(present) and ukraine > other:
        # Washington and Moscou both act: a hint of Ukraine ("les militaires ukrainiens", the
        # Donbass) says which war, unless another theatre weighs more (Iran, Gaza)
        need = min(need, float(settings["min_ukraine_hint"]))
    if ukraine >= need and (
        head_end <= 0
        or head["side:UKR"] >= need
        # Ukraine only in a page's tail (a sidebar, a later live-blog entry) is not what the
        # story is about, unless the body keeps coming back to it
        or ukraine >= float(settings["min_ukraine_outside_head"])
    ):
        present.append("UKR")
    other_weight = float(settings["other"]["weight"])
    implied = _implied_ukraine(settings, published, present, agents, cues, side_weight, other)
    if implied:
        present.append("UKR")
    gate_cfg = settings["gate"]
    acting = agents.intersection(present)
    if "UKR" not in present:
        gate = float(gate_cfg["no_ukraine"])
    elif len(present) < 2 or not acting or acting == {"UKR"}:
        # one side, or a conflict that is only a backdrop: nobody but Ukraine acts
        gate = float(gate_cfg["one_side"])
    elif len(acting) < 2:
        # Washington or Moscou acts about the war in Ukraine ("un plan de paix pour l'Ukraine")
        gate = float(gate_cfg["one_actor"])
    else:
        gate = 1.0
    if implied:
        # an implied war is weaker evidence than a named one
        gate = min(gate, float(settings["implied_ukraine"]["gate"]))
    diplomacy = cats["diplomacy"] + cats["speech"]
    varied = settings["varied_cues"]
    discount = {c: 1.0 for c in _NEGATIVE}
    min_distinct = int(varied["min_distinct"])
    if 0 < min_distinct <= len(head_cues) and "UKR" in present and len(acting) >= 2:
        # many different diplomatic acts by two sides acting (a threat, a condemnation, a
        # call, sanctions): the war's facts around them are the backdrop, not the subject
        for c in varied["categories"]:
            discount[c] = float(varied["factor"])
    negative = sum(cats[c] * discount[c] for c in _NEGATIVE) + other * other_weight
    share = diplomacy / (diplomacy + negative) if diplomacy + negative > 0 else 0.0
    if head_end > 0:
        # what the title and the first lines are about decides, whatever a live blog or a
        # page's tail adds further down; the whole page decides when its head is silent
        head_for = head["diplomacy"] + head["speech"]
        head_against = sum(head[c] * discount[c] for c in _NEGATIVE) + head["other"] * other_weight
        if head_for + head_against > 0:
            head_share = head_for / (head_for + head_against)
            share = max(share, head_share)
    half = float(settings["strength_half"])
    strength = diplomacy / (diplomacy + half) if diplomacy > 0 else 0.0
    score = max(0.0, min(1.0, gate * share * strength))
    relevant = score >= float(settings["threshold"])

    shown = [c for c in sorted(codes, key=lambda c: -codes[c])][:6]
    main = [c for c in ("USA", "RUS", "UKR", "NATO", "EU") if c in codes]
    reasons = [f"actors: {', '.join(main + [c for c in shown if c not in main]) or 'none'}"]
    reasons.append(f"sides: {', '.join(present) or 'none'}")
    if implied:
        reasons.append(f"Ukraine implied: {implied}")
    if any(f < 1.0 for f in discount.values()):
        reasons.append(f"varied diplomacy: {len(head_cues)} cues outweigh the war's facts")
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
