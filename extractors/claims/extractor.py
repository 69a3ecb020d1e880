"""Claims of French news articles: who said, warned, demanded, proposed or denounced what.

The public face of claim extraction (the flows and `diplowatch analyze` call only this):

    nlp = load_nlp()                                   # once per process
    extractor = ClaimExtractor(nlp, actor_index, config.lexicon)
    extractor.extract(text, published=date(2021, 12, 7))      -> list[Claim]
    extractor.extract_many([(text, published), ...])          -> one list per input, in order

How: quotes are paired on the raw text (`quotes`), spaCy parses with sentence limits that
respect them, the rule families of `rules/` propose candidates per sentence, then this
module resolves speakers and addressees by the article's date (`speakers`), decides each
kind from its cue and its content (`[[claims.context]]` in config/lexicon.toml) and fills the
contract's fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

from diplowatch.errors import AnalysisBudgetError
from diplowatch.extractors.claims.context import Candidate, SentenceContext, drop_nested
from diplowatch.extractors.claims.lexicon import Lexicon, fold, term_in
from diplowatch.extractors.claims.phrases import Who, apposed_name, name_run, role_after
from diplowatch.extractors.claims.quotes import COMPONENT, quotes_of, sentences
from diplowatch.extractors.claims.repairs import voice_of
from diplowatch.extractors.claims.rules import RULES
from diplowatch.extractors.claims.speakers import SpeakerResolver
from diplowatch.extractors.claims.tokens import core_branch, text_of
from diplowatch.extractors.records import Claim

if TYPE_CHECKING:
    from diplowatch.extractors.actors import ActorIndex

EXTRACTOR_VERSION = "claims-9"

# The rules read lemmas, morphology and the parse; named entities come from the ActorIndex.
UNUSED_COMPONENTS = ("ner",)


def load_nlp(model: str = "fr_core_news_md") -> Language:
    """Load the French pipeline once, without what the rules never read.

    The NER is excluded (it is ~20% of the time and the ActorIndex names the actors); the
    quote-aware sentence component is added in front of the parser.
    """
    nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    if COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(COMPONENT, before="parser" if "parser" in nlp.pipe_names else None)
    return nlp


class ClaimExtractor:
    """Extracts the claims of article texts; one instance per process, reused for every text."""

    def __init__(self, nlp: Language, actors: ActorIndex, lexicon: dict[str, Any]) -> None:
        self.nlp = nlp
        if COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(COMPONENT, before="parser" if "parser" in nlp.pipe_names else None)
        self.actors = actors
        self.lexicon = lexicon
        self.lex = Lexicon(lexicon)
        self.speaker_conf: dict[str, Any] = self.lex.conf.get("speakers", {})
        self.rules = [RULES[name] for name in self.lex.rules if name in RULES]
        self.context_aux = frozenset({"aux:tense", "aux:pass"})

    # -- API -----------------------------------------------------------------------------------
    def extract(
        self, text: str, *, published: date | None = None, title: str | None = None
    ) -> list[Claim]:
        """The claims of one article text (`title` is not searched: headlines lack cues)."""
        if not text or not text.strip():
            return []
        return self.claims_of(self.nlp(text), published)

    def extract_many(
        self, docs: Iterable[tuple[str, date | None]], *, batch_size: int = 32
    ) -> Iterator[list[Claim]]:
        """One list of claims per (text, published) input, in order, through `nlp.pipe`."""
        for outcome in self.extract_each(docs, batch_size=batch_size):
            assert not isinstance(outcome, AnalysisBudgetError)  # no budget, no such outcome
            yield outcome

    def extract_each(
        self,
        docs: Iterable[tuple[str, date | None]],
        *,
        batch_size: int = 32,
        budget: float | None = None,
    ) -> Iterator[list[Claim] | AnalysisBudgetError]:
        """As `extract_many`, with a time budget per document: the rules of a document still
        running `budget` seconds after its parse stop, and its error comes in place of its
        claims (the parse itself is bounded by the length of the text, see [analysis])."""
        for doc, published in self.nlp.pipe(
            ((text or "", published) for text, published in docs),
            as_tuples=True,
            batch_size=batch_size,
        ):
            if not doc.text.strip():
                yield []
                continue
            deadline = None if budget is None else perf_counter() + budget
            try:
                yield self.claims_of(doc, published, deadline=deadline)
            except AnalysisBudgetError as exc:
                yield exc

    # -- one parsed document -------------------------------------------------------------------
    def claims_of(
        self, doc: Doc, published: date | None, *, deadline: float | None = None
    ) -> list[Claim]:
        """The claims of a parsed document; AnalysisBudgetError past `deadline` (perf_counter)."""
        # `doc.text` joins every token: built once here, never per sentence or claim (issue 13)
        text = doc.text
        resolver = SpeakerResolver(self.actors, published, self.lex.conf, text)
        quotes = quotes_of(doc)  # sorted by start, as are the sentences: one pass pairs them
        q = 0
        out: list[Claim] = []
        seen: set[tuple[str | None, str, int]] = set()
        for sent in sentences(doc):
            if deadline is not None and perf_counter() > deadline:
                raise AnalysisBudgetError(
                    f"claim analysis over its time budget at character {sent.start_char}"
                    f" of {len(text)}"
                )
            while q < len(quotes) and quotes[q][0] < sent.start_char:
                q += 1
            first = q
            while q < len(quotes) and quotes[q][0] < sent.end_char:
                q += 1
            if not text[sent.start_char : sent.end_char].strip():
                continue
            ctx = SentenceContext(
                sent=sent,
                lex=self.lex,
                quotes=quotes[first:q],
                text=text,
                animate=partial(self.animate, resolver=resolver),
                known=partial(self.known, resolver=resolver),
            )
            for rule in self.rules:
                rule(ctx)
            ctx.candidates = drop_nested(ctx.candidates)
            whos: dict[int, Who] = {}
            for cand in ctx.candidates:
                claim = self.claim_of(cand, ctx, resolver, whos, text)
                if claim is None:
                    continue
                key = (claim.speaker, fold(claim.content), claim.start)
                if key in seen:
                    continue
                seen.add(key)
                out.append(claim)
            self.remember_subjects(ctx, resolver)
        return out

    def animate(self, tok: Token, resolver: SpeakerResolver) -> bool:
        """Can this noun phrase be spoken to? An actor, a country, a person's name or title."""
        if tok.pos_ == "PROPN":
            return True
        if tok.lower_ in resolver.person_nouns:
            return True
        # the actor must be the phrase's head, not a noun hung on it ("aux frontières de la Russie")
        head = tok.text.lower()
        # the phrase less its clauses: "le département d'Etat", "le ministère russe de la Défense"
        core = " ".join(t.text for t in tok.subtree if t.i <= tok.i or core_branch(t, tok))
        return any(head in m.text.lower() for m in self.actors.find(core, resolver.on) if m.country)

    def known(self, tok: Token, resolver: SpeakerResolver) -> bool:
        """Does this phrase name a configured actor or a country?"""
        who = resolver.resolve_token(tok, pronoun_ok=False)
        return who is not None and bool(who.actor or who.country)

    def remember_subjects(self, ctx: SentenceContext, resolver: SpeakerResolver) -> None:
        """Subjects of main clauses that name a person feed the pronoun history too; people
        outside actors.toml named with a role anywhere are kept by surname."""
        for tok in ctx.sent:
            if tok.pos_ == "PROPN" and tok.dep_ != "flat:name" and tok.text[:1].isupper():
                # "Jan Kowal, le chef de la diplomatie polonaise, ...": known by surname after
                last = name_run(tok)[-1]
                if role_after(last, resolver.person_nouns) is not None:
                    resolver.resolve_token(tok, pronoun_ok=False)
            if (
                tok.lower_ in resolver.person_nouns
                and tok.pos_ == "NOUN"
                and apposed_name(tok) is not None
            ):
                named = resolver.resolve_token(tok, pronoun_ok=False)
                if named is not None:
                    resolver.memory.remember_named(named)
            if tok.dep_ != "nsubj" or ctx.in_direct_quote(tok):
                continue
            if tok.head.dep_ not in {"ROOT", "conj"} or tok.pos_ == "PRON":
                continue
            if any(c.speaker is not None and c.speaker.i == tok.i for c in ctx.candidates):
                continue
            who = resolver.resolve_token(tok, pronoun_ok=False)
            if who is not None and (who.person or (who.plural and who.country)):
                resolver.memory.remember(who)  # a person, or a group "ils" may point back to
        for tok in ctx.sent:
            # "..., a déclaré le président X.": the person after a reporting verb is who spoke,
            # whether or not a rule made a claim of it; a pronoun of the next sentence is X
            if inverted_speaker(tok, ctx) and not any(
                c.speaker is not None and c.speaker.i == tok.i for c in ctx.candidates
            ):
                who = resolver.resolve_token(tok, pronoun_ok=False)
                if who is not None and who.person:
                    resolver.memory.remember(who)
        resolver.memory.mentions_in(ctx.sent.text)

    def claim_of(
        self,
        cand: Candidate,
        ctx: SentenceContext,
        resolver: SpeakerResolver,
        whos: dict[int, Who],
        text: str,
    ) -> Claim | None:
        if cand.speaker is None:
            return None
        who = whos.get(cand.speaker.i)
        if who is None:
            voice = voice_of(cand.speaker, cand.verb)
            who = resolver.resolve_token(voice) if voice is not None else None
            if voice is not None and who is not None and not (who.actor or who.country):
                # "le Kremlin, par la voix de son porte-parole": the role of the speaker's body
                owner = resolver.resolve_token(cand.speaker)
                if owner is not None and (owner.actor or owner.country):
                    who = resolver.role_of(voice, owner)
            if who is None or not (who.actor or who.person):
                who = resolver.resolve_token(cand.speaker)
            if who is not None and not who.person and cand.verb is not None:
                who = self.inverted_person(cand.verb, ctx, resolver) or who
            if who is None:
                return None
            if not self.identifiable(cand.speaker, who):
                return None
            whos[cand.speaker.i] = who
            if cand.speaker.lower_ not in {"il", "elle", "ils", "elles", "-il", "-elle"}:
                resolver.memory.remember(who)
        addressee: str | None = None
        if cand.addressee is not None:
            target = resolver.resolve_token(cand.addressee, counterpart_of=who, pronoun_ok=False)
            if target is not None:
                addressee = target.name
        source = cand.source
        if cand.reported_by is not None and source is None:
            outer = cand.reported_by
            if outer.speaker is not None and outer.speaker.i in whos:
                source = whos[outer.speaker.i].name
        content = self.content_text(cand, ctx, text)
        if not content:
            return None
        sent = ctx.sent
        sentence = sent.text.rstrip()
        return Claim(
            speaker=who.name,
            speaker_actor=who.actor,
            speaker_country=who.country,
            kind=self.kind_of(cand),
            cue=cand.cue.text,
            addressee=addressee,
            source=source,
            content=content,
            direct=cand.direct,
            sentence=sentence,
            start=sent.start_char,
            end=sent.start_char + len(sentence),
            rule=cand.rule,
        )

    def inverted_person(
        self, verb: Token, ctx: SentenceContext, resolver: SpeakerResolver
    ) -> Who | None:
        """ "Les négociateurs américains se rendront à X, a précisé l'émissaire américain": the
        person set after the reporting verb speaks, not a group or institution before it."""
        for child in verb.children:
            if inverted_speaker(child, ctx):
                who = resolver.resolve_token(child, pronoun_ok=False)
                if who is not None and who.person:
                    return who
        return None

    def identifiable(self, tok: Token, who: Who) -> bool:
        """A speaker must name someone: an actor, a country, a person, or a proper name."""
        if who.actor or who.country or who.person:
            return True
        if tok.pos_ in {"PROPN"} or tok.text[:1].isupper():
            return True
        return tok.lower_ in {"il", "elle", "ils", "elles", "-il", "-elle"}

    def content_text(self, cand: Candidate, ctx: SentenceContext, text: str) -> str:
        """The claim's words; `text` is the document's text (a direct quote is cut from it)."""
        if cand.direct and cand.quote is not None:
            a, b = cand.quote
            if cand.cut is not None:
                # "« A, a-t-il dit, B »": the quote less its incise
                inner = text[a + 1 : cand.cut[0]] + " " + text[cand.cut[1] : b - 1]
            else:
                inner = text[a + 1 : b - 1]
            inner = re.sub(r"\s+([,.])", r"\1", inner)
            return re.sub(r"\s+", " ", inner).strip(" ,")
        return text_of(cand.content)

    def kind_of(self, cand: Candidate) -> str:
        """The cue's kind, unless the content says more ("s'exposerait à des sanctions si ...")."""
        kind = cand.cue.kind
        lemmas = (
            " "
            + " ".join(
                fold(t.lemma_)
                for t in cand.content
                if t.dep_ not in self.context_aux and not t.is_punct
            )
            + " "
        )
        if any(t.morph.get("Mood", []) == ["Cnd"] for t in cand.content):
            lemmas += "@cond "  # a conditional verb: "entraînerait", "s'exposerait"
        words = " " + " ".join(fold(t.text) for t in cand.content if not t.is_punct) + " "
        cue = fold(cand.cue.text)
        for rule in self.lex.context_rules:
            if kind not in rule.cue_kinds:
                continue
            if rule.cues and cue not in rule.cues:
                continue
            if all(any(term_in(term, lemmas, words) for term in group) for group in rule.groups):
                return rule.kind
        return kind


def inverted_speaker(tok: Token, ctx: SentenceContext) -> bool:
    """Is `tok` the subject set after a reporting verb that follows the words ("..., a indiqué
    jeudi la ministre")? The parser labels it `obj` or `nsubj`; a comma or a closing quote
    comes before the verb (or its auxiliary), and only adverbs and dates between."""
    verb = tok.head
    if tok.dep_ not in {"obj", "nsubj", "nsubj:pass"} or tok.pos_ not in {"NOUN", "PROPN"}:
        return False
    if not (verb.i < tok.i <= verb.i + 4):
        return False
    first = min([verb.i, *(c.i for c in verb.children if c.dep_.startswith("aux"))])
    if first == 0 or verb.doc[first - 1].text not in {",", "»", '"', "”"}:
        return False
    between = verb.doc[verb.i + 1 : tok.i]
    return (
        all(
            t.pos_ in {"ADV", "NUM"} or t.dep_ in {"det", "advmod", "obl:mod", "nummod", "punct"}
            for t in between
        )
        and ctx.lex.cue_at(verb) is not None
    )  # last: the lexicon look-up is the dear part
