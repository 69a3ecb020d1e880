"""Reported speech in titles and leads: "Zelensky : « ... »" (no verb), "X appelle à ..."
(present tense). Sentences written for these tests.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor

pytestmark = pytest.mark.slow

ON = date(2023, 5, 10)


def test_name_colon_quote_title(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Zelensky : « Nous ne céderons aucun territoire »\n"
        "Le président ukrainien a parlé devant le Parlement.",
        published=ON,
    )
    assert [(c.rule, c.speaker_country, c.cue, c.direct, c.content) for c in found] == [
        ("direct_quote_colon", "UKR", ":", True, "Nous ne céderons aucun territoire")
    ]


def test_institution_colon_quote_title(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Le Kremlin : « Les livraisons d'armes prolongent la guerre »", published=ON
    )
    assert [(c.speaker_country, c.kind) for c in found] == [("RUS", "statement")]


def test_a_topic_before_the_colon_is_no_speaker(extractor: ClaimExtractor) -> None:
    found = extractor.extract("Guerre en Ukraine : « une trêve est possible »", published=ON)
    assert found == []


def test_present_tense_title(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "L'Union européenne appelle à une désescalade rapide en mer Noire\n"
        "Les Vingt-Sept se sont réunis lundi.",
        published=ON,
    )
    assert [(c.speaker_country, c.kind, c.content) for c in found] == [
        ("EU", "demand", "à une désescalade rapide en mer Noire")
    ]
