"""Wire copies: articles that are copies of one dispatch share a copy group.

One AFP dispatch reprinted by six outlets is one story, not six: its claims count once. Copies are
found on the cleaned text, in three steps:

1. `shingles`: the set of word 5-shingles of the normalised text (lower case, accents kept,
   punctuation and typographic quotes dropped), each hashed to 32 bits (crc32: stable across
   processes, and C-fast);
2. MinHash signatures in a MinHash LSH index (datasketch) give the candidate pairs cheaply;
3. `resemblance` decides each candidate exactly: the Jaccard index of the two shingle sets, and
   their containment (the share of the shorter text's shingles found in the longer one), which
   catches a truncated copy inside a longer one and an updated version with a paragraph added.

`copy_groups` turns the decided pairs into groups (connected components) whose key is the URL of
the group's earliest copy. Pure: text in, pairs and groups out; storage.derived reads and writes.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

__all__ = [
    "CopyDoc",
    "CopyParams",
    "copy_groups",
    "copy_pairs",
    "is_copy",
    "resemblance",
    "shingles",
]

SHINGLE_WORDS = 5

# words: letters and digits (accents kept); apostrophes split ("l'Ukraine" -> "l", "ukraine")
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class CopyParams:
    """The thresholds (settings `[copies]`); see config/settings.toml for how they were set."""

    num_perm: int = 64
    lsh_threshold: float = 0.2
    min_containment: float = 0.5
    min_shingles: int = 40
    window_days: int = 3


@dataclass(frozen=True, slots=True)
class CopyDoc:
    """An article as copy detection sees it: its key, its date and its cleaned text."""

    url: str
    day: date | None
    text: str


def words(text: str) -> list[str]:
    """The normalised words of a text: NFKC, lower case, punctuation dropped."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """The 32-bit hashes of the text's word `size`-shingles (one shingle for a shorter text)."""
    tokens = words(text)
    if not tokens:
        return frozenset()
    if len(tokens) < size:
        return frozenset({zlib.crc32(" ".join(tokens).encode())})
    return frozenset(
        zlib.crc32(" ".join(tokens[i : i + size]).encode()) for i in range(len(tokens) - size + 1)
    )


def resemblance(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def is_copy(a: frozenset[int], b: frozenset[int], params: CopyParams) -> bool:
    """Copies of one dispatch: both long enough, and most of the shorter one inside the other.

    Containment is never below the Jaccard index, so it alone decides: a reprint with a new
    intro, a cut copy and an updated version all keep most of their shingles in the original.
    """
    if min(len(a), len(b)) < params.min_shingles:
        return False
    return resemblance(a, b)[1] >= params.min_containment


def _identity(value: int) -> int:
    return value


class _Signer:
    """MinHash signatures sharing one set of permutations (drawn once, not per article)."""

    def __init__(self, num_perm: int) -> None:
        self._template = MinHash(num_perm=num_perm, hashfunc=_identity)

    def sign(self, shingle_set: frozenset[int]) -> MinHash:
        sig = MinHash(
            num_perm=self._template.hashvalues.size,
            hashfunc=_identity,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )
        if shingle_set:
            sig.update_batch(np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set)))
        return sig


def _close(a: date | None, b: date | None, days: int) -> bool:
    return a is None or b is None or abs((a - b).days) <= days


def copy_pairs(
    docs: Sequence[CopyDoc],
    params: CopyParams,
    probe: Iterable[str] | None = None,
    shingled: Mapping[str, frozenset[int]] | None = None,
) -> list[tuple[str, str]]:
    """The pairs (url, url) of `docs` that are copies, sorted; each pair once, smaller url first.

    Only pairs with a `probe` url (all when None) are looked for, and only between articles at
    most `params.window_days` apart. `shingled` may hand in shingle sets already computed.
    """
    sets = {doc.url: (shingled or {}).get(doc.url) or shingles(doc.text) for doc in docs}
    days = {doc.url: doc.day for doc in docs}
    usable = [doc.url for doc in docs if len(sets[doc.url]) >= params.min_shingles]
    if len(usable) < 2:
        return []
    signer = _Signer(params.num_perm)
    lsh = MinHashLSH(threshold=params.lsh_threshold, num_perm=params.num_perm)
    signatures = {}
    for url in usable:
        signatures[url] = signer.sign(sets[url])
        lsh.insert(url, signatures[url], check_duplication=False)
    wanted = set(usable) if probe is None else set(probe) & set(usable)
    pairs: set[tuple[str, str]] = set()
    for url in sorted(wanted):
        for other in lsh.query(signatures[url]):
            if other == url or not _close(days[url], days[other], params.window_days):
                continue
            pair = (url, other) if url < other else (other, url)
            if pair not in pairs and is_copy(sets[url], sets[other], params):
                pairs.add(pair)
    return sorted(pairs)


def copy_groups(
    members: Iterable[str],
    pairs: Iterable[tuple[str, str]],
    earliest: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """url -> the key of its group: the url of its earliest copy (connected components).

    `earliest` gives each url a sort key (e.g. (published, fetched, url)); the url itself by
    default. Every member appears, a lone article as its own group.
    """
    parent: dict[str, str] = {url: url for url in members}

    def root(url: str) -> str:
        while parent[url] != url:
            parent[url] = parent[parent[url]]
            url = parent[url]
        return url

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[str, list[str]] = {}
    for url in parent:
        components.setdefault(root(url), []).append(url)
    key = earliest or {}
    groups: dict[str, str] = {}
    for urls in components.values():
        first = min(urls, key=lambda u: (key.get(u, u), u))
        groups.update(dict.fromkeys(urls, first))
    return groups
