"""Flag the stories about US–Russia–Ukraine diplomacy, cheaply, before any spaCy parse.

It runs on every article. The evidence (date-aware actors, sides acting, term categories by
position, "Lire aussi" lines skipped) is a vector of named features
(`extractors/flag_features.py`); the decision is a logistic regression fitted offline by
`scripts/fit_flag.py` on every labelled text we have, whose weights, intercept and threshold are
the `[model]` table of `config/flag.toml`. Here it is one dot product and a sigmoid in pure
Python: no dependency at run time.

`Flag.score` is the probability; `Flag.contributions` the features that pushed it most
(weight x value, largest positive first, then the largest negative), from which the `reasons`
strings of the `analyze` contract are built.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.flag_features import Evidence, extract_features
from diplowatch.extractors.records import Flag

__all__ = ["flag_article", "probability"]

TOP_FOR = 6  # contributions kept and shown for the story
TOP_AGAINST = 3  # and against it
_MAIN = ("USA", "RUS", "UKR", "NATO", "EU")


def probability(
    features: dict[str, float], model: dict[str, Any]
) -> tuple[float, list[tuple[str, float]]]:
    """sigmoid(intercept + w·x) and the non-zero contributions w_i x_i, by feature name."""
    weights: dict[str, float] = model["weights"]
    # every feature has its weight (FlagFile checks it): a KeyError here is a bad settings dict
    contributions = [(name, weights[name] * value) for name, value in features.items() if value]
    contributions = [(name, c) for name, c in contributions if c]
    z = float(model["intercept"]) + sum(c for _, c in contributions)
    # a stable sigmoid for either sign of z
    score = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return score, contributions


def flag_article(
    title: str | None,
    text: str,
    *,
    published: date | None,
    actors: ActorIndex,
    settings: dict[str, Any],
) -> Flag:
    """Is this a US–Russia–Ukraine diplomacy story? A probability with its reasons.

    `published` picks the holders of role nouns; `settings` is the parsed flag.toml.
    """
    evidence = extract_features(title, text, published=published, actors=actors, settings=settings)
    model = settings["model"]
    score, contributions = probability(evidence.features, model)
    threshold = float(model["threshold"])
    ranked_for = sorted((c for c in contributions if c[1] > 0), key=lambda c: -c[1])[:TOP_FOR]
    ranked_against = sorted((c for c in contributions if c[1] < 0), key=lambda c: c[1])[
        :TOP_AGAINST
    ]
    kept = tuple((name, round(value, 4)) for name, value in (*ranked_for, *ranked_against))
    reasons = _reasons(evidence, kept, score, threshold)
    return Flag(
        relevant=score >= threshold, score=round(score, 4), reasons=reasons, contributions=kept
    )


def _reasons(
    evidence: Evidence, kept: tuple[tuple[str, float], ...], score: float, threshold: float
) -> list[str]:
    """The strings of the `analyze` contract, built from the evidence and the contributions."""
    codes = evidence.codes
    shown = sorted(codes, key=lambda c: -codes[c])[:6]
    main = [c for c in _MAIN if c in codes]
    reasons = [f"actors: {', '.join(main + [c for c in shown if c not in main]) or 'none'}"]
    reasons.append(f"sides: {', '.join(evidence.present) or 'none'}")
    if evidence.features.get("war_implied"):
        reasons.append(
            "Ukraine implied: sanctions on Russia or its unnamed war, after the invasion"
        )
    if evidence.cues:
        top = sorted(evidence.cues, key=lambda c: -evidence.cues[c])[:6]
        reasons.append(f"cues: {', '.join(top)}")
    if evidence.title_names:
        reasons.append(f"title: {', '.join(evidence.title_names[:6])}")
    if evidence.against:
        reasons.append("against: " + ", ".join(f"{k} {v:.1f}" for k, v in evidence.against.items()))
    pushes = [f"{name} {value:+.2f}" for name, value in kept]
    if pushes:
        reasons.append("contributions: " + ", ".join(pushes))
    verdict = ">=" if score >= threshold else "<"
    reasons.append(f"score {score:.2f} {verdict} threshold {threshold:.2f}")
    return reasons
