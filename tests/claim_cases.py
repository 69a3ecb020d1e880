"""What the claims rule tests share: one sentence of our own in, its one claim out."""

from __future__ import annotations

from datetime import date

from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.records import Claim

ON = date(2023, 5, 10)


def one(extractor: ClaimExtractor, text: str) -> Claim:
    found = extractor.extract(text, published=ON)
    assert len(found) == 1, [c.to_dict() for c in found]
    return found[0]
