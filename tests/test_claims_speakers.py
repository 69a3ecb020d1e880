"""Who speaks: speakers carried across sentences, the person preferred to an institution, and a
country for speakers outside actors.toml. Short sentences written for these tests, real model."""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

pytestmark = pytest.mark.slow

MAR_2024 = date(2024, 3, 12)
JAN_2026 = date(2026, 1, 14)


def said(extractor: ClaimExtractor, text: str, words: str, on: date = MAR_2024) -> Claim:
    """The one claim whose content holds `words`."""
    found = [c for c in extractor.extract(text, published=on) if words in c.content]
    assert len(found) == 1, [c.to_dict() for c in extractor.extract(text, published=on)]
    return found[0]


class TestCarriedAcrossSentences:
    def test_pronoun_after_an_inverted_subject(self, extractor: ClaimExtractor) -> None:
        # the person named after the verb of the first sentence is who "il" is in the second,
        # not the other leader named earlier
        text = (
            "Joe Biden a reçu son invité à la Maison Blanche. "
            "Les livraisons reprendront au printemps, a annoncé mardi le président Volodymyr"
            " Zelensky. « Nous tiendrons aussi longtemps qu'il le faudra », a-t-il ajouté."
        )
        claim = said(extractor, text, "tiendrons")
        assert (claim.speaker, claim.speaker_country) == ("Volodymyr Zelensky", "UKR")

    def test_pronoun_points_to_a_person_outside_the_actors(self, extractor: ClaimExtractor) -> None:
        text = (
            "Mary Smith, la ministre néerlandaise de la Défense, a reçu ses homologues à La Haye. "
            "Elle a assuré que les stocks de munitions seraient reconstitués."
        )
        claim = said(extractor, text, "stocks de munitions")
        assert (claim.speaker, claim.speaker_country) == ("Mary Smith", "NLD")

    def test_selon_lui_is_the_subject_of_the_sentence_before(
        self, extractor: ClaimExtractor
    ) -> None:
        text = (
            "Le ministre tchèque des Affaires étrangères, Karel Novak, a rencontré Antony Blinken"
            " mardi. Selon lui, les entretiens ont été francs."
        )
        claim = said(extractor, text, "entretiens ont été francs", on=date(2023, 3, 1))
        assert (claim.speaker, claim.speaker_country) == ("Karel Novak", "CZE")

    def test_a_name_with_particles_is_carried_whole(self, extractor: ClaimExtractor) -> None:
        text = (
            "Ursula von der Leyen a reçu le président moldave à Bruxelles. Elle a ajouté que"
            " les négociations d'adhésion avanceraient."
        )
        claim = said(extractor, text, "négociations d'adhésion")
        assert (claim.speaker, claim.speaker_country) == ("Ursula von der Leyen", "EU")

    def test_ils_points_to_a_group(self, extractor: ClaimExtractor) -> None:
        text = (
            "Les dirigeants européens se sont retrouvés à Bruxelles jeudi. Ils ont assuré que"
            " le soutien financier serait prolongé."
        )
        assert said(extractor, text, "soutien financier").speaker_country == "EU"

    def test_pronoun_after_a_speaker_named_behind_a_source(self, extractor: ClaimExtractor) -> None:
        # the person told after "selon des sources" is who "il" is next, not the earlier subject
        text = (
            "Vladimir Poutine a reçu un émissaire jeudi. Selon des sources diplomatiques, le"
            " conseiller Iouri Ouchakov a déclaré que la date"
            " restait ouverte. Il a ajouté que la délégation partirait lundi."
        )
        claim = said(extractor, text, "partirait lundi")
        assert (claim.speaker_actor, claim.speaker_country) == ("Iouri Ouchakov", "RUS")

    def test_surname_alone_later(self, extractor: ClaimExtractor) -> None:
        text = (
            "Jan Kowal, le chef de la diplomatie polonaise, est arrivé à Kiev. "
            "M. Kowal a déclaré que la frontière resterait ouverte aux réfugiés."
        )
        claim = said(extractor, text, "frontière resterait ouverte")
        assert claim.speaker_country == "POL" and "Kowal" in (claim.speaker or "")


class TestPersonBeforeInstitution:
    def test_name_right_after_the_role_beats_a_place(self, extractor: ClaimExtractor) -> None:
        text = (
            "« L'alliance n'a jamais été aussi soudée », a affirmé le président Biden depuis"
            " la Maison Blanche."
        )
        claim = said(extractor, text, "aussi soudée")
        assert (claim.speaker_actor, claim.speaker_country) == ("Joe Biden", "USA")

    def test_person_after_the_verb_beats_a_group_before_it(self, extractor: ClaimExtractor) -> None:
        text = (
            "Les négociateurs américains iront ensuite à Riyad, où les échanges se poursuivront"
            " en petits groupes, a précisé vendredi l'émissaire américain."
        )
        claim = said(extractor, text, "échanges se poursuivront", on=JAN_2026)
        assert (claim.speaker_actor, claim.speaker_country) == ("Steve Witkoff", "USA")

    def test_two_coordinated_roles_then_the_name(self, extractor: ClaimExtractor) -> None:
        text = (
            "Le chef de la délégation russe et conseiller du Kremlin, Piotr Ivanov, a fait état"
            " de progrès notables."
        )
        claim = said(extractor, text, "progrès notables")
        assert (claim.speaker, claim.speaker_country) == ("Piotr Ivanov", "RUS")

    def test_name_as_a_second_subject_after_the_role(self, extractor: ClaimExtractor) -> None:
        text = "Le président finlandais Alexander Stubb a jugé que la frontière resterait close."
        claim = said(extractor, text, "frontière resterait close")
        assert (claim.speaker_actor, claim.speaker_country) == ("Alexander Stubb", "FIN")

    def test_the_voice_of_an_institution_is_its_spokesperson(
        self, extractor: ClaimExtractor
    ) -> None:
        text = "Le Kremlin a rejeté, par la voix de son porte-parole, toute idée de trêve."
        claim = said(extractor, text, "idée de trêve")
        assert (claim.speaker_actor, claim.speaker_country) == ("Dmitri Peskov", "RUS")
        text = "L'armée ukrainienne a démenti, par la voix de son porte-parole, toute retraite."
        assert said(extractor, text, "toute retraite").speaker_country == "UKR"

    def test_surname_mistagged_after_a_first_name(self, extractor: ClaimExtractor) -> None:
        # the tagger reads "Macron" here as an adverb: the name is still whole
        text = "Emmanuel Macron a demandé à Vladimir Poutine de suspendre les frappes."
        claim = said(extractor, text, "suspendre les frappes")
        assert (claim.speaker_actor, claim.speaker_country) == ("Emmanuel Macron", "FRA")

    def test_compound_first_name_kept_whole(self, extractor: ClaimExtractor) -> None:
        text = (
            "Le texte reste fragile, a estimé le ministre belge des Affaires étrangères,"
            " Jean-Marc Lambert, dans un communiqué."
        )
        claim = said(extractor, text, "texte reste fragile")
        assert (claim.speaker, claim.speaker_country) == ("Jean-Marc Lambert", "BEL")


class TestCountryOfUnlistedSpeakers:
    def test_nationality_in_the_role_after_the_name(self, extractor: ClaimExtractor) -> None:
        text = (
            "« Il faut que les actes suivent les promesses », a déclaré Emma Clarke, la cheffe"
            " de la diplomatie britannique, dans un communiqué."
        )
        claim = said(extractor, text, "actes suivent")
        assert (claim.speaker, claim.speaker_country) == ("Emma Clarke", "GBR")

    def test_role_before_a_name_read_as_a_noun(self, extractor: ClaimExtractor) -> None:
        text = "La présidente moldave Maia Sandu a dénoncé des ingérences étrangères."
        claim = said(extractor, text, "ingérences étrangères")
        assert (claim.speaker, claim.speaker_country) == ("Maia Sandu", "MDA")

    def test_a_named_person_is_not_the_holder_of_the_role(self, extractor: ClaimExtractor) -> None:
        # the name given wins over whoever actors.toml says held that role on the day
        text = "Ivan Sokolov, porte-parole du Kremlin, a estimé que la porte restait ouverte."
        claim = said(extractor, text, "porte restait ouverte")
        assert (claim.speaker, claim.speaker_country) == ("Ivan Sokolov", "RUS")

    def test_nationality_adjective_in_the_title(self, extractor: ClaimExtractor) -> None:
        text = "La ministre allemande des Affaires étrangères a estimé que la voie restait étroite."
        assert said(extractor, text, "voie restait étroite").speaker_country == "DEU"

    def test_the_country_of_a_role_is_its_owner_not_a_place(
        self, extractor: ClaimExtractor
    ) -> None:
        text = "L'ambassadeur de Pologne à Washington a affirmé que Varsovie resterait ferme."
        claim = said(extractor, text, "Varsovie resterait ferme")
        assert claim.speaker_country == "POL"
        assert claim.speaker_actor is None and "ambassadeur" in (claim.speaker or "")

    def test_institution_in_the_title(self, extractor: ClaimExtractor) -> None:
        text = "Le porte-parole du Kremlin a jugé que ces sanctions ne changeraient rien."
        claim = said(extractor, text, "sanctions ne changeraient rien")
        assert (claim.speaker_actor, claim.speaker_country) == ("Dmitri Peskov", "RUS")


class TestCounterparts:
    @pytest.mark.parametrize(
        ("text", "on", "addressee"),
        [
            # a foreign minister's counterpart is the other foreign minister, on the day
            (
                "Antony Blinken a exhorté son homologue chinois à ne pas armer Moscou.",
                date(2023, 9, 1),
                "Wang Yi",
            ),
            (
                "Antony Blinken a exhorté son homologue chinois à ne pas armer Moscou.",
                date(2023, 5, 1),
                "Qin Gang",
            ),
            (
                "Sergueï Lavrov a exhorté son homologue américain à rouvrir le dialogue.",
                date(2023, 9, 1),
                "Antony Blinken",
            ),
            # a president's, the other president
            (
                "Joe Biden a exhorté son homologue chinois à ne pas armer Moscou.",
                date(2023, 9, 1),
                "Xi Jinping",
            ),
        ],
    )
    def test_counterpart_holds_the_same_office(
        self, extractor: ClaimExtractor, text: str, on: date, addressee: str
    ) -> None:
        [claim] = extractor.extract(text, published=on)
        assert claim.addressee == addressee
