"""Participles and gerunds as cues: "..., affirmant ne pas ...", "..., se disant prêt",
"..., le pressant de ...", "en jugeant que ...". The speaker is the subject of the clause the
participle leans on. Sentences written for these tests.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

pytestmark = pytest.mark.slow

ON = date(2025, 3, 10)


def by_rule(extractor: ClaimExtractor, text: str, rule: str) -> Claim:
    found = [c for c in extractor.extract(text, published=ON) if c.rule == rule]
    assert len(found) == 1, [c.to_dict() for c in extractor.extract(text, published=ON)]
    return found[0]


def test_reflexive_participle_of_a_saying_verb(extractor: ClaimExtractor) -> None:
    c = by_rule(
        extractor,
        "Marco Rubio s'est montré optimiste, se disant convaincu de la volonté russe de négocier.",
        "participle",
    )
    assert (c.speaker_country, c.cue, c.kind) == ("USA", "se dire convaincu", "statement")
    assert c.content == "convaincu de la volonté russe de négocier"


def test_reflexive_participle_phrase_sets_the_kind(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Le Kremlin a reçu le plan, se disant prêt à en discuter avec Washington.", published=ON
    )
    # verb_cue or participle, whichever the parse allows: one proposal, "prêt" in the cue
    assert [(c.speaker_country, c.kind, c.cue) for c in found] == [
        ("RUS", "proposal", "se dire prêt")
    ]


def test_participle_with_an_object_clitic(extractor: ClaimExtractor) -> None:
    c = by_rule(
        extractor,
        "Donald Trump a haussé le ton, le sommant de signer l'accord sur les minerais.",
        "participle",
    )
    assert (c.speaker_country, c.cue, c.kind) == ("USA", "sommer", "demand")
    assert c.content == "signer l'accord sur les minerais"


def test_participle_with_a_negated_infinitive(extractor: ClaimExtractor) -> None:
    text = "Le Kremlin insiste sur un dialogue, affirmant ne pas avoir été consulté sur le texte."
    c = by_rule(extractor, text, "participle")
    assert (c.speaker_country, c.cue) == ("RUS", "affirmer")
    assert c.content == "ne pas avoir été consulté sur le texte"
    # the clause is the participle's own, not the end of the first verb's content
    assert [x.content for x in extractor.extract(text, published=ON)] == [
        "sur un dialogue",
        "ne pas avoir été consulté sur le texte",
    ]


def test_gerund(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Volodymyr Zelensky a quitté la réunion en jugeant que la trêve restait fragile.",
        published=ON,
    )
    assert [(c.speaker_country, c.cue, c.content) for c in found] == [
        ("UKR", "juger", "la trêve restait fragile")
    ]


def test_a_participle_that_is_no_cue_gives_nothing(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Le ministre a quitté Kiev, traversant la frontière polonaise dans la nuit.", published=ON
    )
    assert found == []


def test_an_adjective_in_ant_is_no_participle(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Volodymyr Zelensky est arrivé à Paris, important soutien de l'Ukraine.", published=ON
    )
    assert all(c.rule != "participle" for c in found)


def test_participle_after_a_coordinator(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Donald Trump s'est emporté, jugeant la négociation difficile, et le sommant d'être "
        "« reconnaissant » envers Washington.",
        published=ON,
    )
    assert [(c.cue, c.kind, c.content) for c in found] == [
        ("juger", "statement", "la négociation difficile"),
        ("sommer", "demand", "être « reconnaissant » envers Washington"),
    ]


def test_a_claim_left_with_its_cue_words_only_is_dropped(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Après la réunion, Marco Rubio s’est montré optimiste, se disant « convaincu » de la "
        "volonté russe d'entrer dans une « négociation sérieuse ».",
        published=ON,
    )
    assert [(c.speaker_country, c.cue) for c in found] == [("USA", "se dire convaincu")]
