"""Clause syntax the rule families share: subjects (inverted or not), addressees, channels,
complements, participles that lean on an earlier subject.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Token

from diplowatch.extractors.claims.context import SentenceContext
from diplowatch.extractors.claims.lexicon import Lexicon, fold, verb_lemma
from diplowatch.extractors.claims.repairs import (
    AUXILIARIES,
    misattached_clauses,
    subject_apposed_to_addressee,
    subject_before_auxiliary,
)
from diplowatch.extractors.claims.tokens import SUBJECT_DEPS, case_of, subtree_tokens


def subject_of(verb: Token, partners: Iterable[int] = ()) -> Token | None:
    """The subject of a cue verb, climbing coordination: "a dénoncé ... et a demandé" shares it.

    Works around two parser habits on French news: the subject of "a fait savoir" hung on either
    verb, sometimes labelled `dep`; and a second coordinated verb hung on the first verb's
    infinitive complement ("a appelé Moscou à retirer ... et a exhorté Kiev") instead of the verb.
    """
    doc = verb.doc
    heads = [verb, *(doc[i] for i in partners if i != verb.i)]
    for head in heads:
        for child in head.children:
            if child.dep_ in SUBJECT_DEPS or (child.dep_ == "nsubj:pass" and child.lower_ != "qui"):
                if child.lower_ == "-t":
                    nxt = doc[child.i + 1] if child.i + 1 < len(doc) else None
                    return nxt if nxt is not None else child
                if child.lower_ == "qui" and head.dep_.startswith("acl"):
                    return head.head
                return child
    for head in heads:
        for child in head.children:
            if child.dep_ == "dep" and child.i < head.i and child.pos_ in {"PROPN", "NOUN"}:
                return child
    for head in heads:
        for aux in head.children:
            # "Donald Trump a pour sa part jugé": the subject hung on the auxiliary
            if aux.dep_ in {"aux:tense", "aux:pass"} or aux.lower_ in AUXILIARIES:
                for child in aux.children:
                    if child.dep_ in SUBJECT_DEPS and child.i < aux.i:
                        return child
    if is_present_participle(verb) and verb.dep_ in {"advcl", "acl", "conj", "xcomp", "parataxis"}:
        # "a averti que ..., précisant que ...": the participle shares the main verb's subject
        head = verb.head
        if head.i != verb.i and head.pos_ in {"VERB", "AUX"}:
            found = subject_of(head)
            if found is not None:
                return found
    cur = verb
    seen = 0
    while cur.dep_ in {"conj", "xcomp"} and cur.head.i != cur.i and seen < 6:
        came_by_conj = cur.dep_ == "conj"
        cur = cur.head
        seen += 1
        for child in cur.children:
            if child.dep_ in SUBJECT_DEPS:
                if child.lower_ == "-t" and child.i + 1 < len(doc):
                    return doc[child.i + 1]
                return child
        if not came_by_conj and cur.pos_ not in {"VERB", "ADJ"}:
            break
    return subject_before_auxiliary(verb)


def is_present_participle(tok: Token) -> bool:
    return tok.morph.get("VerbForm", []) == ["Part"] and tok.morph.get("Tense", []) == ["Pres"]


COORDINATORS = frozenset({"et", "mais", "puis", "ou"})


def bare_participle(tok: Token) -> bool:
    """ "a salué ... et appelé à ...", "a jugé ..., mais prévenu que ...": a past participle
    coordinated with an earlier compound verb, its auxiliary left out (the parser often makes
    it an adjective of the noun before)."""
    if tok.morph.get("VerbForm", []) != ["Part"] or tok.morph.get("Tense", []) != ["Past"]:
        return False
    if any(c.dep_ in {"aux:tense", "aux:pass"} for c in tok.children):
        return False
    k = tok.i - 1
    doc = tok.doc
    while k > tok.sent.start and doc[k].pos_ == "ADV":
        k -= 1
    if k <= tok.sent.start or fold(doc[k].text) not in COORDINATORS:
        return False
    # an earlier auxiliary in the sentence carries the tense for both
    return any(t.pos_ == "AUX" and t.dep_ == "aux:tense" for t in doc[tok.sent.start : k])


def shares_subject(tok: Token) -> bool:
    """A predicate without its own subject that leans on the previous one: a present
    participle ("..., précisant que", "tout en réclamant") or a bare coordinated participle."""
    if bare_participle(tok):
        return True
    if not is_present_participle(tok):
        return False
    return not any(c.dep_ in SUBJECT_DEPS for c in tok.children)


NEGATIONS = frozenset({"pas", "jamais", "guère", "point"})


def negated_without_object(verb: Token) -> bool:
    """ "n'a pas commenté", "n'a jamais répondu": a negated cue with no complement says nothing
    (unlike "n'a pas exclu que ...", which has one)."""
    near = [verb, *(c for c in verb.children if c.dep_ in {"aux:tense", "aux:pass"})]
    if not any(fold(c.text) in NEGATIONS for t in near for c in t.children):
        return False
    return not any(
        c.i > verb.i
        and (
            c.dep_ in {"obj", "ccomp", "xcomp", "csubj"}
            or (c.dep_ == "obl:arg" and case_of(c) in {"de", "d'", "sur", "a"})
        )
        for c in verb.children
    )


def previous_speaker(tok: Token, ctx: SentenceContext) -> Token | None:
    """The speaker of the closest claim whose cue comes before `tok` in the sentence."""
    before = [(i, who) for i, who in ctx.voices if i < tok.i]
    return max(before, key=lambda v: v[0])[1] if before else None


def inverted_pronoun(after: int, verb: Token) -> Token | None:
    """ "« ... », a-t-il dit": the "-il"/"-elle" between the closing quote and the cue verb."""
    for t in verb.doc[verb.sent.start : verb.i]:
        if t.idx >= after and fold(t.text) in {"-il", "-elle", "-ils", "-elles"}:
            return t
    return None


def inverted_subject(verb: Token, partners: Iterable[int] = ()) -> Token | None:
    """The subject after the verb in "« ... », a dit la présidence russe".

    The parser often labels that subject `obj` or `dep`: after a quote, the first noun phrase
    right of the cue verb that is not introduced by a preposition is its subject.
    """
    doc = verb.doc
    heads = [verb, *(doc[i] for i in partners if i != verb.i)]
    best: Token | None = None
    for head in heads:
        for child in head.children:
            # "a tonné Donald Trump": a first name the tagger could not place comes out as X
            name = child.pos_ == "X" and child.text[:1].isupper()
            if child.i <= verb.i or (child.pos_ not in {"NOUN", "PROPN", "PRON"} and not name):
                continue
            if child.dep_ not in {
                "nsubj",
                "obj",
                "dep",
                "nsubj:pass",
                "appos",
                "obl:arg",
            } or case_of(child):
                continue
            if best is None or child.i < best.i:
                best = child
    if best is None:
        best = subject_apposed_to_addressee(verb)
    return best


def passive_agent(verb: Token, ctx: SentenceContext) -> Token | None:
    """The "par X" of a passive cue ("a été qualifiée d'« ultimatum » par Volodymyr Zelensky")."""
    if not any(c.dep_ == "aux:pass" for c in verb.children):
        return None
    # the agent hangs on the verb, or on its complement ("qualifiée d'« ultimatum » par X")
    near = [*verb.children, *(g for c in verb.children if c.i > verb.i for g in c.children)]
    for child in sorted(near, key=lambda t: t.i):
        if (
            child.i > verb.i
            and child.pos_ in {"PROPN", "NOUN"}
            and case_of(child) == "par"
            and child.dep_ in {"obl:agent", "obl", "obl:arg", "obl:mod", "nmod"}
            and ctx.animate(child)
        ):
            return child
    return None


def is_source_phrase(tok: Token, lex: Lexicon) -> bool:
    """ "dans un communiqué", "sur Twitter", "dans un entretien au Monde": a channel, not content"""
    if tok.pos_ not in {"NOUN", "PROPN"}:
        return False
    return case_of(tok) in lex.source_preps and (
        fold(tok.lemma_) in lex.source_nouns or fold(tok.text) in lex.source_nouns
    )


def addressee_of(verb: Token, ctx: SentenceContext, partners: Iterable[int] = ()) -> Token | None:
    """ "à Vladimir Poutine", "à son homologue": an animate "à"-phrase on the verb.

    Also the direct object of the verbs that take their addressee that way ("appeler Moscou à").
    Animacy is judged in `extractor.py` (a resolvable actor, a name, a person noun), so "à la
    retenue" stays content.
    """
    doc = verb.doc
    heads = [verb, *(doc[i] for i in partners if i != verb.i)]
    for head in heads:
        for child in head.children:
            if child.i < head.i and child.dep_ not in {"iobj"}:
                continue
            if (
                child.pos_ in {"PROPN", "NOUN"}
                and case_of(child) in {"a", "au", "aux"}
                and ctx.animate(child)
            ):
                return child
    if verb_lemma(verb) in ctx.lex.obj_addressee:
        for child in verb.children:
            if child.dep_ == "obj" and child.pos_ in {"PROPN", "NOUN"} and child.i > verb.i:
                if not ctx.animate(child):
                    continue
                has_comp = any(
                    c.dep_ in {"xcomp", "obl:arg", "ccomp"} and c.i > child.i for c in verb.children
                )
                if has_comp:
                    return child
    return None


def source_of(verb: Token, lex: Lexicon, partners: Iterable[int] = ()) -> Token | None:
    """The channel on the cue verb or its partner ("a fait savoir ... dans un communiqué")."""
    doc = verb.doc
    partners = set(partners)
    for head in [verb, *(doc[i] for i in partners if i != verb.i)]:
        for child in head.children:
            # "voit dans ce texte ...": a preposition that is part of the cue opens no channel
            if is_source_phrase(child, lex) and not any(c.i in partners for c in child.children):
                return child
    return None


def content_of(
    verb: Token, ctx: SentenceContext, exclude: set[int], cue_tokens: Iterable[int] = ()
) -> list[Token]:
    """What the verb governs to its right, less the speaker, addressee, source and next predicate.

    Works around the parser hanging the que-clause on the addressee ("a fait savoir à X que ...":
    `que ...` parsed as a relative clause of X): such a clause is taken back as the content.
    """
    lex = ctx.lex

    def stop(t: Token) -> bool:
        if t.i in exclude:
            return True
        if t.dep_ == "conj" and t.pos_ in {"VERB", "AUX"} and lex.cue_at(t) is not None:
            return True  # the second predicate of "a dénoncé ... et a demandé ..."
        if (
            t.dep_ not in {"obj", "ccomp", "xcomp", "csubj"}
            and t.i > verb.i
            and shares_subject(t)
            and lex.cue_at(t)
        ):
            return True  # "..., précisant que ...", "... et appelé à ...": a predicate of its own
        return t.dep_ == "cc" and t.head.dep_ == "conj" and t.head.i in exclude

    out: list[Token] = []
    for child in verb.children:
        if child.i < verb.i or child.i in exclude:
            continue
        if child.dep_ in SUBJECT_DEPS or child.dep_ in {"punct", "cc", "aux:tense", "aux:pass"}:
            continue
        if child.dep_ == "conj" and lex.cue_at(child) is not None:
            continue
        if stop(child):
            continue
        in_cue = any(c.i in cue_tokens for c in child.children)  # "voit dans ce texte un ..."
        if is_source_phrase(child, lex) and not in_cue:
            # "a indiqué dans un communiqué que ...": the que-clause often hangs on the noun
            out.extend(misattached_clauses(child))
            continue
        out.extend(subtree_tokens(child, stop))
    return [t for t in out if t.i not in exclude and ctx.holds(t)]


def embedded_in(span: tuple[int, int], ctx: SentenceContext) -> Token | None:
    """The word before the quote that governs it, when the quote is part of a larger phrase.

    "« A », a dit X" is a whole quote; in "Poutine continue « d'appliquer ... »" the quote hangs on
    "continue", so it is a partial quote.
    """
    a, b = span
    for t in ctx.sent:
        if not (a < t.idx < b) or t.is_punct:
            continue
        head = t.head
        if head.idx < a and not head.is_punct and head.i != t.i:
            return head
    return None


def first_token_after(ctx: SentenceContext, char: int) -> Token | None:
    for t in ctx.sent:
        if t.idx >= char and not t.is_space:
            return t
    return None


def main_subject(tok: Token, ctx: SentenceContext) -> Token | None:
    """The subject of the clause before the participle: the last nominal subject of a verb
    that comes before it."""
    found: Token | None = None
    for t in ctx.sent:
        if t.i >= tok.i:
            break
        if t.dep_ in SUBJECT_DEPS and t.pos_ in {"NOUN", "PROPN"} and t.head.i < tok.i:
            found = t
    return found
