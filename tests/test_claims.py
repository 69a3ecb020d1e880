"""Claim extraction, one test class per construction family, on sentences written for these tests.

The spaCy model is loaded once for the module (it takes seconds); every test then parses only
its own few sentences.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import EXTRACTOR_VERSION, ClaimExtractor
from diplowatch.extractors.claims.quotes import find_quotes
from diplowatch.extractors.records import Claim
from diplowatch.extractors.schemas import RULE_ORDER

pytestmark = pytest.mark.slow

DEC_2021 = date(2021, 12, 7)
FEB_2025 = date(2025, 2, 20)


def claims(extractor: ClaimExtractor, text: str, on: date | None = DEC_2021) -> list[Claim]:
    return extractor.extract(text, published=on)


def one(extractor: ClaimExtractor, text: str, on: date | None = DEC_2021) -> Claim:
    found = claims(extractor, text, on)
    assert len(found) == 1, [c.to_dict() for c in found]
    return found[0]


def test_api_shape(extractor: ClaimExtractor) -> None:
    assert EXTRACTOR_VERSION.startswith("claims-")
    assert "ner" not in extractor.nlp.pipe_names
    assert claims(extractor, "") == []


class TestQuotesOnRawText:
    def test_pairs_guillemets_and_straight_quotes(self) -> None:
        text = 'Il a dit « oui ». Elle a dit "non".'
        assert [text[a:b] for a, b in find_quotes(text)] == ["« oui »", '"non"']

    def test_nested_marks_give_the_outer_span(self) -> None:
        text = "« Il a parlé de “paix” hier », a-t-elle dit."
        assert [text[a:b] for a, b in find_quotes(text)] == ["« Il a parlé de “paix” hier »"]

    def test_an_unclosed_mark_stops_at_the_paragraph(self) -> None:
        assert find_quotes("« Rien ne ferme ici.\nLa suite n'est pas citée ».") == []


class TestDirectQuotes:
    def test_cue_after_with_inverted_subject(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "« Nous ne laisserons personne nous dicter notre conduite », a déclaré Joe Biden.",
        )
        assert (c.speaker, c.speaker_country, c.kind, c.cue, c.direct) == (
            "Joe Biden",
            "USA",
            "statement",
            "déclarer",
            True,
        )
        assert c.content == "Nous ne laisserons personne nous dicter notre conduite"

    def test_straight_and_curly_quotes(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, '"La porte reste ouverte", a dit Vladimir Poutine.')
        assert c.direct and c.speaker == "Vladimir Poutine"
        c = one(extractor, "“La porte reste ouverte”, a dit Vladimir Poutine.")
        assert c.direct and c.content == "La porte reste ouverte"

    def test_institution_after_the_quote_with_a_channel(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "« Le dialogue se poursuivra la semaine prochaine », a "
            "écrit le Kremlin dans un communiqué.",
        )
        assert (c.speaker_actor, c.speaker_country, c.source) == ("Kremlin", "RUS", "un communiqué")

    def test_inverted_pronoun(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor, "Joe Biden a reçu les journalistes. « Rien n'est décidé », a-t-il affirmé."
        )
        assert [(c.speaker, c.direct) for c in found] == [("Joe Biden", True)]

    def test_cue_before_with_a_colon(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor, "Antony Blinken a déclaré : « Nous sommes prêts à discuter avec Moscou. »"
        )
        assert (c.speaker_country, c.direct, c.kind) == ("USA", True, "proposal")

    def test_quote_running_across_sentences(self, extractor: ClaimExtractor) -> None:
        text = (
            "« Nous voulons la paix. Mais nous ne céderons pas. Personne ne "
            "doit en douter », a déclaré Volodymyr Zelensky."
        )
        c = one(extractor, text)
        assert c.direct and c.speaker_country == "UKR"
        assert c.content.startswith("Nous voulons la paix.") and c.content.endswith("en douter")
        assert text[c.start : c.end] == c.sentence == text

    def test_partial_quote_before_the_cue_is_not_direct(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "La Russie continue de « menacer la stabilité du continent », a estimé Antony Blinken.",
        )
        assert not c.direct
        assert "La Russie continue" in c.content


class TestIndirectSpeech:
    def test_faire_savoir_a_y_que(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Emmanuel Macron a fait savoir à Vladimir Poutine que "
            "la France resterait aux côtés de Kiev.",
        )
        assert (c.speaker, c.cue, c.addressee, c.direct) == (
            "Emmanuel Macron",
            "faire savoir",
            "Vladimir Poutine",
            False,
        )
        assert c.content == "la France resterait aux côtés de Kiev"

    def test_repondre_que(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Sergueï Lavrov a répondu qu'il n'y avait aucune troupe russe à la frontière.",
        )
        assert (c.speaker_country, c.cue) == ("RUS", "répondre")
        assert c.content.startswith("il n'y avait aucune troupe")

    def test_dire_que(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor, "Le chancelier Olaf Scholz a dit que l'Allemagne ne livrerait pas d'armes."
        )
        assert c.kind == "statement" and c.content == "l'Allemagne ne livrerait pas d'armes"

    def test_sentence_without_a_cue_gives_nothing(self, extractor: ClaimExtractor) -> None:
        assert (
            claims(extractor, "Le président russe se trouvait dans sa datcha près de Moscou.") == []
        )
        assert claims(extractor, "Joe Biden a participé à la réunion depuis Washington.") == []


class TestObjectsAndInfinitives:
    def test_noun_phrase_object(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor, "Sergueï Lavrov a dénoncé les livraisons d'armes occidentales à l'Ukraine."
        )
        assert (
            c.kind == "accusation"
            and c.content == "les livraisons d'armes occidentales à l'Ukraine"
        )

    def test_infinitive_with_addressee(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Joe Biden a proposé à Vladimir Poutine de reprendre "
            "les négociations sur le désarmement.",
        )
        assert (c.kind, c.addressee) == ("proposal", "Vladimir Poutine")
        assert c.content == "reprendre les négociations sur le désarmement"

    def test_appeler_y_a(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Antony Blinken a appelé Moscou à retirer ses troupes de la frontière.")
        assert (c.kind, c.addressee, c.speaker_country) == ("demand", "Russie", "USA")
        assert "retirer ses troupes" in c.content

    def test_appeler_without_a_is_naming_not_demanding(self, extractor: ClaimExtractor) -> None:
        assert claims(extractor, "Ce que Moscou appelle une opération spéciale a commencé.") == []

    def test_inanimate_a_phrase_stays_content(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Emmanuel Macron a appelé à la retenue.")
        assert c.addressee is None and "retenue" in c.content


class TestCoordinatedPredicates:
    def test_two_predicates_two_claims(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Sergueï Lavrov a critiqué l'élargissement de l'Otan "
            "et a réclamé un traité de sécurité.",
        )
        assert [(c.kind, c.speaker_country) for c in found] == [
            ("accusation", "RUS"),
            ("demand", "RUS"),
        ]
        assert "traité" not in found[0].content and "élargissement" not in found[1].content


class TestAccordingTo:
    def test_selon_x_is_the_speaker(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Les pourparlers reprendront lundi à Genève, selon Moscou.")
        assert (c.speaker_country, c.cue, c.kind) == ("RUS", "selon", "statement")
        assert "selon" not in c.content.lower() and "pourparlers reprendront" in c.content

    def test_d_apres_x(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "D'après le Kremlin, les deux dirigeants se parleront avant la fin de l'année.",
        )
        assert c.speaker_country == "RUS" and "se parleront" in c.content

    def test_selon_un_communique_is_the_source(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Selon un communiqué de la Maison Blanche, Joe Biden a demandé "
            "à Vladimir Poutine de retirer ses troupes.",
        )
        assert (c.speaker, c.kind, c.source, c.addressee) == (
            "Joe Biden",
            "demand",
            "un communiqué de la Maison Blanche",
            "Vladimir Poutine",
        )

    def test_dans_un_communique_is_the_source(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Le Kremlin a indiqué dans un communiqué que les échanges avaient été francs.",
        )
        assert c.source == "un communiqué" and c.speaker_country == "RUS"


class TestNestedAttribution:
    def test_reported_speaker_and_channel_both_kept(self, extractor: ClaimExtractor) -> None:
        text = (
            "« Joe Biden a répondu qu'il ne céderait sur aucun "
            "principe », a fait savoir la Maison Blanche."
        )
        outer, inner = claims(extractor, text)
        assert (outer.speaker_actor, outer.direct) == ("Maison Blanche", True)
        assert (inner.speaker, inner.source, inner.cue) == (
            "Joe Biden",
            "Maison Blanche",
            "répondre",
        )
        assert inner.content.startswith("il ne céderait")

    def test_first_person_quote_is_one_claim(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor, "« Nous exigeons des garanties écrites », a déclaré Sergueï Lavrov."
        )
        assert [(c.speaker_country, c.kind) for c in found] == [("RUS", "demand")]


class TestSpeakers:
    def test_pronoun_takes_the_last_person(self, extractor: ClaimExtractor) -> None:
        text = (
            "Le Kremlin a publié un compte rendu. Vladimir Poutine a critiqué les "
            "sanctions. Il a aussi dénoncé les exercices militaires."
        )
        last = claims(extractor, text)[-1]
        assert (last.speaker, last.kind) == ("Vladimir Poutine", "accusation")

    def test_pronoun_gender(self, extractor: ClaimExtractor) -> None:
        text = "Annalena Baerbock a rencontré Sergueï Lavrov. Elle a demandé un cessez-le-feu."
        assert claims(extractor, text)[-1].speaker == "Annalena Baerbock"

    def test_role_noun_resolved_by_date(self, extractor: ClaimExtractor) -> None:
        text = "Le président américain a averti que les sanctions seraient lourdes."
        assert one(extractor, text, DEC_2021).speaker == "Joe Biden"
        assert one(extractor, text, FEB_2025).speaker == "Donald Trump"

    def test_institutions_get_their_country(self, extractor: ClaimExtractor) -> None:
        for phrase, country in [
            ("La présidence russe", "RUS"),
            ("L'exécutif américain", "USA"),
            ("Washington", "USA"),
            ("Le Kremlin", "RUS"),
        ]:
            c = one(extractor, f"{phrase} a affirmé que les discussions avaient été utiles.")
            assert c.speaker_country == country, phrase

    def test_counterpart_addressee(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Vladimir Poutine a proposé à son homologue américain de se revoir au printemps.",
        )
        assert c.addressee == "Joe Biden"

    def test_no_identifiable_speaker_no_claim(self, extractor: ClaimExtractor) -> None:
        assert claims(extractor, "On a dit que la réunion serait reportée.") == []


class TestKindsFromContext:
    def test_conditional_sanctions_make_a_warning(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Joe Biden a fait savoir que Moscou s'exposerait à des sanctions en cas d'invasion.",
        )
        assert (c.cue, c.kind) == ("faire savoir", "warning")

    def test_expressed_concern(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor, "Emmanuel Macron a exprimé sa vive préoccupation face aux manœuvres russes."
        )
        assert c.kind == "concern" and "préoccupation" in c.content

    def test_agreement_inside_a_quote(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "« Les deux ministres se sont entendus pour se revoir "
            "en janvier », a indiqué le Kremlin.",
        )
        assert c.kind == "agreement"

    @pytest.mark.parametrize(
        ("verb", "kind"),
        [
            ("a démenti", "denial"),
            ("a salué", "support"),
            ("a promis", "agreement"),
            ("a menacé", "warning"),
        ],
    )
    def test_cue_kinds(self, extractor: ClaimExtractor, verb: str, kind: str) -> None:
        c = one(extractor, f"Volodymyr Zelensky {verb} l'accord conclu à Minsk.")
        assert c.kind == kind


class TestBatches:
    def test_extract_many_keeps_order(self, extractor: ClaimExtractor) -> None:
        docs = [
            ("« Rien n'est décidé », a dit Joe Biden.", DEC_2021),
            ("Il pleut sur Paris.", None),
            ("Le président américain a averti Moscou.", FEB_2025),
        ]
        out = list(extractor.extract_many(docs, batch_size=2))
        assert len(out) == 3 and out[1] == []
        assert out[0][0].speaker == "Joe Biden"
        assert out[2] == [] or out[2][0].speaker == "Donald Trump"


def test_each_claim_names_the_rule_that_found_it(extractor: ClaimExtractor) -> None:
    text = (
        "« Nous ne céderons rien », a déclaré Sergueï Lavrov. "
        "Antony Blinken a demandé à Moscou de retirer ses troupes."
    )
    found = claims(extractor, text)
    assert [c.rule for c in found] == ["direct_quote_after", "verb_cue"]
    assert all(c.to_dict()["rule"] in RULE_ORDER for c in found)
