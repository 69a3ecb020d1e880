"""Repairs of known parser mistakes on French news, each named for the mistake it works around:
a subject lost before an auxiliary, an inverted subject parsed as the addressee's apposition,
complement clauses hung on a noun, participles the tagger read as nouns or auxiliaries.
"""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.lexicon import fold, verb_lemma
from diplowatch.extractors.claims.tokens import QUOTE_OPENERS, case_of, subtree_tokens

AUXILIARIES = frozenset(
    {"a", "ont", "avait", "avaient", "aura", "auront", "aurait", "est", "sont", "s'est", "était"}
)


ADVERBIAL_GAP = 6  # tokens an adverbial phrase may hold between auxiliary and participle


def subject_before_auxiliary(verb: Token) -> Token | None:
    """The subject of "X a en revanche rejeté", "X a pour sa part suggéré" when the parser, lost
    in the adverbial phrase, hung the participle elsewhere: the noun phrase ending right before
    the auxiliary that opens the gap."""
    doc = verb.doc
    if verb.morph.get("VerbForm", []) != ["Part"]:
        return None
    k = verb.i - 1
    lo = max(verb.sent.start, verb.i - ADVERBIAL_GAP - 1)
    while k >= lo and not (doc[k].lower_ in AUXILIARIES and doc[k].pos_ in {"AUX", "VERB"}):
        if doc[k].pos_ in {"VERB", "PUNCT"} and doc[k].text not in {",", "-"}:
            return None
        k -= 1
    if k < lo or k == verb.i - 1:
        return None
    j = k - 1
    while j >= verb.sent.start and doc[j].is_punct and doc[j].text == ",":
        j -= 1
    if j < verb.sent.start or doc[j].pos_ not in {"NOUN", "PROPN", "ADJ", "X"}:
        return None
    tok = doc[j]
    while tok.head.i != tok.i and tok.head.i < k and tok.dep_ not in {"nsubj", "nsubj:pass"}:
        tok = tok.head
    if tok.pos_ not in {"NOUN", "PROPN", "X"}:
        return None
    return tok


def subject_apposed_to_addressee(verb: Token) -> Token | None:
    """ "« ... », a demandé à Vladimir Poutine le secrétaire général de l'ONU": the parser makes
    the inverted subject an apposition of the addressee before it. A definite noun phrase right
    after the name (no comma between) is the subject; one after a comma is the addressee's own
    apposition ("à Vladimir Poutine, le président russe, ...")."""
    for child in verb.children:
        if child.i <= verb.i or case_of(child) not in {"a", "au", "aux"}:
            continue
        for appos in child.children:
            if appos.dep_ != "appos" or appos.pos_ != "NOUN":
                continue
            first = min(appos.subtree, key=lambda t: t.i)
            before = appos.doc[first.i - 1]
            definite = first.pos_ == "DET" and "Def" in first.morph.get("Definite", [])
            if definite and before.text != ",":
                return appos
    return None


COMPLEMENT_MARKS = frozenset({"que", "qu'", "de", "d'", "a"})


def misattached_clauses(noun: Token) -> list[Token]:
    """Complement clauses the parser hung on a noun next to the verb instead of on the verb.

    "a fait savoir à X que ...", "a demandé à X de retirer ...", "a indiqué dans un communiqué
    que ...": the clause comes out as a relative clause (`acl`) of X or of "communiqué". A clause
    opened by que/de/à right after the noun phrase is the verb's complement.
    """
    out: list[Token] = []
    for child in noun.children:
        if not child.dep_.startswith("acl") or child.i < noun.i:
            continue
        if any(fold(c.text) in COMPLEMENT_MARKS and c.i < child.i for c in child.children):
            out.extend(subtree_tokens(child, lambda t: False))
    for child in noun.children:
        # "a condamné dans un communiqué « une attaque injustifiée »": a bare noun phrase (no
        # preposition) after the source noun is the verb's object, not the noun's complement
        if child.dep_ not in {"nmod", "appos"} or child.i < noun.i:
            continue
        if any(c.dep_ == "case" for c in child.children):
            continue
        first = min(child.subtree, key=lambda t: t.i)
        if first.pos_ == "DET" or first.text in QUOTE_OPENERS:
            out.extend(subtree_tokens(child, lambda t: False))
    return out


# participle endings -> infinitive endings, longest first: the tagger often reads a participle
# after a comma as a noun ("sommant") or an auxiliary ("affirmant ne pas ..."), lemma and all
PARTICIPLE_ENDINGS = (
    ("aissant", "aitre"),
    ("issant", "ir"),
    ("aisant", "aire"),
    ("isant", "ire"),
    ("ttant", "ttre"),
    ("eant", "er"),
    ("cant", "cer"),
    ("uant", "uer"),
    ("enant", "enir"),
    ("ant", "er"),
    ("ant", "ir"),
    ("ant", "re"),
)


def participle_lemmas(tok: Token) -> list[str]:
    """Infinitives a word in -ant may come from: the lemmatizer's, then the regular ones."""
    word = fold(tok.text)
    out = [verb_lemma(tok)] if tok.pos_ in {"VERB", "AUX"} else []
    for end, repl in PARTICIPLE_ENDINGS:
        if word.endswith(end) and len(word) > len(end) + 1:
            out.append(word[: -len(end)] + repl)
    return out


def voice_of(speaker: Token, verb: Token | None) -> Token | None:
    """ "La diplomatie russe, par la voix de Maria Zakharova, a fustigé ...": the person named
    as the voice of the speaker, who speaks (the parser hangs "voix" on the subject or the verb).
    """
    heads = [speaker] if verb is None else [speaker, verb]
    for head in heads:
        for child in head.children:
            if child.lower_ != "voix" or not any(c.lower_ == "par" for c in child.children):
                continue
            for name in child.children:
                if name.dep_ == "nmod" and any(c.lower_ in {"de", "d'"} for c in name.children):
                    return name
    return None
