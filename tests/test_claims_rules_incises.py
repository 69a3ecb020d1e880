"""The reporting clause set after or inside the words: "<words>, a indiqué mardi le ministre",
"Mais, a-t-elle ajouté, ...", "« ... », a-t-il en outre assuré", "« ... », s'est félicité X".

Sentences written for these tests; the spaCy model is loaded once for the module.
"""

from __future__ import annotations

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from tests.claim_cases import ON, one

pytestmark = pytest.mark.slow


class TestTimeBetweenCueAndSubject:
    def test_weekday(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Les pourparlers reprendront la semaine prochaine à Vienne, a indiqué mardi le "
            "porte-parole du département d'Etat, Ned Price.",
        )
        assert (c.rule, c.speaker_country, c.kind) == ("incise", "USA", "statement")
        assert c.content == "Les pourparlers reprendront la semaine prochaine à Vienne"

    def test_weekday_and_date(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Aucun compromis n'a été obtenu sur le gaz, a annoncé jeudi 12 mai le ministre "
            "hongrois Péter Szijjártó.",
        )
        assert (c.rule, c.speaker_country) == ("incise", "HUN")
        assert c.content == "Aucun compromis n'a été obtenu sur le gaz"

    def test_manner_adverbs(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Les sanctions seront levées par étapes, a assuré un peu plus tard Emmanuel Macron.",
            published=ON,
        )
        assert [(c.rule, c.speaker_country, c.content) for c in found] == [
            ("incise", "FRA", "Les sanctions seront levées par étapes")
        ]

    def test_an_object_after_the_cue_is_not_a_speaker(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "La Pologne a fermé sa frontière, a annoncé mardi un nouveau train de mesures.",
            published=ON,
        )
        assert all(c.rule != "incise" for c in found)


class TestCausativeCue:
    """ "..., a fait savoir mercredi la présidence": faire / laisser + infinitive, the parser's
    head the infinitive, the inverted subject read as its object or hung on the time phrase."""

    def test_weekday_and_hour(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Les négociations reprendront la semaine prochaine, a fait savoir jeudi soir la "
            "présidence ukrainienne.",
        )
        assert (c.rule, c.speaker_country, c.cue) == ("incise", "UKR", "faire savoir")
        assert c.content == "Les négociations reprendront la semaine prochaine"

    def test_time_phrase_the_parser_hangs_the_speaker_on(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Moscou n'enverra pas de délégation à Genève, a fait savoir dans la soirée le Kremlin.",
        )
        assert (c.rule, c.speaker_country, c.cue) == ("incise", "RUS", "faire savoir")
        assert c.content == "Moscou n'enverra pas de délégation à Genève"

    def test_without_adverbial(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "L'accord reste possible, a fait valoir le chancelier allemand.")
        assert (c.rule, c.speaker_actor, c.cue) == ("incise", "Olaf Scholz", "faire valoir")

    def test_laisser_entendre_and_no_claim_of_the_weekday(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Aucune réunion n'est prévue avant la fin du mois, a laissé entendre mardi le "
            "porte-parole du Kremlin.",
        )
        assert (c.rule, c.speaker_country, c.cue) == ("incise", "RUS", "laisser entendre")
        assert c.content == "Aucune réunion n'est prévue avant la fin du mois"

    def test_channel_between_cue_and_speaker(self, extractor: ClaimExtractor) -> None:
        text = "Les frappes continuent, a fait savoir sur Telegram la diplomatie russe."
        c = one(extractor, text)
        assert (c.rule, c.speaker_country, c.source) == ("incise", "RUS", "Telegram")

    def test_inside_the_sentence(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "La Russie, a fait savoir mercredi le Kremlin, n'enverra aucune délégation à Genève.",
        )
        assert (c.rule, c.speaker_country) == ("incise", "RUS")
        assert c.content == "La Russie n'enverra aucune délégation à Genève"

    def test_an_indefinite_phrase_is_not_a_speaker(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Les frappes continuent, a fait savoir la semaine dernière un diplomate européen.",
            published=ON,
        )
        assert all(c.rule != "incise" for c in found)


class TestLocutionsAroundTheCue:
    def test_locution_after_the_inverted_pronoun(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Jens Stoltenberg était à Kiev. « Nous continuerons de livrer des obus », a-t-il "
            "en outre assuré.",
            published=ON,
        )
        assert [(c.rule, c.speaker_country, c.content) for c in found] == [
            ("direct_quote_after", "NATO", "Nous continuerons de livrer des obus")
        ]

    def test_locution_between_auxiliary_and_participle(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Les frontières resteront fermées, a pour sa part affirmé le ministre polonais de "
            "l'Intérieur.",
        )
        assert (c.rule, c.speaker_country) == ("incise", "POL")

    def test_locution_after_the_participle(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "« La trêve tient », a pour sa part estimé le président turc Erdogan.")
        assert (c.rule, c.speaker_country, c.direct) == ("direct_quote_after", "TUR", True)

    def test_reflexive_cue_after_a_quote(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "« La trêve tient », s'est félicité Recep Tayyip Erdogan.")
        assert (c.rule, c.speaker_country, c.kind, c.cue) == (
            "direct_quote_after",
            "TUR",
            "support",
            "se féliciter",
        )


class TestIncisesAfterALinkingWord:
    def test_but_then_incise(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract(
            "Olaf Scholz a rencontré son homologue. Mais, a-t-il souligné, la Pologne "
            "ne fournira pas d'avions de combat.",
            published=ON,
        )
        assert [(c.rule, c.speaker_country) for c in found] == [("incise", "DEU")]
        assert found[0].content.endswith("la Pologne ne fournira pas d'avions de combat")

    def test_a_noun_before_the_comma_is_no_linking_word(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract("Kiev, a ajouté Olaf Scholz.", published=ON)
        assert found == []


def test_deputy_minister_is_a_person_who_speaks(extractor: ClaimExtractor) -> None:
    c = one(
        extractor,
        "Les échanges sur le désarmement risquent d'être compromis sans progrès sur l'Otan, a "
        "déclaré le vice-ministre russe des Affaires étrangères.",
    )
    # a risk under a condition is a warning
    assert (c.rule, c.speaker_country, c.kind) == ("incise", "RUS", "warning")
