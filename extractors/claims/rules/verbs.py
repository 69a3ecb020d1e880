"""The verb_cue family: indirect speech and attitude verbs with their complements
("X a fait savoir à Y que ...", "X a dénoncé ...", "X a appelé Y à ...").
"""

from __future__ import annotations

from spacy.tokens import Token

from diplowatch.extractors.claims.context import Candidate, SentenceContext, rule
from diplowatch.extractors.claims.lexicon import fold
from diplowatch.extractors.claims.repairs import misattached_clauses
from diplowatch.extractors.claims.syntax import (
    addressee_of,
    content_of,
    is_present_participle,
    main_subject,
    negated_without_object,
    passive_agent,
    previous_speaker,
    shares_subject,
    source_of,
    subject_of,
)
from diplowatch.extractors.claims.tokens import (
    SUBJECT_DEPS,
    member_of,
    phrase_of,
    subtree_tokens,
    text_of,
    trim_content,
)


@rule("verb_cue")
def verb_cue(ctx: SentenceContext) -> None:
    """Indirect speech and attitude verbs: "X a fait savoir à Y que ...", "X a répondu qu'il ...",
    "X a dénoncé le potentiel ...", "X a proposé à Y de lever ...", "X a appelé Y à ...", and each
    coordinated predicate of one subject ("a dénoncé ... et a demandé ...")."""
    for tok in ctx.sent:
        if tok.i in ctx.used_cues or ctx.in_direct_quote(tok):
            continue
        cue = ctx.lex.cue_at(tok)
        if cue is None or any(i in ctx.used_cues for i in cue.tokens):
            continue
        if fold(cue.text) in ctx.lex.quote_only:
            continue  # "a lancé une offensive": speech only beside a quote
        verb = tok
        agent = passive_agent(verb, ctx)
        patient: list[Token] = []
        speaker: Token | None
        if agent is not None:
            # "la proposition a été qualifiée d'« ultimatum » par Kiev": the agent speaks
            speaker = agent
            for child in verb.children:
                if child.dep_ in {"nsubj:pass", "nsubj"} and child.i < verb.i:
                    patient = phrase_of(child)
        elif shares_subject(verb) and previous_speaker(verb, ctx) is not None:
            # "a averti ..., ajoutant que", "« ... », a dit X, précisant que", "et appelé à"
            speaker = previous_speaker(verb, ctx)
        else:
            speaker = subject_of(verb, cue.tokens)
            relative = any(c.lower_ == "qui" and c.dep_ in SUBJECT_DEPS for c in verb.children)
            if speaker is not None and relative and not ctx.animate(speaker):
                speaker = None  # "des livraisons d'armes qui menacent ...": things do not speak
            if speaker is None and is_present_participle(verb):
                speaker = main_subject(verb, ctx)  # "X s'est montré ..., se disant ..."
        if speaker is not None and negated_without_object(verb):
            continue  # "le département d'Etat n'a pas commenté": nothing was said
        speaker_from_selon = speaker is None
        exclude: set[int] = set()
        if speaker is not None:
            exclude |= {t.i for t in phrase_of(speaker)}
            if agent is not None:
                exclude |= {c.i for c in speaker.children if c.dep_ == "case"}
        exclude |= {i for i in cue.tokens if ctx.sent.doc[i].pos_ in {"VERB", "AUX"}}
        addressee = addressee_of(verb, ctx, cue.tokens)
        content_heads = [verb, *(ctx.sent.doc[i] for i in cue.tokens if i != verb.i)]
        if addressee is not None:
            exclude |= {t.i for t in phrase_of(addressee)}
        content: list[Token] = []
        for head in content_heads:
            if head.pos_ in {"VERB", "AUX", "ADJ"}:
                content.extend(content_of(head, ctx, exclude, cue.tokens))
        # the clause the parser hung on the addressee ("à X que ...", "à X de retirer ...")
        if addressee is not None:
            content.extend(misattached_clauses(addressee))
        # the noun of a verb+noun cue is content: "exprimé la profonde préoccupation ..."
        for i in cue.tokens:
            t = ctx.sent.doc[i]
            if t.pos_ in {"NOUN", "ADJ"} and t.i > verb.i:
                content.extend(subtree_tokens(t, member_of(exclude)))
        content = patient + content
        if not content and speaker is not None and verb.dep_ in {"acl", "acl:relcl", "nmod"}:
            # the parser lost the verb in an adverbial phrase ("a en revanche rejeté l'idée"):
            # what follows it, to the end of the sentence, is its complement
            content = [t for t in ctx.sent if t.i > verb.i and not t.is_space]
        seen: set[int] = set()
        uniq = [t for t in content if not (t.i in seen or seen.add(t.i))]  # type: ignore[func-returns-value]  # set.add returns None: the idiom dedupes in order
        needs = ctx.lex.requires.get(fold(cue.text))
        if needs is not None and not any(
            fold(t.text) in needs
            for t in uniq
            if t.dep_ in {"case", "mark"} or t.pos_ in {"SCONJ", "ADP"}
        ):
            continue  # "ce que Moscou appelle la maskirovka": "appeler" names, it does not demand
        content = trim_content(uniq)
        if not content:
            continue
        if (
            content
            and ctx.lex.cue_at(verb)
            and verb.dep_ in {"acl:relcl", "acl"}
            and speaker is None
        ):
            continue
        src = source_of(verb, ctx.lex, cue.tokens)
        cand = Candidate(
            cue,
            verb,
            speaker,
            content,
            False,
            None,
            addressee=addressee,
            source=text_of(phrase_of(src, bare=True)) if src is not None else None,
        )
        if speaker_from_selon:
            cand.speaker = None  # filled by the "according" rule if the sentence has a "selon X"
        ctx.add(cand)
