"""Quotes and their attribution: the speaker after the addressee ("a demandé à X le ..."), a
quote inside the subject's phrase (no attribution), "X, pour qui ... « ... », a ..." (X's view).
Sentences written for these tests.
"""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.extractors.claims import ClaimExtractor

pytestmark = pytest.mark.slow

ON = date(2023, 5, 10)


def test_inverted_subject_after_the_addressee(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "« Par pitié, rendez les enfants à leurs familles! », a demandé à Vladimir Poutine le "
        "secrétaire général de l'Otan, Jens Stoltenberg.",
        published=ON,
    )
    assert [(c.rule, c.speaker_country, c.kind, c.direct) for c in found] == [
        ("direct_quote_after", "NATO", "demand", True)
    ]
    assert found[0].content == "Par pitié, rendez les enfants à leurs familles!"


def test_a_quote_in_the_subject_phrase_is_no_attribution(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Joe Biden, pour qui le président russe sera « un paria sur la scène mondiale », a "
        "annoncé des restrictions aux exportations de puces vers la Russie.",
        published=ON,
    )
    assert sorted((c.rule, c.speaker_country, c.content) for c in found) == [
        ("opinion_of", "USA", "le président russe sera « un paria sur la scène mondiale"),
        ("verb_cue", "USA", "des restrictions aux exportations de puces vers la Russie"),
    ]


def test_for_whom_needs_a_known_speaker(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "Ce village, pour lequel la guerre a tout changé, attend les secours depuis mai.",
        published=ON,
    )
    assert found == []


def test_a_quote_left_open_after_a_colon_runs_to_the_sentence_end(
    extractor: ClaimExtractor,
) -> None:
    # French typography closes a quote of several paragraphs only at its very end
    found = extractor.extract(
        "Vladimir Poutine a renchéri : « Pour une paix durable, il faut écouter la Russie.\n"
        "Nous avons proposé un calendrier précis. »",
        published=ON,
    )
    first = found[0]
    assert (first.rule, first.speaker_country, first.direct, first.kind) == (
        "direct_quote_colon",
        "RUS",
        True,
        "demand",  # "il faut": what must be done
    )
    assert first.content == "Pour une paix durable, il faut écouter la Russie."


def test_a_first_name_the_tagger_could_not_place(extractor: ClaimExtractor) -> None:
    found = extractor.extract(
        "« Nous avons tout donné, des chars et des avions. Trois semaines », a tonné Donald Trump.",
        published=ON,
    )
    assert [(c.rule, c.speaker_country, c.direct) for c in found] == [
        ("direct_quote_after", "USA", True)
    ]


def test_curly_apostrophe_reflexive_cue(extractor: ClaimExtractor) -> None:
    found = extractor.extract("Le Kremlin s’est dit prêt à discuter du plan.", published=ON)
    assert [(c.speaker_country, c.cue, c.kind) for c in found] == [
        ("RUS", "se dire prêt", "proposal")
    ]
