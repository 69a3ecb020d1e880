"""What a rule reads and proposes: a parsed sentence (`SentenceContext`), the `Candidate`s,
and the registry of rule families (`@rule(name)`; the candidates a rule adds carry its name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from diplowatch.extractors.claims.lexicon import Cue, Lexicon


@dataclass(slots=True)
class Candidate:
    """One claim before names and kinds are resolved."""

    cue: Cue
    verb: Token | None  # the cue's head token; None for "selon X" claims
    speaker: Token | None  # head of the speaker phrase
    content: list[Token]
    direct: bool
    quote: tuple[int, int] | None = None  # character span of the quote that is the content
    addressee: Token | None = None
    source: str | None = None
    source_speaker: Token | None = None  # "selon un communiqué de Y": Y may speak
    reported_by: Candidate | None = None  # nested attribution: the channel's claim
    cut: tuple[int, int] | None = None  # characters of an incise left out of a quote's content
    rule: str = ""  # the registered rule family that proposed it (set by `SentenceContext.add`)


@dataclass(slots=True)
class SentenceContext:
    """A sentence and what earlier rules decided about it."""

    sent: Span
    lex: Lexicon
    quotes: list[tuple[int, int]]  # quote spans overlapping this sentence (characters)
    text: str = ""  # the whole document's text, built once per document (`Doc.text` joins tokens)
    animate: Callable[[Token], bool] = lambda tok: tok.pos_ == "PROPN"
    known: Callable[[Token], bool] = lambda tok: tok.pos_ == "PROPN"
    candidates: list[Candidate] = field(default_factory=list)
    used_cues: set[int] = field(default_factory=set)
    direct_quotes: list[tuple[int, int]] = field(default_factory=list)
    # (cue verb index, speaker) of every attribution seen, incises included: who a participle
    # clause ("..., précisant que") leans on
    voices: list[tuple[int, Token]] = field(default_factory=list)
    rule: str = ""  # the name of the rule running now: each candidate it adds carries it

    def holds(self, tok: Token) -> bool:
        """Is the token in this sentence? (a unit may join several parser sentences)"""
        return self.sent.start <= tok.i < self.sent.end

    def in_direct_quote(self, tok: Token) -> bool:
        return any(a < tok.idx < b for a, b in self.direct_quotes)

    def quote_tokens(self, span: tuple[int, int]) -> list[Token]:
        a, b = span
        return [t for t in self.sent if a < t.idx < b - 1 or (a < t.idx and t.idx + len(t) < b)]

    def add(self, cand: Candidate) -> None:
        cand.rule = cand.rule or self.rule
        self.candidates.append(cand)
        self.used_cues.update(cand.cue.tokens)
        if cand.verb is not None and cand.speaker is not None:
            self.voices.append((cand.verb.i, cand.speaker))


Rule = Callable[[SentenceContext], None]


RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a pattern family under `name` (the names config/lexicon.toml may list)."""

    def register(fn: Rule) -> Rule:
        def named(ctx: SentenceContext) -> None:
            # the candidates the rule adds record its name: per-rule precision reads it
            ctx.rule = name
            try:
                fn(ctx)
            finally:
                ctx.rule = ""

        named.__name__ = fn.__name__
        named.__doc__ = fn.__doc__
        RULES[name] = named
        return fn

    return register


def drop_nested(candidates: list[Candidate]) -> list[Candidate]:
    """A cue inside another claim's reported content is part of that content, not a claim of
    its own: "X a affirmé que Moscou n'accepterait aucun ..." is X's claim only. (A quote's
    reported speaker, `nested_attribution`, is kept on purpose.)"""
    inside: set[int] = set()
    for cand in candidates:
        if not cand.direct:
            inside.update(t.i for t in cand.content)
    return [
        c
        for c in candidates
        if c.direct or c.verb is None or c.rule == "nested_attribution" or c.verb.i not in inside
    ]
