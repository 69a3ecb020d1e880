"""Claim rules for French news at large, each on short sentences written for these tests.

Speakers that are not configured actors, role nouns that point back, incises, quotes split by
their cue, participle clauses, kinds from the words of the content, and what is not a claim.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

pytestmark = pytest.mark.slow

MAR_2025 = date(2025, 3, 20)
JAN_2022 = date(2022, 1, 21)


def claims(extractor: ClaimExtractor, text: str, on: date | None = MAR_2025) -> list[Claim]:
    return extractor.extract(text, published=on)


def last(extractor: ClaimExtractor, text: str, on: date | None = MAR_2025) -> Claim:
    found = claims(extractor, text, on)
    assert found, text
    return found[-1]


class TestSpeakersBeyondTheActorList:
    def test_nationality_adjective_gives_the_country(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Le ministre finlandais des Affaires étrangères, Pekka Haavisto, a jugé "
            "probable une demande d'adhésion.",
        )
        assert (c.speaker, c.speaker_country) == ("Pekka Haavisto", "FIN")

    def test_indefinite_official_keeps_the_phrase(self, extractor: ClaimExtractor) -> None:
        c = last(extractor, "Un responsable polonais a affirmé que la frontière resterait fermée.")
        assert c.speaker_country == "POL" and "responsable polonais" in (c.speaker or "")

    def test_name_beside_a_role_is_the_speaker(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Le Premier ministre polonais, Donald Tusk, a assuré que Varsovie tiendrait parole.",
        )
        assert (c.speaker_actor, c.speaker_country) == ("Donald Tusk", "POL")

    def test_name_with_particles(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "La présidente de la Commission, Ursula von der Leyen, a annoncé un nouveau paquet.",
        )
        assert c.speaker_actor == "Ursula von der Leyen"

    def test_institution_spokesman_with_an_unlisted_name(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Le porte-parole du département d'Etat, Paul Martin, a dénoncé une campagne "
            "de désinformation.",
        )
        assert (c.speaker, c.speaker_country, c.kind) == ("Paul Martin", "USA", "accusation")

    def test_name_split_by_the_parser(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Vladimir Poutine a accepté mardi, lors d'un long appel, une pause de trente jours.",
        )
        assert c.speaker_actor == "Vladimir Poutine"


class TestRoleNounsPointBack:
    def test_bare_role_noun(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Sergueï Lavrov a estimé que les sanctions échoueraient. "
            "Le ministre a également exigé le retrait des armes américaines.",
        )
        assert (c.speaker_actor, c.kind) == ("Sergueï Lavrov", "demand")

    def test_head_of_state_is_the_last_president(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Vladimir Poutine a posé ses conditions vendredi. "
            "Le chef de l'Etat a exigé le retrait des forces ukrainiennes.",
        )
        assert c.speaker_actor == "Vladimir Poutine"

    def test_role_with_a_nationality_takes_that_country(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Volodymyr Zelensky a rencontré Emmanuel Macron. Le dirigeant ukrainien a affirmé "
            "que l'aide n'était pas de la charité.",
        )
        assert c.speaker_actor == "Volodymyr Zelensky"

    def test_role_with_a_nationality_after_a_mere_mention(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Volodymyr Zelensky a parlé avec le président finlandais, Alexander Stubb. "
            "Le chef de l'Etat finlandais a jugé que Moscou gagnait du temps.",
        )
        assert (c.speaker_actor, c.speaker_country) == ("Alexander Stubb", "FIN")

    def test_role_noun_of_an_unknown_person_stays_a_phrase(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor, "Le porte-parole de la Maison Blanche a démenti toute rupture avec Kiev."
        )
        assert c.speaker_country == "USA" and c.speaker_actor != "Donald Trump"

    def test_ce_dernier_is_the_last_person_named(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Donald Trump a téléphoné à Volodymyr Zelensky. "
            "Ce dernier a annoncé qu'il se rendrait à Washington.",
        )
        assert c.speaker_actor == "Volodymyr Zelensky"


class TestKindsFromWords:
    def test_qualifier_is_a_statement_unless_the_word_charges(
        self, extractor: ClaimExtractor
    ) -> None:
        c = last(extractor, "Kirill Dmitriev a qualifié de « productive » la rencontre.")
        assert c.kind == "statement"
        c = last(extractor, "Volodymyr Zelensky a qualifié d'« absurde » ce calendrier.")
        assert c.kind == "accusation"

    def test_a_second_clause_does_not_complete_a_phrase_cue(
        self, extractor: ClaimExtractor
    ) -> None:
        found = claims(
            extractor,
            "Vladimir Medinski s'est dit « satisfait » de la rencontre et a affirmé que "
            "Moscou était prêt à poursuivre les contacts.",
        )
        assert found[0].kind == "statement" and "Moscou" not in found[0].content


class TestIncises:
    def test_incise_after_a_clause(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "L'entretien a duré près de deux heures, a affirmé le porte-parole du Kremlin, "
            "Dmitri Peskov.",
        )
        assert (c.speaker_actor, c.cue, c.direct) == ("Dmitri Peskov", "affirmer", False)
        assert c.content == "L'entretien a duré près de deux heures"

    def test_incise_in_the_middle(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Vladimir Poutine a parlé aux diplomates. S'il obtient des garanties, a-t-il "
            "assuré, la Russie cessera le feu.",
        )
        assert c.speaker_actor == "Vladimir Poutine"
        assert c.content.startswith("S'il obtient des garanties") and "cessera le feu" in c.content
        assert "assuré" not in c.content

    def test_a_cue_with_its_own_object_is_not_an_incise(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "La présidente de la Commission, Ursula von der Leyen, a annoncé un nouveau paquet.",
        )
        assert c.content == "un nouveau paquet" and c.speaker_actor == "Ursula von der Leyen"

    def test_incise_inside_a_quote(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Marco Rubio a parlé à la presse. « Nous allons présenter cette offre, a-t-il "
            "poursuivi, et nous espérons une réponse rapide. »",
        )
        assert (c.speaker_actor, c.direct) == ("Marco Rubio", True)
        assert c.content == "Nous allons présenter cette offre et nous espérons une réponse rapide."

    def test_incise_ending_a_first_sentence_of_a_quote(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "« L'idée est juste, a déclaré le président russe. Mais il reste des questions. »",
        )
        assert (c.speaker_actor, c.direct) == ("Vladimir Poutine", True)
        assert c.content.startswith("L'idée est juste") and c.content.endswith("des questions.")

    def test_pronoun_after_a_quote_whose_subject_is_inside(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Michel Barnier a parlé. « La véritable menace, c'est notre dette », a-t-il déclaré.",
        )
        assert c.speaker == "Michel Barnier" and c.direct


class TestHardParses:
    def test_present_participle_shares_the_subject(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Le porte-parole du Kremlin a averti qu'il ne fallait rien anticiper, précisant "
            "que Moscou attendait des détails.",
        )
        assert [c.speaker_actor for c in found] == ["Dmitri Peskov", "Dmitri Peskov"]
        assert "Moscou attendait des détails" in found[1].content
        assert "précisant" not in found[0].content

    def test_passive_with_an_agent(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "La proposition a été qualifiée d'« ultimatum » par Volodymyr Zelensky.",
        )
        assert (c.speaker_actor, c.kind) == ("Volodymyr Zelensky", "accusation")
        assert "proposition" in c.content and "ultimatum" in c.content

    def test_adverbial_phrase_between_auxiliary_and_participle(
        self, extractor: ClaimExtractor
    ) -> None:
        c = last(
            extractor,
            "Le président russe a en revanche rejeté l'idée d'un cessez-le-feu complet.",
        )
        assert (c.speaker_actor, c.kind) == ("Vladimir Poutine", "denial")
        assert "cessez-le-feu complet" in c.content


class TestWhatIsNotAClaim:
    def test_a_cue_inside_reported_content_is_not_a_second_claim(
        self, extractor: ClaimExtractor
    ) -> None:
        found = claims(
            extractor,
            "Sergueï Lavrov a affirmé que Moscou n'accepterait aucun déploiement de troupes.",
        )
        assert [c.cue for c in found] == ["affirmer"]

    def test_a_noun_read_as_a_verb_is_no_cue(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Guido Crosetto a rejeté une offre qui revient à demander à Kiev de capituler.",
        )
        assert [c.cue for c in found] == ["rejeter"]

    def test_quote_only_cue_without_a_quote(self, extractor: ClaimExtractor) -> None:
        assert claims(extractor, "L'armée russe a lancé une offensive près de Koursk.") == []
        c = last(extractor, "« La prochaine fois, à Moscou », a lancé Vladimir Poutine.")
        assert c.direct and c.cue == "lancer"

    @pytest.mark.parametrize(
        "text",
        [
            "La déclaration de Washington a été publiée dans la nuit.",
            "Les sanctions annoncées mardi entreront en vigueur jeudi.",
            "Un accord a été signé avec la Moldavie.",
            "La proposition de trêve acceptée par Kiev a été transmise à Moscou.",
        ],
    )
    def test_cue_words_that_tell_no_claim(self, extractor: ClaimExtractor, text: str) -> None:
        assert claims(extractor, text) == []


class TestConditionalWarning:
    def test_conditional_consequence_is_a_warning(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Antony Blinken a répété que toute incursion entraînerait une réponse sévère.",
            JAN_2022,
        )
        assert c.kind == "warning"

    def test_a_plain_conditional_is_not(self, extractor: ClaimExtractor) -> None:
        c = last(
            extractor,
            "Sergueï Lavrov a estimé que les sanctions ne feraient pas plier la Russie.",
            JAN_2022,
        )
        assert c.kind == "statement"


class TestContentEdges:
    def test_a_partitive_determiner_stays_in_the_content(self, extractor: ClaimExtractor) -> None:
        found = last(extractor, "Le chancelier a réclamé d'autres sanctions contre Moscou.")
        assert found.content.startswith("d'autres sanctions")

    def test_a_clause_mark_is_trimmed(self, extractor: ClaimExtractor) -> None:
        found = last(extractor, "Le Kremlin a proposé de reprendre les pourparlers à Istanbul.")
        assert found.content.startswith("reprendre")

    def test_a_cue_after_a_quoted_word_and_et_is_a_second_predicate(
        self, extractor: ClaimExtractor
    ) -> None:
        found = claims(
            extractor,
            "Le ministre a qualifié la réunion de « décevante » et a réclamé des excuses.",
        )
        assert [c.cue for c in found] == ["qualifier", "réclamer"]
        assert found[1].content == "des excuses" and found[1].kind == "demand"

    def test_a_role_with_its_own_adjective_points_back(self, extractor: ClaimExtractor) -> None:
        found = last(
            extractor,
            "Joe Biden a reçu mardi les dirigeants européens. "
            "Le dirigeant démocrate a affirmé avoir été très clair avec Moscou.",
            JAN_2022,
        )
        assert found.speaker_actor == "Joe Biden" and found.speaker_country == "USA"
