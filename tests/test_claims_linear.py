"""Claim extraction does work in proportion to the text (issue 13: a long page of quoted
paragraphs took minutes, the document's text being rebuilt for every direct quote).

No timing: the profiler counts the function calls (Python and spaCy's profiled Cython) of parsing
and extracting a generated text of N quoted paragraphs, then of 4N; a step that scales with the
document for every claim or sentence would multiply them by 16, not 4.
"""

from __future__ import annotations

import cProfile
import pstats

import pytest

from diplowatch.extractors.claims import ClaimExtractor

pytestmark = pytest.mark.slow

# one paragraph: a direct quote with its cue after it, the construction of the slow page
PARAGRAPH = (
    "« Les pourparlers sur les céréales de la mer Noire doivent reprendre sans délai, et nous "
    "attendons une réponse écrite de nos partenaires », a déclaré Sergueï Lavrov.\n"
)


def calls_for(extractor: ClaimExtractor, paragraphs: int) -> tuple[int, int]:
    """(function calls made, claims found) for a text of that many quoted paragraphs."""
    text = PARAGRAPH * paragraphs
    profile = cProfile.Profile()
    profile.enable()
    found = extractor.extract(text)
    profile.disable()
    stats = pstats.Stats(profile)
    return int(stats.total_calls), len(found)  # type: ignore[attr-defined]  # set by Stats, not in its stubs


def test_work_grows_with_the_text_not_its_square(extractor: ClaimExtractor) -> None:
    small_calls, small_claims = calls_for(extractor, 15)
    big_calls, big_claims = calls_for(extractor, 60)
    assert (small_claims, big_claims) == (15, 60)
    # fixed costs (the model's layers) make the ratio a little under 4; quadratic steps over 6
    assert big_calls < 4.4 * small_calls, (small_calls, big_calls)


def test_every_quoted_paragraph_keeps_its_own_offsets(extractor: ClaimExtractor) -> None:
    found = extractor.extract(PARAGRAPH * 30)
    assert [c.start for c in found] == [k * len(PARAGRAPH) for k in range(30)]
    assert {c.content for c in found} == {PARAGRAPH.split("»")[0].strip("« ")}
