"""The participle family: a present participle or a gerund as the cue ("..., affirmant ne pas
...", "..., se disant prêt", "en estimant que ...").
"""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.context import Candidate, SentenceContext, rule
from diplowatch.extractors.claims.lexicon import REFLEXIVES, Cue, fold, verb_lemma
from diplowatch.extractors.claims.repairs import participle_lemmas
from diplowatch.extractors.claims.syntax import main_subject, previous_speaker
from diplowatch.extractors.claims.tokens import trim_content

# the clitics that may stand between the comma (or "en") and a participle: "se disant",
# "le pressant de", "ne cachant pas", "leur demandant de"
CLITICS = frozenset({"se", "s'", "le", "la", "les", "l'", "lui", "leur", "nous", "vous"})


CLITICS |= {"ne", "n'"}


def participle_opening(tok: Token, ctx: SentenceContext) -> bool | None:
    """Is the -ant word `tok` a participle clause of its own: after a comma, or a gerund after
    "en" / "tout en"? None if not, else whether it is reflexive ("se disant")."""
    doc = tok.doc
    k = tok.i - 1
    reflexive = False
    while k > ctx.sent.start and fold(doc[k].text) in CLITICS:
        reflexive = reflexive or fold(doc[k].text) in REFLEXIVES
        k -= 1
    if k <= ctx.sent.start:
        return None
    if doc[k].text == "," or fold(doc[k].text) in {"en", "et", "mais"}:  # ", et le sommant de"
        return reflexive
    return None


def object_noun(tok: Token, ctx: SentenceContext) -> Token | None:
    """The noun right after a participle and its determiner, the noun of a phrase cue
    ("maintenant son refus", "réaffirmant leur plein soutien"), whatever the parse."""
    for t in tok.doc[tok.i + 1 : min(tok.i + 4, ctx.sent.end)]:
        if t.pos_ == "NOUN":
            return t
        if t.pos_ not in {"DET", "ADJ"}:
            return None
    return None


def participle_cue(tok: Token, reflexive: bool, ctx: SentenceContext) -> Cue | None:
    """The cue a participle stands for: a phrase ("se disant prêt", "se disant préoccupé",
    "maintenant son refus") before its verb alone ("se disant" -> "se dire")."""
    nxt = tok.doc[tok.i + 1] if tok.i + 1 < ctx.sent.end else None
    noun = object_noun(tok, ctx)
    for lemma in participle_lemmas(tok):
        present = {lemma, *(("se",) if reflexive else ())}
        if nxt is not None:
            present |= {fold(nxt.text), fold(nxt.lemma_), verb_lemma(nxt)}
        if noun is not None:
            present |= {fold(noun.text), fold(noun.lemma_)}
        for words, kind, display in ctx.lex.phrases:
            if lemma in words and all(w in present for w in words):
                return Cue(display, kind, (tok.i,))
        if lemma in ctx.lex.verbs and not reflexive:
            kind, display = ctx.lex.verbs[lemma]
            return Cue(display, kind, (tok.i,))
    return None


def participle_content(tok: Token, ctx: SentenceContext) -> list[Token]:
    """What follows the participle to the end of its clause: the sentence's end, a semicolon, or
    a comma that opens another participle or an incise."""
    doc = tok.doc
    out: list[Token] = []
    for k in range(tok.i + 1, ctx.sent.end):
        t = doc[k]
        if t.text in {";", "."} and not ctx.in_direct_quote(t):
            break
        if t.text == "," and k + 1 < ctx.sent.end:
            after = doc[k + 1]
            if fold(after.text).endswith("ant") or after.pos_ == "AUX":
                break
        out.append(t)
    return trim_content([t for t in out if not t.is_space])


@rule("participle")
def participle(ctx: SentenceContext) -> None:
    """ "..., affirmant ne pas avoir été consulté", "..., se disant convaincu de ...", "..., le
    sommant de signer", "en estimant que ...": a present participle or a gerund as the cue, its
    speaker the subject of the clause it leans on. Works around the tagger, which often makes
    such a participle a noun or an auxiliary of the next verb."""
    for tok in ctx.sent:
        if tok.i in ctx.used_cues or ctx.in_direct_quote(tok) or not fold(tok.text).endswith("ant"):
            continue
        reflexive = participle_opening(tok, ctx)
        if reflexive is None:
            continue
        cue = participle_cue(tok, reflexive, ctx)
        if cue is None or fold(cue.text) in ctx.lex.quote_only:
            release_concessive(tok, ctx)
            continue
        content = participle_content(tok, ctx)
        # the adjective of "se disant prêt à ..." is part of the cue, not of the content
        content = [t for t in content if t.i not in cue.tokens]
        needs = ctx.lex.requires.get(fold(cue.text))
        if needs is not None and not (content and fold(content[0].text) in needs):
            continue
        content = trim_content(content)
        speaker = previous_speaker(tok, ctx) or main_subject(tok, ctx)
        if speaker is None or len(content) < 2:
            continue
        # the clause was read as the end of the previous claim's content: it is its own
        ctx.release(range(clause_start(tok, ctx), content[-1].i + 1))
        ctx.add(Candidate(cue, tok, speaker, content, False, None))


def clause_start(tok: Token, ctx: SentenceContext) -> int:
    """Where a participle's clause opens: before its clitics, its "," / "en" / "et", and the
    "tout" of "tout en"."""
    doc = tok.doc
    start = tok.i
    while start - 1 > ctx.sent.start and fold(doc[start - 1].text) in CLITICS:
        start -= 1
    start -= 1
    if fold(doc[start].text) == "en" and start - 1 > ctx.sent.start:
        start -= int(fold(doc[start - 1].text) == "tout")
    return start


def release_concessive(tok: Token, ctx: SentenceContext) -> None:
    """ "a salué l'initiative, tout en maintenant ses exigences": a gerund after "tout en"
    opens a clause of the subject's own, cue or not, never the end of the previous claim's
    words."""
    start = clause_start(tok, ctx)
    if fold(tok.doc[start].text) != "tout":
        return
    content = participle_content(tok, ctx)
    ctx.release(range(start, (content[-1].i if content else tok.i) + 1))
