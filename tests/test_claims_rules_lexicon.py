"""Cues of the lexicon (config/lexicon.toml) and kinds set by the object, not the verb:
"a préconisé", "a décrit X comme Y", "voit dans X un Y", "« ... », a avancé X";
"a promis des représailles" is a warning, "a rejeté l'offre" a denial. Sentences of our own.
"""

from __future__ import annotations

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from tests.claim_cases import ON, one

pytestmark = pytest.mark.slow


class TestCues:
    def test_recommend(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Le ministre turc a en outre préconisé un cessez-le-feu dans les ports et une "
            "reprise des convois.",
        )
        assert (c.speaker_country, c.cue, c.kind) == ("TUR", "préconiser", "proposal")

    def test_describe_as(self, extractor: ClaimExtractor) -> None:
        c = one(
            extractor,
            "Le ministre ukrainien a décrit la rencontre comme la plus utile depuis le début "
            "des pourparlers.",
        )
        assert (c.speaker_country, c.cue) == ("UKR", "décrire comme")
        assert "la plus utile" in c.content

    def test_see_in(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Si Moscou voit dans ce texte des avancées « notables », Kiev attend.")
        assert (c.speaker_country, c.cue, c.source) == ("RUS", "voir dans", None)
        assert "des avancées" in c.content

    def test_put_forward_beside_a_quote(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "« Avec un calendrier clair », a avancé le président ukrainien.")
        assert (c.speaker_country, c.cue, c.direct) == ("UKR", "avancer", True)

    def test_put_forward_without_a_quote_is_no_cue(self, extractor: ClaimExtractor) -> None:
        found = extractor.extract("Les troupes russes ont avancé vers Koupiansk.", published=ON)
        assert found == []


class TestKindFromTheObject:
    @pytest.mark.parametrize(
        "text",
        [
            "Le Kremlin a promis des représailles sévères après la frappe sur le pont.",
            "Kiev a promis une riposte ferme si la centrale est visée.",
        ],
    )
    def test_promising_retaliation_is_a_warning(self, extractor: ClaimExtractor, text: str) -> None:
        assert one(extractor, text).kind == "warning"

    def test_promising_reforms_stays_an_agreement(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Le président ukrainien a promis de poursuivre les réformes.")
        assert c.kind == "agreement"

    def test_rejecting_an_offer_is_a_denial(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Moscou a rejeté catégoriquement l'offre de trêve de trente jours.")
        assert (c.speaker_country, c.kind) == ("RUS", "denial")

    def test_turning_down_an_offer_is_a_denial(self, extractor: ClaimExtractor) -> None:
        c = one(extractor, "Le Kremlin a opposé une fin de non-recevoir à la proposition turque.")
        assert c.kind == "denial"
