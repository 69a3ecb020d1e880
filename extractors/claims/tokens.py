"""Token-level helpers the rules share: noun phrases, prepositions, content trimming, the
word classes of French clause syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Token

from diplowatch.extractors.claims.lexicon import fold

SUBJECT_DEPS = frozenset({"nsubj", "expl:subj"})


CLAUSE_MARKS = frozenset({"que", "qu'", "qu’", "de", "d'", "d’", "à", "pour", "si", "s'", "s’"})


INVERTED = frozenset({"-t", "-il", "-elle", "-ils", "-elles", "-on"})


SKIP_BETWEEN = frozenset({"AUX", "ADV", "PUNCT", "SPACE", "CCONJ"})


def member_of(ids: set[int]) -> Callable[[Token], bool]:
    """A pruning test for `subtree_tokens`: the token is one of `ids`."""
    return lambda t: t.i in ids


def subtree_tokens(tok: Token, stop: Callable[[Token], bool]) -> list[Token]:
    """`tok`'s subtree, pruning every branch whose head `stop` rejects."""
    out: list[Token] = []
    stack = [tok]
    while stack:
        cur = stack.pop()
        if cur is not tok and stop(cur):
            continue
        out.append(cur)
        stack.extend(cur.children)
    return out


def phrase_of(tok: Token, *, bare: bool = False) -> list[Token]:
    """A noun phrase: its subtree less relative clauses and outer punctuation.

    `bare` also drops the leading preposition: "dans un communiqué" -> "un communiqué".
    """
    toks = subtree_tokens(tok, lambda t: t.dep_ in {"acl:relcl", "parataxis"})
    toks.sort(key=lambda t: t.i)
    while toks and toks[-1].is_punct:
        toks.pop()
    if bare:
        while (
            toks and toks[0].i < tok.i and (toks[0].dep_ in {"case", "fixed"} or toks[0].is_punct)
        ):
            toks.pop(0)
    return toks


def case_of(tok: Token) -> str:
    for child in tok.children:
        if child.dep_ == "case":
            return fold(child.text)
    return ""


def text_of(tokens: list[Token]) -> str:
    """The tokens' text with their own spacing; a gap left by a removed phrase becomes a space."""
    if not tokens:
        return ""
    toks = sorted(tokens, key=lambda t: t.i)
    parts: list[str] = []
    for k, t in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        ws = t.whitespace_ if nxt is not None and nxt.i == t.i + 1 else " "
        parts.append(t.text + ws)
    text = "".join(parts)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)  # French keeps its space before » and ”
    text = re.sub(r",\s*,", ",", text)
    return text.strip(" ,;:.-–—")


def trim_content(tokens: list[Token]) -> list[Token]:
    """Drop the clause marks and punctuation at the edges: "qu'il ..." -> "il ..."."""
    toks = sorted(tokens, key=lambda t: t.i)
    while toks and (toks[0].is_punct or toks[0].is_space or fold(toks[0].text) in CLAUSE_MARKS):
        if toks[0].text in '«“"' and len(toks) > 1:
            break
        if toks[0].dep_ == "det":  # "d'autres sanctions": a determiner, not a clause mark
            break
        toks = toks[1:]
    while toks and (toks[-1].is_space or (toks[-1].is_punct and toks[-1].text not in '»”")')):
        toks = toks[:-1]
    return toks


QUOTE_OPENERS = frozenset({"«", "“", '"'})


RELATIVES = frozenset({"qui", "dont", "ou", "lequel", "laquelle", "lesquels", "lesquelles"})


CLAUSE_BRANCHES = frozenset({"acl", "acl:relcl", "parataxis", "conj", "appos", "punct"})


def core_branch(t: Token, head: Token) -> bool:
    """Is `t` in the noun phrase of `head` proper, not in a clause, apposition or coordinate?"""
    while t.i != head.i:
        if t.dep_ in CLAUSE_BRANCHES or t.head.i == t.i:
            return False
        t = t.head
    return True
