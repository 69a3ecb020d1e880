"""Rule families of quotes: "« ... », a dit X", "X a dit : « ... »", "X : « ... »" (headlines),
"« A, a-t-il dit, B »", and a quote that reports a third party's words.
"""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.context import Candidate, SentenceContext, rule
from diplowatch.extractors.claims.lexicon import REFLEXIVES, Cue, fold
from diplowatch.extractors.claims.rules.incises import incise_end, incise_speaker
from diplowatch.extractors.claims.syntax import (
    addressee_of,
    bare_participle,
    content_of,
    embedded_in,
    first_token_after,
    inverted_pronoun,
    inverted_subject,
    source_of,
    subject_of,
)
from diplowatch.extractors.claims.tokens import (
    INVERTED,
    QUOTE_OPENERS,
    SKIP_BETWEEN,
    phrase_of,
    text_of,
    trim_content,
)


@rule("direct_quote_after")
def direct_quote_after(ctx: SentenceContext) -> None:
    """ "« ... », a déclaré X", "« ... », a-t-il dit", "« ... », a écrit le Kremlin dans un
    communiqué", "« ... », selon X": the quote closes, a cue follows with its inverted subject."""
    for span in ctx.quotes:
        tok = first_token_after(ctx, span[1])
        coordinated = False
        # skip ", a encore", ", ont" ...: punctuation, auxiliaries and adverbs before the verb
        while tok is not None and tok.i + 1 < ctx.sent.end:
            # "a-t-il en outre assuré", "s'est félicité": locutions and the reflexive clitic too
            skip = ctx.lex.adverbial_at(tok) or int(
                tok.pos_ in SKIP_BETWEEN or fold(tok.text) in INVERTED | REFLEXIVES
            )
            if not skip:
                break
            if tok.text in {".", "!", "?", "«", "“"}:
                tok = None
                break
            coordinated = coordinated or tok.pos_ == "CCONJ"
            tok = tok.doc[min(tok.i + skip, ctx.sent.end - 1)]
        if tok is None or tok.i >= ctx.sent.end or coordinated:
            # "X a qualifié l'entretien de « constructif » et a exigé ...": after "et" the cue
            # is X's second predicate, not the quote's attribution
            continue
        quoted = trim_content(ctx.quote_tokens(span))
        if not quoted:
            continue
        if bare_participle(tok):
            continue  # "a jugé la réunion « utile », mais prévenu que ...": a second predicate
        embedding = embedded_in(span, ctx)
        if embedding is not None and ctx.lex.cue_at(embedding) is not None:
            continue  # "qui a appelé à « ... », a exhorté à ...": the quote is another cue's
        direct = embedding is None
        where = span if direct else None
        if not direct:
            # "X continue « d'appliquer ... », explique Y": a partial quote; the claim is the
            # whole clause before the cue, and it is not a direct quote
            quoted = trim_content([t for t in ctx.sent if t.idx < span[1] and not t.is_space])
        if fold(tok.text) in ctx.lex.according or (
            tok.i + 1 < len(tok.doc) and fold(tok.text + tok.nbor(1).text) in ctx.lex.according
        ):
            obj = tok.head if tok.dep_ in {"case", "fixed"} else None
            if obj is None or obj.pos_ not in {"NOUN", "PROPN", "PRON"}:
                continue
            ctx.add(
                Candidate(
                    Cue("selon", "statement", (tok.i,)),
                    None,
                    obj,
                    quoted,
                    direct,
                    where,
                )
            )
            ctx.direct_quotes.append(span)
            continue
        cue = ctx.lex.cue_at(tok)
        if cue is None:
            continue
        speaker = inverted_pronoun(span[1], tok)
        if speaker is None:
            speaker = subject_of(tok, cue.tokens)
            if speaker is not None and speaker.idx < span[0] and speaker.pos_ != "PRON":
                # "X, pour qui Y est « ... », a annoncé des sanctions": the quote sits inside
                # the subject's phrase; the verb is X's own claim (verb_cue), not an attribution,
                # unless a subject follows the verb (the parser's subject before is its error)
                speaker = inverted_subject(tok, cue.tokens)
                if speaker is None or not ctx.animate(speaker):
                    continue
        if speaker is None or span[0] < speaker.idx < span[1]:
            speaker = inverted_subject(tok, cue.tokens)
        if speaker is None:
            continue
        addressee = addressee_of(tok, ctx, cue.tokens)
        if addressee is not None and speaker.head.i == addressee.i:
            addressee = None  # its phrase holds the speaker: no telling where the name ends
        ctx.add(Candidate(cue, tok, speaker, quoted, direct, where, addressee=addressee))
        src = source_of(tok, ctx.lex, cue.tokens)
        if src is not None:
            ctx.candidates[-1].source = text_of(phrase_of(src, bare=True))
        ctx.direct_quotes.append(span)


@rule("direct_quote_colon")
def direct_quote_colon(ctx: SentenceContext) -> None:
    """ "X a déclaré : « ... »" (and "X a déclaré à la presse : « ... »"): cue, colon, quote.
    A quote opened after the colon and not closed in its paragraph (French typography closes a
    quote of several paragraphs only at its end) runs to the end of the sentence."""
    for span in [*ctx.quotes, *open_quotes_after_colon(ctx)]:
        if span in ctx.direct_quotes:
            continue
        before = [t for t in ctx.sent if t.idx < span[0] and not t.is_space]
        if not before or before[-1].text != ":":
            continue
        verb = None
        for t in reversed(before[:-1]):
            if fold(t.text) in {"que", "qu'"}:
                break
            cue = ctx.lex.cue_at(t)
            if cue is not None and t.i not in ctx.used_cues:
                verb = t
                break
        if verb is None or cue is None:
            headline_quote(span, before[:-1], ctx)
            continue
        speaker = subject_of(verb, cue.tokens)
        if speaker is None:
            continue
        quoted = trim_content(ctx.quote_tokens(span))
        if not quoted:
            continue
        cand = Candidate(
            cue,
            verb,
            speaker,
            quoted,
            True,
            span,
            addressee=addressee_of(verb, ctx, cue.tokens),
        )
        src = source_of(verb, ctx.lex, cue.tokens)
        if src is not None:
            cand.source = text_of(phrase_of(src, bare=True))
        ctx.add(cand)
        ctx.direct_quotes.append(span)


HEADLINE_NAME = 6  # tokens a speaker's name may take before the colon of a headline


def headline_quote(span: tuple[int, int], before: list[Token], ctx: SentenceContext) -> None:
    """ "Zelensky : « Nous ne céderons rien »", "Le Kremlin : « ... »": a title or lead line that
    is only a speaker's name, a colon and the quote (no verb: headlines drop it)."""
    if not before or len(before) > HEADLINE_NAME or before[0].i != ctx.sent.start:
        return
    if any(t.pos_ in {"VERB", "AUX"} or t.is_punct for t in before):
        return
    heads = [t for t in before if t.head.i == t.i or not (before[0].i <= t.head.i <= before[-1].i)]
    head = heads[0] if len(heads) == 1 else None
    if head is None or not (ctx.known(head) and ctx.animate(head)):
        return
    quoted = trim_content(ctx.quote_tokens(span))
    if len(quoted) < 2:
        return
    colon = before[-1].i + 1
    ctx.add(Candidate(Cue(":", "statement", (colon,)), None, head, quoted, True, span))
    ctx.direct_quotes.append(span)


def open_quotes_after_colon(ctx: SentenceContext) -> list[tuple[int, int]]:
    """Spans from an opening mark right after a colon to the sentence's end, for the marks that
    pair with no closing one (`find_quotes` drops a quote left open at a paragraph break)."""
    starts = {a for a, _ in ctx.quotes}
    out: list[tuple[int, int]] = []
    doc = ctx.sent.doc
    for t in ctx.sent:
        if t.text != ":" or t.i + 1 >= ctx.sent.end:
            continue
        mark = doc[t.i + 1]
        if mark.text in QUOTE_OPENERS and mark.idx not in starts:
            out.append((mark.idx, ctx.sent.end_char + 1))
    return out


@rule("quote_incise")
def quote_incise(ctx: SentenceContext) -> None:
    """ "« A, a-t-il poursuivi, B »", "« A, a déclaré X. B »": the cue set inside the quote."""
    for span in ctx.quotes:
        if span in ctx.direct_quotes:
            continue
        inner = ctx.quote_tokens(span)
        for tok in inner:
            if tok.i in ctx.used_cues:
                continue
            cue = ctx.lex.cue_at(tok)
            if cue is None:
                continue
            found = incise_speaker(tok, ctx)
            if found is None:
                continue
            comma, speaker = found
            close = max(t.i for t in inner) + 1
            end = incise_end(tok, ctx, close)
            doc = tok.doc
            stop = doc[end] if end < len(doc) else None
            if stop is not None and stop.text == ",":
                cut = (comma.idx, stop.idx + 1)
            else:
                cut = (comma.idx, stop.idx if stop is not None else span[1] - 1)
            content = [t for t in inner if not (cut[0] <= t.idx < cut[1])]
            content = trim_content(content)
            if not content:
                continue
            cand = Candidate(cue, tok, speaker, content, True, span, cut=cut)
            src = source_of(tok, ctx.lex, cue.tokens)
            if src is not None:
                cand.source = text_of(phrase_of(src, bare=True))
            ctx.add(cand)
            ctx.direct_quotes.append(span)
            break


@rule("nested_attribution")
def nested_attribution(ctx: SentenceContext) -> None:
    """ "« Poutine a répondu que ... », a fait savoir le Kremlin": the quoted sentence reports a
    third party's words. Both claims are kept: the reported speaker's, with the channel (the
    quote's speaker) as its source."""
    for outer in list(ctx.candidates):
        if not outer.direct or outer.quote is None or outer.reported_by is not None:
            continue
        qa, qb = outer.quote
        for tok in ctx.sent:
            if not (qa < tok.idx < qb) or tok.i in ctx.used_cues:
                continue
            cue = ctx.lex.cue_at(tok)
            if cue is None:
                continue
            # only the quote's main predicate: its head lies outside the quote, or it is the root
            if qa < tok.head.idx < qb and tok.head.i != tok.i and tok.dep_ not in {"conj"}:
                continue
            speaker = subject_of(tok, cue.tokens)
            if speaker is None or speaker.pos_ == "PRON" or not (qa < speaker.idx < qb):
                continue  # "nous", "je": the quote's own speaker, already the outer claim
            if not ctx.known(speaker):
                continue  # "les dirigeants se sont entendus": an event told, not words reported
            exclude = {t.i for t in phrase_of(speaker)} | set(cue.tokens)
            addressee = addressee_of(tok, ctx, cue.tokens)
            if addressee is not None:
                exclude |= {t.i for t in phrase_of(addressee)}
            content = trim_content(
                [t for t in content_of(tok, ctx, exclude) if qa < t.idx < qb - 1]
            )
            if not content:
                continue
            ctx.add(
                Candidate(
                    cue,
                    tok,
                    speaker,
                    content,
                    False,
                    None,
                    addressee=addressee,
                    reported_by=outer,
                )
            )
