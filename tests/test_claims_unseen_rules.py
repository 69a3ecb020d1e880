"""Rules added for the failures of tests/devset/claims_unseen, on short sentences of our own."""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

pytestmark = pytest.mark.slow

JUN_2025 = date(2025, 6, 2)


def claims(extractor: ClaimExtractor, text: str) -> list[Claim]:
    found = extractor.extract(text, published=JUN_2025)
    assert found, text
    return found


def test_par_la_voix_de_names_the_speaker(extractor: ClaimExtractor) -> None:
    text = "Le ministère russe, par la voix de Maria Zakharova, a dénoncé « une provocation »."
    claim = claims(extractor, text)[-1]
    assert claim.speaker_actor == "Maria Zakharova" and claim.kind == "accusation"


def test_monsieur_surname_is_the_actor_named_before(extractor: ClaimExtractor) -> None:
    text = (
        "Le vice-président JD Vance est arrivé à Paris lundi.\n"
        "« Nous voulons la paix », a déclaré M. Vance devant la presse."
    )
    claim = claims(extractor, text)[-1]
    assert claim.speaker_country == "USA" and "Vance" in (claim.speaker_actor or "")


def test_a_statement_that_refuses_is_a_denial(extractor: ClaimExtractor) -> None:
    text = "« Nous ne pouvons pas accepter ce plan », a affirmé le ministre Andriï Sybiha."
    assert claims(extractor, text)[-1].kind == "denial"


def test_an_invitation_to_visit_is_a_proposal(extractor: ClaimExtractor) -> None:
    text = "Le président turc Recep Tayyip Erdogan a invité Volodymyr Zelensky à venir à Ankara."
    assert claims(extractor, text)[-1].kind == "proposal"


def test_insister_pour_que_is_a_demand(extractor: ClaimExtractor) -> None:
    text = "Le chancelier Friedrich Merz a insisté pour que l'Ukraine participe aux discussions."
    claim = claims(extractor, text)[-1]
    assert claim.kind == "demand" and "participe aux discussions" in claim.content


def test_qualifier_de_spectacle_is_an_accusation(extractor: ClaimExtractor) -> None:
    text = "Le porte-parole Dmitri Peskov a qualifié de « spectacle » le sommet européen."
    assert claims(extractor, text)[-1].kind == "accusation"


def test_object_hung_on_the_source_noun_is_the_content(extractor: ClaimExtractor) -> None:
    text = (
        "Le président Emmanuel Macron a dénoncé dans un communiqué « une agression injustifiée »."
    )
    claim = claims(extractor, text)[-1]
    assert claim.kind == "accusation" and "agression injustifiée" in claim.content


def test_participle_read_as_adjective_is_still_a_cue(extractor: ClaimExtractor) -> None:
    text = (
        "Le président Donald Trump a reçu les journalistes.\n"
        "« Ce sera une réunion pour écouter », a-t-il cependant tempéré devant la presse."
    )
    claim = claims(extractor, text)[-1]
    assert claim.direct and "une réunion pour écouter" in claim.content
    assert claim.speaker_country == "USA"
