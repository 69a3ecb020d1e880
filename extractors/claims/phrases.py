"""Phrases and names of the parse: the speaker's noun phrase, a person's whole name, the name set
beside a role and the role set beside a name.

Pure functions of spaCy tokens (no actors, no lexicon); `speakers` resolves what they
delimit into actors and countries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

TRIM_DEPS = frozenset({"acl", "acl:relcl", "punct", "cc", "parataxis", "dep", "appos", "conj"})
CORE_DEPS = frozenset(
    {"det", "amod", "flat:name", "flat", "compound", "nmod", "case", "fixed", "nummod"}
)


@dataclass(frozen=True, slots=True)
class Who:
    """A speaker or addressee as the claim reports it."""

    name: str  # the resolved name, or the phrase when nothing resolved
    actor: str | None  # canonical name from actors.toml
    country: str | None
    person: bool
    gender: str | None  # "Masc" / "Fem" when the text tells
    plural: bool = False
    role: str | None = None  # the role noun a name was given with ("porte-parole")


def clean_phrase(text: str) -> str:
    """Collapse spaces and drop the punctuation and quote marks a span drags along."""
    text = re.sub(r"\s+", " ", text).strip(' ,;:.«»"“”()-')
    return text.strip()


def phrase_tokens(head: Token, *, keep_appos: bool) -> list[Token]:
    """The noun phrase of `head`: its subtree less relative clauses, coordination and punctuation.

    Why not the bare subtree: "Poutine, qui a répondu ..." must not make the relative clause part
    of the speaker's name. Appositions ("X, porte-parole du Kremlin") help resolve a country, so
    they are kept for resolution and dropped from the displayed name.
    """
    deps = TRIM_DEPS - ({"appos"} if keep_appos else set())
    out: list[Token] = [head]
    stack = [c for c in head.children]
    while stack:
        tok = stack.pop()
        if tok.dep_ in deps and tok.head.i == head.i:
            continue
        if tok.dep_ in {"acl", "acl:relcl", "parataxis"}:
            continue
        out.append(tok)
        stack.extend(tok.children)
    out.sort(key=lambda t: t.i)
    # keep the contiguous run around the head: a parse error must not glue far tokens on
    lo = hi = next(k for k, t in enumerate(out) if t.i == head.i)
    while lo > 0 and _adjacent(out[lo - 1], out[lo]):
        lo -= 1
    while hi < len(out) - 1 and _adjacent(out[hi], out[hi + 1]):
        hi += 1
    run = out[lo : hi + 1]
    while run and (run[0].is_punct or (run[0].dep_ == "case" and run[0].i != head.i)):
        run = run[1:]
    while run and run[-1].is_punct:
        run = run[:-1]
    return run or [head]


def _adjacent(a: Token, b: Token) -> bool:
    """Next to each other, or only punctuation between ("le ministre polonais, Donald Tusk")."""
    if b.i == a.i + 1:
        return True
    doc = a.doc
    return all(doc[k].is_punct for k in range(a.i + 1, b.i))


def name_run(tok: Token) -> list[Token]:
    """The run of proper-noun tokens around `tok`: "Vladimir Poutine" even when the parser hung
    "Poutine" on the verb as a second subject."""
    doc = tok.doc
    lo = hi = tok.i
    while lo > 0 and _name_piece(doc[lo - 1], doc[lo], before=True):
        lo -= 1
    while hi + 1 < len(doc) and _name_piece(doc[hi + 1], doc[hi], before=False):
        hi += 1
    while lo < hi and doc[lo].text == "-":
        lo += 1
    while hi > lo and doc[hi].text == "-":
        hi -= 1
    return list(doc[lo : hi + 1])


def _name_piece(tok: Token, nxt: Token, *, before: bool) -> bool:
    """Is `tok`, beside `nxt`, a piece of the same name: a capitalised proper noun, or the
    hyphen of a compound first name ("Frank-Walter", tokenised "Frank", "-", "Walter")?"""
    if tok.pos_ == "PROPN" and tok.text[:1].isupper():
        return True
    if not before and tok.text[:1].isupper() and tok.text.isalpha() and nxt.pos_ == "PROPN":
        # a surname the tagger missed right after a first name ("Emmanuel Macron" read as
        # PROPN ADV): capitalised inside a sentence, it goes on the name
        return not tok.is_sent_start and tok.pos_ in {"NOUN", "ADV", "ADJ", "VERB", "X"}
    glued = not (tok.whitespace_ if before else nxt.whitespace_)
    return tok.text == "-" and glued


def full_name(tok: Token) -> list[Token]:
    """A name with its lower-case particles: "Ursula von der Leyen", "Jean-Yves Le Drian"."""
    doc = tok.doc
    run = name_run(tok)
    ids = {t.i for t in run}
    for t in tok.subtree:
        if t.dep_ in {"flat:name", "flat"} or (t.i in ids):
            ids.add(t.i)
    lo, hi = min(ids), max(ids)
    return [t for t in doc[lo : hi + 1]]


def apposed_name(head: Token) -> Token | None:
    """The person's name set beside a role noun: "le ministre turc, Hakan Fidan, a dit".

    The parser labels that name `appos`, `conj`, or makes it a second subject of the verb; in
    every case it is a proper noun right after a comma that follows the role phrase.
    """
    if head.pos_ == "PROPN":
        return None
    doc = head.doc
    right = max(t.i for t in head.subtree)
    options = [c for c in head.children if c.dep_ in {"appos", "conj", "dep", "nmod", "flat:name"}]
    if head.head.i != head.i:
        options += [
            c
            for c in head.head.children
            if c.i > head.i and c.dep_ in {"nsubj", "nsubj:pass", "appos", "dep", "obl:mod"}
        ]
    for cand in sorted(options, key=lambda t: t.i):
        if cand.pos_ != "PROPN" or cand.i <= head.i or not cand.text[:1].isupper():
            continue
        own = {t.i for t in cand.subtree}
        right = max([t.i for t in head.subtree if t.i not in own and t.i < cand.i] or [head.i])
        if doc[cand.i - 1].text != "," and not _name_right_after(cand, head, right):
            continue
        between = doc[head.i + 1 : cand.i]
        coordinated = _coordinated_roles(between)
        if all(t.is_punct or t.i <= right or t.i in coordinated for t in between):
            return cand
    return None


def _name_right_after(cand: Token, head: Token, right: int) -> bool:
    """ "le Premier ministre Michel Barnier", "le président finlandais Alexander Stubb": no comma,
    the name right after the role phrase, hung on the role or made a second subject of its verb
    ("la Maison Blanche" is one name, not a role and a name: the role is lower case)."""
    if cand.i != right + 1 or not head.text[:1].islower():
        return False
    if cand.dep_ in {"appos", "nmod", "dep", "flat:name"}:
        return cand.head.i == head.i
    subjects = {"nsubj", "nsubj:pass"}
    return cand.dep_ in subjects and head.dep_ in subjects and cand.head.i == head.head.i


def _coordinated_roles(tokens: Span) -> set[int]:
    """ "le chef de la délégation et représentant du Kremlin, X": a second role joined by "et"
    before the name; the ids of "et" and of that role's phrase (a noun with no verb in it)."""
    out: set[int] = set()
    for i, t in enumerate(tokens):
        if t.dep_ != "cc" or t.lower_ not in {"et", "mais"} or i + 1 >= len(tokens):
            continue
        role = tokens[i + 1]
        phrase = list(role.subtree) if role.pos_ == "NOUN" else []
        if phrase and not any(p.pos_ in {"VERB", "AUX"} for p in phrase):
            out.add(t.i)
            out.update(p.i for p in phrase)
    return out


def role_after(last: Token, person_nouns: frozenset[str]) -> Token | None:
    """The role noun set after a name and a comma ("X, la ministre allemande de ..."), or None."""
    doc = last.doc
    k = last.i + 1
    if k >= len(doc) or doc[k].text != ",":
        return None
    for tok in doc[k + 1 : k + 4]:
        if tok.lower_ in person_nouns:  # whatever its tag ("porte-parole" is read as PRON)
            return tok
        if tok.pos_ not in {"DET", "ADJ"}:  # "la", "l'", "nouvelle", "ex-"
            return None
    return None


def is_name(tok: Token) -> bool:
    """A person's name as the head of a phrase: a proper noun, or a capitalised word the tagger
    took for a common noun but that carries the rest of a name ("Maia Sandu")."""
    if tok.pos_ == "PROPN":
        return True
    return (
        tok.pos_ == "NOUN"
        and tok.text[:1].isupper()
        and any(c.dep_ == "flat:name" for c in tok.children)
    )


def role_before(first: Token, person_nouns: frozenset[str]) -> tuple[Token | None, list[Token]]:
    """The role noun right before a name, with only adjectives between ("la présidente moldave
    Maia Sandu"), and the tokens from that role to the name; (None, []) when there is none."""
    doc = first.doc
    k = first.i - 1
    while k >= 0 and first.i - k <= 3:
        tok = doc[k]
        if tok.lower_ in person_nouns:
            return tok, list(doc[k : first.i])
        if tok.pos_ != "ADJ":
            break
        k -= 1
    return None, []


def text_of(tokens: list[Token]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    return clean_phrase(doc[tokens[0].i : tokens[-1].i + 1].text)


def gender_of(head: Token) -> str | None:
    """Gender from the determiner first ("la ministre"), then from the head's own morphology."""
    for child in head.children:
        if child.dep_ == "det":
            g = child.morph.get("Gender", [])
            if g:
                return str(g[0])
    g = head.morph.get("Gender", [])
    return str(g[0]) if g else None
