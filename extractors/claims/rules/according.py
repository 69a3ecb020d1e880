""" "selon X" / "d'après X" (according_to) and "Pour X, ..." / "X, pour qui ..." (opinion_of)."""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.context import Candidate, SentenceContext, rule
from diplowatch.extractors.claims.lexicon import Cue, fold
from diplowatch.extractors.claims.tokens import (
    RELATIVES,
    case_of,
    member_of,
    phrase_of,
    subtree_tokens,
    text_of,
    trim_content,
)


@rule("according_to")
def according_to(ctx: SentenceContext) -> None:
    """ "selon X" / "d'après X": X speaks when no verb cue does; "selon un communiqué de Y" is
    the source, and Y speaks when no grammatical subject does."""
    for tok in ctx.sent:
        word = fold(tok.text)
        if word == "apres" and tok.i > 0 and fold(tok.nbor(-1).text) in {"d'", "d"}:
            word = "d'apres"
        if word not in ctx.lex.according or ctx.in_direct_quote(tok):
            continue
        obj = tok.head
        if tok.dep_ == "fixed":  # "d'après": "après" is fixed on "d'", itself the case
            obj = tok.head.head
        if obj.i == tok.i or obj.pos_ not in {"NOUN", "PROPN", "PRON"}:
            continue
        phrase = phrase_of(obj, bare=True)
        phrase_ids = {t.i for t in phrase} | {tok.i, tok.head.i if tok.dep_ == "fixed" else tok.i}
        is_source = (
            fold(obj.lemma_) in ctx.lex.source_nouns or fold(obj.text) in ctx.lex.source_nouns
        )
        speaker_in_source: Token | None = None
        if is_source:
            for child in obj.children:
                if child.dep_ in {"nmod", "nmod:poss"} and child.pos_ in {"PROPN", "NOUN"}:
                    speaker_in_source = child
        verb_claims = [c for c in ctx.candidates if c.verb is not None and not c.direct]
        if verb_claims or any(c.direct for c in ctx.candidates):
            # the sentence already has its speaker: "selon X" names the source, or the
            # speaker when the verb had no subject
            for cand in ctx.candidates:
                if cand.speaker is None:
                    cand.speaker = speaker_in_source if is_source else obj
                    if is_source:
                        cand.source = text_of(phrase)
                elif cand.source is None and obj.pos_ != "PRON":
                    cand.source = text_of(phrase)
                cand.content = [t for t in cand.content if t.i not in phrase_ids]
            continue
        speaker = speaker_in_source if is_source else obj
        if speaker is None:
            continue
        # content: the clause the "selon" phrase modifies, without the phrase
        clause = obj.head if obj.head.i != obj.i else obj
        while clause.dep_ in {"nmod", "obl", "obl:mod"} and clause.head.i != clause.i:
            clause = clause.head
        toks = subtree_tokens(clause, member_of(phrase_ids))
        content = trim_content([t for t in toks if t.i not in phrase_ids and ctx.holds(t)])
        if len(content) < 3:
            continue
        ctx.add(
            Candidate(
                Cue(tok.text.lower() if word == "selon" else "d'après", "statement", (tok.i,)),
                None,
                speaker,
                content,
                False,
                None,
                source=text_of(phrase) if is_source else None,
            )
        )


FOR_WHOM = frozenset({"qui", "lequel", "laquelle", "lesquels", "lesquelles"})


def opinion_relative(ctx: SentenceContext) -> None:
    """ "Joe Biden, pour qui le président russe sera « un paria », a annoncé ...": the relative
    clause opened by "pour qui" states the view of the noun it hangs on."""
    for tok in ctx.sent:
        if fold(tok.text) not in FOR_WHOM or case_of(tok) != "pour":
            continue
        clause = tok.head
        if clause.dep_ != "acl:relcl" or clause.head.i >= tok.i or not ctx.known(clause.head):
            continue
        skip = {tok.i, *(c.i for c in tok.children)}
        content = trim_content([t for t in clause.subtree if t.i not in skip and ctx.holds(t)])
        if len(content) < 3:
            continue
        pour = next(c for c in tok.children if c.dep_ == "case")
        ctx.add(Candidate(Cue("pour", "statement", (pour.i,)), None, clause.head, content, False))


@rule("opinion_of")
def opinion_of(ctx: SentenceContext) -> None:
    """ "Pour Moscou, ce sont les livraisons d'armes qui ...", "Pour l'UE, la décision est
    « cynique »": a sentence opened by "Pour" + an actor, then a comma, states that actor's view.
    The actor's phrase may carry a relative clause ("Pour Moscou, qui a salué ..., le ...")."""
    opinion_relative(ctx)
    toks = [t for t in ctx.sent if not t.is_space]
    if len(toks) < 6 or fold(toks[0].text) != "pour":
        return
    commas = [k for k, t in enumerate(toks) if t.text == ","]
    if not commas:
        return
    cut = commas[0]
    phrase = toks[1:cut]
    if cut + 1 < len(toks) and fold(toks[cut + 1].text) in RELATIVES | {"que", "qu'"}:
        later = [k for k in commas if k > cut]
        if not later:
            return
        cut = later[0]  # past the relative clause
    heads = [t for t in phrase if t.pos_ in {"PROPN", "NOUN", "PRON"} and ctx.known(t)]
    if not heads or len(phrase) > 8:
        return
    rest = trim_content(toks[cut + 1 :])
    if len(rest) < 3 or not any(t.pos_ in {"VERB", "AUX"} for t in rest):
        return
    ctx.add(Candidate(Cue("pour", "statement", (toks[0].i,)), None, heads[0], rest, False))
