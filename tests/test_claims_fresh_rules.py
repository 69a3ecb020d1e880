"""Rules added after the fresh dev set (tests/devset/claims_fresh), each on short sentences of
our own: participle clauses and bare coordinated participles sharing a subject, incises that
report the clause's own cue, "Pour X, ..." opinions, counterparts and spokesmen pointed back to,
place names the tagger reads as pronouns, institutions as incise speakers, negated cues, people
outside actors.toml remembered by surname or placed by the article's main country.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

pytestmark = pytest.mark.slow

FEB_2022 = date(2022, 2, 10)
MAY_2025 = date(2025, 5, 20)


def claims(extractor: ClaimExtractor, text: str, on: date | None = FEB_2022) -> list[Claim]:
    return extractor.extract(text, published=on)


def having(found: list[Claim], words: str) -> Claim:
    hits = [c for c in found if words in c.content]
    assert hits, [c.content for c in found]
    return hits[0]


class TestSharedSubjects:
    def test_present_participle_after_the_object(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Sergueï Lavrov a qualifié l'entretien de « franc », tout en exigeant le départ "
            "des troupes de l'Otan de Roumanie.",
        )
        c = having(found, "départ des troupes")
        assert (c.speaker_actor, c.kind) == ("Sergueï Lavrov", "demand")

    def test_bare_coordinated_participle(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Antony Blinken a salué la fermeté des Européens et appelé Moscou à retirer ses "
            "blindés de la frontière.",
        )
        first = having(found, "fermeté des Européens")
        second = having(found, "retirer ses blindés")
        assert "retirer" not in first.content
        assert (second.speaker_actor, second.kind) == ("Antony Blinken", "demand")

    def test_bare_participle_after_mais(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Volodymyr Zelensky a jugé la réunion « utile », mais prévenu que Kiev ne céderait "
            "aucune région.",
        )
        c = having(found, "ne céderait aucune région")
        assert (c.speaker_actor, c.kind) == ("Volodymyr Zelensky", "warning")
        assert "céderait" not in having(found, "utile").content

    def test_participle_after_an_incise_is_the_incise_speaker(
        self, extractor: ClaimExtractor
    ) -> None:
        found = claims(
            extractor,
            "Les sanctions resteront en place, a affirmé Antony Blinken, ajoutant que Washington "
            "restait ouvert au dialogue.",
        )
        c = having(found, "restait ouvert au dialogue")
        assert c.speaker_actor == "Antony Blinken"
        assert "ouvert" not in having(found, "resteront en place").content


class TestIncises:
    def test_incise_reports_the_clause_cue(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Kiev a réclamé des systèmes antiaériens supplémentaires, a indiqué la présidence "
            "ukrainienne.",
        )
        assert len(found) == 1
        c = found[0]
        assert (c.speaker_country, c.kind) == ("UKR", "demand")
        assert "systèmes antiaériens" in c.content
        assert c.source is not None and "présidence" in c.source

    def test_incise_by_an_institution(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Washington maintiendra ses livraisons de munitions, a précisé le département d'Etat "
            "dans un communiqué.",
        )
        c = having(found, "livraisons de munitions")
        assert c.speaker_country == "USA"

    def test_incise_runs_past_an_apposed_name(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Les deux camps échangeront leurs blessés, a annoncé le ministre ukrainien, "
            "Petro Ivanenko, qui conduisait les discussions.",
            MAY_2025,
        )
        c = having(found, "échangeront leurs blessés")
        assert "conduisait" not in c.content
        assert (c.speaker, c.speaker_country) == ("Petro Ivanenko", "UKR")


class TestOpinionOf:
    def test_pour_x_is_x_view(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor, "Pour Washington, ce sont les manœuvres russes qui attisent la crise."
        )
        c = having(found, "manœuvres russes")
        assert (c.speaker_country, c.kind) == ("USA", "statement")

    def test_pour_x_with_a_relative_clause(self, extractor: ClaimExtractor) -> None:
        found = claims(
            extractor,
            "Pour Kiev, qui attend toujours les avions promis, la lenteur des alliés coûte des "
            "vies.",
        )
        c = having(found, "la lenteur des alliés")
        assert c.speaker_country == "UKR"

    def test_pour_without_an_actor_is_nothing(self, extractor: ClaimExtractor) -> None:
        assert not claims(extractor, "Pour la deuxième fois, les convois ont été retardés.")


class TestPointingBack:
    def test_son_homologue_russe_speaks(self, extractor: ClaimExtractor) -> None:
        text = (
            "Antony Blinken a rencontré Sergueï Lavrov à Vienne. "
            "Son homologue russe a répondu que Moscou n'avait « aucune intention » d'attaquer."
        )
        c = having(claims(extractor, text), "aucune intention")
        assert c.speaker_actor == "Sergueï Lavrov"

    def test_le_porte_parole_is_the_last_spokesman(self, extractor: ClaimExtractor) -> None:
        text = (
            "Le porte-parole du Pentagone, Mark Hollis, a assuré que les exercices étaient "
            "prévus. Lloyd Austin a estimé que la menace restait réelle. "
            "Le porte-parole a ajouté que deux navires partiraient lundi."
        )
        c = having(claims(extractor, text), "deux navires")
        assert c.speaker == "Mark Hollis"

    def test_surname_keeps_the_country(self, extractor: ClaimExtractor) -> None:
        text = (
            "Kiev a critiqué le Premier ministre slovaque, Jan Novak, pour sa visite à Moscou. "
            "M. Novak a menacé de bloquer l'aide européenne."
        )
        c = having(claims(extractor, text), "bloquer l'aide")
        assert (c.speaker_country, c.kind) == ("SVK", "warning")

    def test_minister_without_nationality_takes_the_main_country(
        self, extractor: ClaimExtractor
    ) -> None:
        text = (
            "Kiev (AFP) - L'Ukraine a subi de nouvelles frappes sur ses centrales. "
            "Volodymyr Zelensky a réclamé davantage de défense aérienne à l'Ukraine. "
            "Le ministre de l'Energie, Ivan Petrenko, a averti que les coupures dureraient."
        )
        c = having(claims(extractor, text), "coupures dureraient")
        assert (c.speaker, c.speaker_country) == ("Ivan Petrenko", "UKR")


class TestNotClaims:
    def test_negated_cue_without_object(self, extractor: ClaimExtractor) -> None:
        assert not claims(extractor, "Le Kremlin n'a pas commenté dans l'immédiat.")

    def test_things_do_not_speak_in_relative_clauses(self, extractor: ClaimExtractor) -> None:
        found = claims(extractor, "Ce sont les pluies qui menacent les récoltes de la région.")
        assert not found
