"""Who speaks and to whom: subject phrases, pronouns and role nouns turned into actors.

Why a separate module: the same resolution serves speakers, addressees and "selon X", and it is
where the article's date matters ("le président russe" is whoever held the office that day),
so it wraps the `ActorIndex` once per document and keeps the pronoun history of that document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from spacy.tokens import Span, Token

if TYPE_CHECKING:
    from extractors.actors import ActorIndex, Mention

PRONOUNS_SING = {"il": "Masc", "elle": "Fem", "-il": "Masc", "-elle": "Fem", "lui": "Masc"}
PRONOUNS_PLUR = {"ils": "Masc", "elles": "Fem", "-ils": "Masc", "-elles": "Fem", "eux": "Masc"}
# subjects that never name a speaker: first/second person (inside quotes), impersonal, indefinite
NOT_SPEAKERS = frozenset(
    [
        "je",
        "j'",
        "j’",
        "tu",
        "nous",
        "vous",
        "on",
        "ce",
        "c'",
        "c’",
        "cela",
        "ça",
        "ceci",
        "qui",
        "que",
        "quoi",
        "lequel",
        "laquelle",
        "personne",
        "rien",
        "tout",
        "tous",
        "chacun",
        "certains",
        "plusieurs",
        "aucun",
        "y",
        "en",
        "se",
        "s'",
        "s’",
    ]
)
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
    while lo > 0 and out[lo - 1].i == out[lo].i - 1:
        lo -= 1
    while hi < len(out) - 1 and out[hi + 1].i == out[hi].i + 1:
        hi += 1
    run = out[lo : hi + 1]
    while run and (run[0].is_punct or (run[0].dep_ == "case" and run[0].i != head.i)):
        run = run[1:]
    while run and run[-1].is_punct:
        run = run[:-1]
    return run or [head]


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


class SpeakerResolver:
    """Resolves speaker and addressee phrases of one document, in reading order."""

    def __init__(self, actors: ActorIndex, on: date | None, lexicon: dict[str, Any]) -> None:
        self.actors = actors
        self.on = on
        conf = lexicon.get("speakers", {})
        self.person_nouns = frozenset(conf.get("person_nouns", []))
        self.counterpart_nouns = frozenset(conf.get("counterpart_nouns", ["homologue"]))
        self.counterpart_roles: list[str] = list(conf.get("counterpart_roles", ["président"]))
        self.history: list[Who] = []

    # -- memory for pronouns ---------------------------------------------------------------
    def remember(self, who: Who | None) -> None:
        if who is not None and (who.actor or who.country or who.person):
            self.history.append(who)

    def antecedent(self, pronoun: str) -> Who | None:
        """The last fitting speaker: a person of the same gender first, then any actor."""
        low = pronoun.lower()
        plural = low in PRONOUNS_PLUR
        gender = (PRONOUNS_PLUR if plural else PRONOUNS_SING).get(low)
        if not plural:
            for who in reversed(self.history):
                if who.person and not who.plural and (who.gender in (None, gender)):
                    return who
        for who in reversed(self.history):
            if plural == who.plural or not plural:
                return who
        return self.history[-1] if self.history else None

    # -- resolution ------------------------------------------------------------------------
    def _mention(self, phrase: str) -> Mention | None:
        if not phrase:
            return None
        found = self.actors.resolve(phrase, self.on)
        if found is not None:
            return found
        mentions = self.actors.find(phrase, self.on)
        if mentions:
            # the first actor named in the phrase: "le porte-parole du Kremlin" speaks for RUS
            with_actor = [m for m in mentions if m.actor is not None and m.actor.kind == "person"]
            return (with_actor or mentions)[0]
        return None

    def _who(self, head: Token, shown: str, full: str, counterpart_of: Who | None) -> Who:
        gender = gender_of(head)
        plural = "Plur" in head.morph.get("Number", [])
        mention = self._mention(full) or (self._mention(shown) if shown != full else None)
        if (mention is None or mention.actor is None) and counterpart_of is not None:
            # "son homologue américain": a role without holder until the office is known
            mention = self._counterpart(shown, counterpart_of) or mention
        person = head.lower_ in self.person_nouns or (
            head.pos_ == "PROPN" and any(c.dep_ == "flat:name" for c in head.children)
        )
        if mention is not None:
            actor = mention.actor
            if actor is not None:
                person = actor.kind == "person"
                return Who(
                    actor.name, actor.name, mention.country or actor.country, person, gender, plural
                )
            return Who(shown, None, mention.country, person, gender, plural)
        return Who(shown, None, None, person, gender, plural)

    def _counterpart(self, phrase: str, of: Who) -> Mention | None:
        """ "son homologue américain": the holder of the speaker's office in that country."""
        words = phrase.lower().split()
        if not any(w in self.counterpart_nouns for w in words):
            return None
        rest = [
            w for w in words if w not in self.counterpart_nouns and w not in {"son", "sa", "leur"}
        ]
        for role in self.counterpart_roles:
            found = self.actors.resolve(" ".join(["le", role, *rest]), self.on)
            if found is not None:
                return found
        return None

    def resolve_token(
        self, head: Token, *, counterpart_of: Who | None = None, pronoun_ok: bool = True
    ) -> Who | None:
        """Resolve the noun phrase headed by `head`; None when it cannot name a speaker."""
        low = head.lower_
        if low in PRONOUNS_SING or low in PRONOUNS_PLUR:
            return self.antecedent(low) if pronoun_ok else None
        if low in NOT_SPEAKERS or head.pos_ in {"ADP", "CCONJ", "SCONJ", "PUNCT", "VERB", "AUX"}:
            return None
        if head.pos_ == "PRON":
            return None
        shown = text_of(phrase_tokens(head, keep_appos=False))
        full = text_of(phrase_tokens(head, keep_appos=True))
        if not shown:
            return None
        return self._who(head, shown, full, counterpart_of)

    def resolve_span(self, span: Span) -> Who | None:
        """Resolve a free phrase ("un communiqué de la Maison Blanche", "Washington")."""
        phrase = clean_phrase(span.text)
        if not phrase:
            return None
        head = span.root
        return self._who(head, phrase, phrase, None)
