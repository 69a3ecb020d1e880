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


class TestToutEn:
    """ "X a rejeté ..., tout en appelant ...": one speaker's claims joined by "tout en" and a
    gerund; the gerund's clause is the speaker's own claim when it is a cue, and never the end
    of the previous claim's words."""

    def test_each_claim_keeps_the_speaker(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Le porte-parole du Kremlin a rejeté les accusations de Kiev, tout en appelant "
            "Washington à reprendre le dialogue.",
            published=ON,
        )
        assert [(c.speaker_country, c.kind, c.content) for c in found] == [
            ("RUS", "denial", "les accusations de Kiev"),
            ("RUS", "demand", "à reprendre le dialogue"),
        ]
        assert found[0].speaker == found[1].speaker

    def test_a_refusal_kept_is_a_denial(self, extractor: ClaimExtractor) -> None:
        # the tagger reads "maintenant" after "en" as the adverb: the participle rule takes it
        found = extractor.extract(
            "Moscou a accepté de reprendre les discussions, tout en maintenant son refus de "
            "tout retrait de ses troupes.",
            published=ON,
        )
        assert [(c.speaker_country, c.cue, c.kind, c.content) for c in found] == [
            ("RUS", "accepter", "agreement", "reprendre les discussions"),
            ("RUS", "maintenir refus", "denial", "son refus de tout retrait de ses troupes"),
        ]

    def test_demands_kept_are_a_demand(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Kiev a salué l'initiative turque, tout en maintenant ses exigences sur le retrait "
            "des troupes russes.",
            published=ON,
        )
        assert [(c.kind, c.content) for c in found] == [
            ("support", "l'initiative turque"),
            ("demand", "ses exigences sur le retrait des troupes russes"),
        ]

    def test_a_refusal_said_again_with_a_finite_verb(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Le Kremlin a réaffirmé son opposition à tout déploiement de soldats européens.",
            published=ON,
        )
        assert [(c.cue, c.kind) for c in found] == [("réaffirmer opposition", "denial")]

    def test_no_tout_left_at_the_end_of_the_first_claim(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Sergueï Lavrov a estimé que la rencontre avait été utile, tout en avertissant que "
            "rien n'était réglé.",
            published=ON,
        )
        assert [(c.kind, c.content) for c in found] == [
            ("statement", "la rencontre avait été utile"),
            ("warning", "rien n'était réglé"),
        ]

    def test_a_gerund_that_is_no_cue_ends_the_claim(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Le Kremlin a accepté une trêve de trois jours tout en maintenant ses conditions "
            "pour un accord de paix.",
            published=ON,
        )
        assert [(c.kind, c.content) for c in found] == [("agreement", "une trêve de trois jours")]
