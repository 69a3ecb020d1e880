"""The incise family: a reporting clause after or inside the words, without quotation marks
("..., a indiqué mardi le porte-parole", "Mais, a-t-elle ajouté, ...").
"""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.context import Candidate, SentenceContext, rule
from diplowatch.extractors.claims.lexicon import REFLEXIVES, Cue, fold, verb_lemma
from diplowatch.extractors.claims.syntax import (
    addressee_of,
    is_present_participle,
    source_of,
    subject_of,
)
from diplowatch.extractors.claims.tokens import (
    INVERTED,
    RELATIVES,
    phrase_of,
    text_of,
    trim_content,
)

PRONOUN_SUBJECTS = frozenset({"-il", "-elle", "-ils", "-elles"})


OPENING_LINKS = frozenset(
    {"mais", "et", "or", "pourtant", "cependant", "toutefois", "neanmoins", "ainsi", "donc"}
    | {"enfin", "puis", "certes", "surtout", "ensuite", "aussi"}
)


def incise_opening(verb: Token, ctx: SentenceContext) -> tuple[Token, Token | None] | None:
    """The comma that opens an incise before the cue verb ("..., a pour sa part affirmé"), with
    the inverted pronoun met on the way ("..., a-t-il ajouté") if any; None if no comma."""
    doc = verb.doc
    k = verb.i - 1
    pronoun: Token | None = None
    while k >= ctx.sent.start:
        word = fold(doc[k].text)
        if word in PRONOUN_SUBJECTS:
            pronoun = doc[k]
        if (doc[k].pos_ in {"AUX", "ADV"} and word != ",") or word in INVERTED | REFLEXIVES:
            k -= 1
            continue
        # "..., a pour sa part affirmé X", "..., s'est à son tour inquiété X": a locution
        size = ctx.lex.adverbial_ending_at(doc[k])
        if not size:
            break
        k -= size
    if k < ctx.sent.start + 1 or doc[k].text != ",":
        return None
    if k == ctx.sent.start + 1 and fold(doc[k - 1].text) not in OPENING_LINKS:
        return None  # "Mais, a-t-il dit, ...": only a linking word may stand before the incise
    return doc[k], pronoun


def incise_speaker(verb: Token, ctx: SentenceContext) -> tuple[Token, Token] | None:
    """For a cue verb set between commas ("..., a affirmé le porte-parole, ...", "..., a-t-il
    ajouté, ..."): the comma that opens the incise and the speaker, or None."""
    doc = verb.doc
    opening = incise_opening(verb, ctx)
    if opening is None:
        return None
    comma, pronoun = opening
    if pronoun is None:
        for t in doc[verb.i + 1 : verb.i + 3]:
            if fold(t.text) in PRONOUN_SUBJECTS:
                pronoun = t  # "..., ajoute-t-il"
    if any(
        c.i > verb.i
        and c.dep_ in {"ccomp", "xcomp", "obj", "csubj"}
        and c.pos_ in {"VERB", "SCONJ"}
        for c in verb.children
    ):
        return None  # "..., a affirmé que ...": a cue with its own complement, not an incise
    if any(fold(t.text) in {"que", "qu'"} for t in doc[verb.i + 1 : min(verb.i + 4, ctx.sent.end)]):
        return None
    if pronoun is not None:
        return comma, pronoun
    nxt = verb.i + 1
    while nxt < ctx.sent.end:
        # "..., a indiqué mardi soir le ...", "..., a affirmé un peu plus tard X", "pour sa part"
        size = ctx.lex.adverbial_at(doc[nxt]) or int(
            doc[nxt].pos_ == "ADV" or in_adverbial(doc[nxt], verb)
        )
        if not size:
            break
        nxt += size
    if nxt >= ctx.sent.end:
        return None
    first = doc[nxt]
    head = first
    if first.pos_ == "DET":
        head = first.head
        if head.i <= first.i or "Ind" in first.morph.get("Definite", []):
            return None  # "..., a annoncé un nouveau paquet": an object, not a speaker
    if head.pos_ not in {"NOUN", "PROPN"} or not ctx.animate(head):
        return None
    return comma, head


ADVERBIAL_DEPS = frozenset({"advmod", "obl:mod", "obl"})


TIME_NOUNS = frozenset(
    {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "soir", "matin"}
    | {"midi", "nuit", "hier", "aujourd'hui", "soiree", "matinee", "journee", "apres-midi"}
    | {"semaine", "week-end", "veille", "lendemain", "tard", "tot"}
)


def in_adverbial(tok: Token, verb: Token) -> bool:
    """Is `tok` in an adverbial of `verb` placed between it and an inverted subject: a time
    ("mardi soir", "jeudi 12 mai", "dans la soirée") or a manner ("un peu plus tard")?

    The parser hangs such a phrase on the verb as `advmod`/`obl:mod`, or on the subject noun
    after it ("mardi" read as the subject's modifier): both are skipped, a noun that is not a
    time word is not (it may be the speaker)."""
    cur = tok
    while cur.head.i != cur.i and cur.head.i != verb.i:
        cur = cur.head
    if cur.head.i != verb.i or cur.i <= verb.i:
        return False
    if cur.dep_ in ADVERBIAL_DEPS and cur.pos_ in {"ADV", "DET"}:
        return True
    words = {fold(t.text) for t in cur.subtree}
    return (
        cur.dep_ in ADVERBIAL_DEPS | {"obj", "dep"}
        and bool(words & TIME_NOUNS)
        and (not any(t.pos_ == "PROPN" for t in cur.subtree))
    )


# -- "..., a fait savoir mercredi la présidence": causative faire / laisser + infinitive ----------

CAUSATIVES = frozenset({"faire", "laisser"})
MONTHS = frozenset(
    {"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre"}
    | {"octobre", "novembre", "decembre"}
)
# words a time phrase may hold before its time noun: "dans la soirée", "en fin de journée"
TIME_LINKS = frozenset(
    {"dans", "en", "au", "a", "des", "vers", "de", "d'", "du", "la", "le", "l'", "plus", "peu"}
    | {"un", "fin", "debut", "milieu", "cours"}
)
WINDOW = 8  # the longest adverbial phrase read between the cue and its inverted subject


def time_phrase_at(tok: Token, end: int) -> int:
    """The tokens of a time phrase opening at `tok`, read from its words whatever the parse
    ("mardi", "jeudi 12 mars", "dans la soirée", "en fin de journée", "un peu plus tard"); it
    ends on its last time word, so "le ministère" after it is left out. 0 if none."""
    doc = tok.doc
    last = tok.i
    for k in range(tok.i, min(end, tok.i + WINDOW)):
        word = fold(doc[k].text)
        if word in TIME_NOUNS or word in MONTHS or doc[k].is_digit:
            last = k + 1
        elif word not in TIME_LINKS:
            break
    return last - tok.i


def channel_phrase_at(tok: Token, ctx: SentenceContext) -> int:
    """The tokens of a channel opening at `tok` ("dans un communiqué", "sur Telegram", "lors
    d'une conférence de presse"), by [claims.sources]; 0 if none."""
    if fold(tok.text) not in ctx.lex.source_preps:
        return 0
    doc = tok.doc
    end = min(ctx.sent.end, tok.i + 4)
    for k in range(tok.i + 1, end):
        word = fold(doc[k].text)
        if word in ctx.lex.source_nouns or fold(doc[k].lemma_) in ctx.lex.source_nouns:
            # "de presse": a bare noun complement of the channel is part of it
            bare = k + 2 < ctx.sent.end and fold(doc[k + 1].text) == "de"
            return k + 1 - tok.i + (2 if bare and doc[k + 2].pos_ == "NOUN" else 0)
        if doc[k].pos_ not in {"DET", "ADP"} and word not in {"d'", "de"}:
            return 0
    return 0


def causative_speaker(verb: Token, cue: Cue, ctx: SentenceContext) -> tuple[Token, Token] | None:
    """ "..., a fait savoir mercredi la présidence", "..., a laissé entendre dans la soirée le
    porte-parole": an incise whose cue is causative "faire" / "laisser" with its infinitive. The
    parser makes the infinitive the head, reads the inverted subject as its object (the one
    told) or hangs it on the time phrase before it: the subject is found by position, after the
    infinitive and what may stand between (locutions, adverbs, a time, a channel)."""
    doc = verb.doc
    inf = verb.i + 1
    if verb_lemma(verb) not in CAUSATIVES or inf not in cue.tokens or inf + 1 >= ctx.sent.end:
        return None
    opening = incise_opening(verb, ctx)
    if opening is None or opening[1] is not None:
        return None  # "..., a-t-il fait savoir": the pronoun is incise_speaker's
    k = inf + 1
    while k < min(ctx.sent.end, inf + 1 + 2 * WINDOW):
        size = (
            ctx.lex.adverbial_at(doc[k])
            or time_phrase_at(doc[k], ctx.sent.end)
            or channel_phrase_at(doc[k], ctx)
            or int(doc[k].pos_ == "ADV")
        )
        if not size:
            break
        k += size
    head: Token | None = doc[k] if k < ctx.sent.end else None
    if head is not None and head.pos_ == "DET":
        if "Def" not in head.morph.get("Definite", []):
            return None  # "..., a fait savoir un diplomate": not a definite speaker
        # the determiner's noun by position: the parser may hang it on the wrong word
        window = doc[k + 1 : min(k + 4, ctx.sent.end)]
        head = next((t for t in window if t.pos_ in {"NOUN", "PROPN"}), None)
    if head is None or head.pos_ not in {"NOUN", "PROPN"} or not ctx.animate(head):
        return None
    return opening[0], head


def incise_end(verb: Token, ctx: SentenceContext, limit: int) -> int:
    """The token index where an incise stops: the first comma after which a clause resumes
    (a finite verb before `limit`), else `limit` (the end of the sentence or of the quote)."""
    doc = verb.doc
    for k in range(verb.i + 1, limit):
        if doc[k].text not in {",", ".", ";"}:
            continue
        if doc[k].text in {".", ";"}:
            return k
        nxt = doc[k + 1] if k + 1 < limit else None
        if nxt is not None and (nxt.pos_ == "PROPN" or fold(nxt.text) in RELATIVES):
            continue  # "a dit le ministre, Roustem Oumerov, qui ...": still the speaker's phrase
        rest = doc[k + 1 : limit]
        if any(t.pos_ in {"VERB", "AUX"} and "Fin" in t.morph.get("VerbForm", []) for t in rest):
            return k
    return limit


@rule("incise")
def incise(ctx: SentenceContext) -> None:
    """ "L'appel a duré une heure, a affirmé le porte-parole du Kremlin, Dmitri Peskov.",
    "S'il obtient satisfaction, a-t-il assuré, la Russie cessera le feu": the cue between commas,
    its subject inverted, the rest of the sentence its content."""
    for tok in ctx.sent:
        if tok.i in ctx.used_cues or any(a < tok.idx < b for a, b in ctx.quotes):
            continue
        cue = ctx.lex.cue_at(tok)
        if cue is None or any(i in ctx.used_cues for i in cue.tokens):
            continue
        found = incise_speaker(tok, ctx) or causative_speaker(tok, cue, ctx)
        if found is None:
            continue
        comma, speaker = found
        end = incise_end(tok, ctx, ctx.sent.end)
        if participle_follows(end, ctx):
            end = ctx.sent.end  # "..., a dit X, précisant que ...": the participle is X's own
        content = [
            t
            for t in ctx.sent
            if (t.i < comma.i or t.i > end) and not t.is_space and not ctx.in_direct_quote(t)
        ]
        # edges only: "S'il obtient ..." keeps its "si"
        while content and (content[0].is_punct and content[0].text not in '«“"'):
            content = content[1:]
        while content and content[-1].is_punct and content[-1].text not in '»”")':
            content = content[:-1]
        if len(content) < 3:
            continue
        channel = channel_text(source_of(tok, ctx.lex, cue.tokens), speaker)
        inner = reported_cue(content, comma, tok, ctx)
        if inner is not None:
            # "Kiev a exigé ..., a indiqué la présidence": the reported speaker's claim, the
            # incise's speaker its source; the incise's own cue is spent
            verb, icue, subject = inner
            ctx.used_cues.update(icue.tokens)
            if ctx.known(subject):
                exclude = {t.i for t in phrase_of(subject)} | set(icue.tokens)
                addressee = addressee_of(verb, ctx, icue.tokens)
                if addressee is not None:
                    exclude |= {t.i for t in phrase_of(addressee)}
                rest = trim_content([t for t in content if t.i > verb.i and t.i not in exclude])
                if rest:
                    via = text_of(phrase_of(speaker, bare=True))
                    ctx.add(
                        Candidate(
                            icue,
                            verb,
                            subject,
                            rest,
                            False,
                            None,
                            addressee=addressee,
                            source=via if channel is None else f"{via}, {channel}",
                        )
                    )
                    ctx.used_cues.update(cue.tokens)
                    ctx.voices.append((tok.i, speaker))
                    continue
        cand = Candidate(cue, tok, speaker, content, False, None, source=channel)
        ctx.add(cand)


def channel_text(src: Token | None, speaker: Token) -> str | None:
    """The words of the channel, less an inverted speaker the parser hung on it ("..., a fait
    savoir sur Telegram la diplomatie russe")."""
    if src is None:
        return None
    cut = min(t.i for t in phrase_of(speaker))
    return text_of([t for t in phrase_of(src, bare=True) if t.i < cut or src.i > cut])


def participle_follows(end: int, ctx: SentenceContext) -> bool:
    """Does a present-participle cue open the clause after the comma at `end`?"""
    doc = ctx.sent.doc
    k = end + 1
    while k < ctx.sent.end and fold(doc[k].text) in {"tout", "en"}:
        k += 1
    return k < ctx.sent.end and is_present_participle(doc[k]) and ctx.lex.cue_at(doc[k]) is not None


def reported_cue(
    content: list[Token], comma: Token, incise_verb: Token, ctx: SentenceContext
) -> tuple[Token, Cue, Token] | None:
    """The cue verb of the clause an incise reports, with its subject, both before the incise:
    "Kiev a exigé ..." in "Kiev a exigé ..., a indiqué la présidence ukrainienne"."""
    for t in content:
        if t.i >= comma.i or t.pos_ not in {"VERB", "AUX"} or t.i in ctx.used_cues:
            continue
        if not (t.i == incise_verb.head.i or t.dep_ == "ROOT"):
            continue  # only the main predicate of the reported clause
        if any(a < t.idx < b for a, b in ctx.quotes):
            return None
        cue = ctx.lex.cue_at(t)
        if cue is None or fold(cue.text) in ctx.lex.quote_only:
            continue
        subject = subject_of(t, cue.tokens)
        if (
            subject is None
            or subject.i > t.i
            or (
                subject.pos_ == "PRON"
                and subject.lower_ in {"il", "elle", "ils", "elles", "qui", "on"}
            )
        ):
            return None
        return t, cue, subject
    return None
