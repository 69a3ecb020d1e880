"""config/lexicon.toml's [claims] tables compiled once: cues (verbs and phrases), context rules,
the adverbial locutions; `fold`, the form every lexicon entry is compared in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Token

from diplowatch.extractors.schemas import RULE_ORDER  # lexicon.toml checks its names

REFLEXIVES = frozenset({"s'", "se"})


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes: the form lexicon entries are compared in."""
    text = text.lower().replace("’", "'")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue as found on a token: its display form and kind, and the tokens it spans."""

    text: str
    kind: str
    tokens: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ContextRule:
    """Turns a claim's kind into `kind` when its content holds one term of each group."""

    kind: str
    cue_kinds: frozenset[str]
    groups: tuple[tuple[str, ...], ...]
    cues: frozenset[str] = frozenset()


class Lexicon:
    """config/lexicon.toml's [claims] tables as lookup structures.

    Single verbs map lemma -> (kind, display). A multi-word cue ("faire savoir", "exprimer
    préoccupation", "se dire prêt") is a set of lemmas that must sit on one verb and its direct
    dependents (or its head), whatever the word order; it wins over its verb alone.
    """

    def __init__(self, lexicon: dict[str, Any]) -> None:
        conf = lexicon.get("claims", lexicon)
        self.conf = conf
        self.verbs: dict[str, tuple[str, str]] = {}
        self.phrases: list[tuple[tuple[str, ...], str, str]] = []  # (lemmas, kind, display)
        for kind, table in conf.get("kinds", {}).items():
            for entry in table.get("cues", []):
                words = [fold(w) for w in re.split(r"[\s]+", entry.replace("'", "e ").strip()) if w]
                words = ["se" if w in {"se", "s"} else w for w in words]
                if len(words) == 1:
                    self.verbs.setdefault(words[0], (kind, entry))
                else:
                    self.phrases.append((tuple(words), kind, entry))
        # longest phrases first: "se dire prêt" before "se dire"
        self.phrases.sort(key=lambda p: -len(p[0]))
        self.source_nouns = frozenset(fold(w) for w in conf.get("sources", {}).get("nouns", []))
        self.source_preps = frozenset(
            fold(w) for w in conf.get("sources", {}).get("prepositions", ["dans", "sur"])
        )
        self.according = frozenset(fold(w) for w in conf.get("according", {}).get("words", []))
        self.obj_addressee = frozenset(
            fold(w) for w in conf.get("addressee", {}).get("object_verbs", [])
        )
        self.context_rules: list[ContextRule] = []
        for rule in conf.get("context", []):
            self.context_rules.append(
                ContextRule(
                    kind=rule["kind"],
                    cue_kinds=frozenset(rule.get("cue_kinds", ["statement"])),
                    groups=tuple(tuple(fold(t) for t in g) for g in rule["all"]),
                    cues=frozenset(fold(c) for c in rule.get("cues", [])),
                )
            )
        self.rules: list[str] = list(conf.get("rules", RULE_ORDER))
        # "en outre", "pour sa part": word sequences skipped between auxiliary and cue verb
        self.adverbials: frozenset[tuple[str, ...]] = frozenset(
            tuple(fold(w) for w in re.findall(r"[\w-]+'?", phrase))
            for phrase in conf.get("adverbials", [])
        )
        # cues that report speech only next to a quote or as an incise ("a lancé", "a réagi")
        self.quote_only = frozenset(fold(c) for c in conf.get("quote_only", []))
        # cue -> the words one of which must open its complement ("appeler" only with "à")
        self.requires: dict[str, frozenset[str]] = {
            fold(cue): frozenset(fold(w) for w in words)
            for cue, words in conf.get("requires", {}).items()
        }

    def adverbial_at(self, tok: Token) -> int:
        """The number of tokens of the adverbial phrase starting at `tok` ("pour sa part"), or 0."""
        doc = tok.doc
        for size in (4, 3, 2, 1):
            words = tuple(fold(t.text) for t in doc[tok.i : tok.i + size])
            if len(words) == size and words in self.adverbials:
                return size
        return 0

    def adverbial_ending_at(self, tok: Token) -> int:
        """The number of tokens of the adverbial phrase ending at `tok`, or 0."""
        doc = tok.doc
        for size in (4, 3, 2, 1):
            if tok.i - size + 1 < 0:
                continue
            words = tuple(fold(t.text) for t in doc[tok.i - size + 1 : tok.i + 1])
            if words in self.adverbials:
                return size
        return 0

    def cue_at(self, tok: Token) -> Cue | None:
        """The cue whose verb is `tok`, or None. Nouns and adjectives are never cue heads."""
        if tok.pos_ not in {"VERB", "AUX"} and not (
            tok.pos_ == "ADJ"
            # "a-t-il cependant tempéré": a participle with its auxiliary, read as an adjective
            and (tok.dep_ == "ROOT" or any(c.dep_ == "aux:tense" for c in tok.children))
        ):
            return None
        if any(c.dep_ == "det" and c.i < tok.i for c in tok.children):
            return None  # "une offre", "la demande": a noun the tagger read as a verb
        lemma = verb_lemma(tok)
        near = [tok, *tok.children]
        if tok.head.i != tok.i:
            near.append(tok.head)
        for child in tok.children:
            if child.dep_ in {"ccomp", "advcl"}:
                # "a insisté pour que ...": the clause's opening word right after the verb
                near.extend(c for c in child.children if c.dep_ == "mark" and c.i == tok.i + 1)
            if child.dep_ in {"conj", "ccomp", "advcl", "parataxis"}:
                continue  # "s'est dit satisfait et a affirmé que Moscou était prêt": another clause
            near.extend(
                c for c in child.children if c.dep_ in {"case", "fixed", "det"} or c.pos_ == "ADJ"
            )
        # "a décrit l'accord sur les prisonniers comme ...": the particle of a phrase cue may sit
        # deep in the object; taken when no other verb stands between it and the cue
        near.extend(t for t in tok.subtree if t.i > tok.i and particle_of(t, tok))
        lemmas: dict[str, Token] = {}
        for t in near:
            lemma = verb_lemma(t) if t.pos_ in {"VERB", "AUX"} else fold(t.lemma_)
            # repair: the lemmatizer gives "se" for "s'" but leaves "s’" (curly) as it is
            lemmas.setdefault("se" if lemma in REFLEXIVES else lemma, t)
            lemmas.setdefault(fold(t.text), t)
        lemma = verb_lemma(tok)
        for words, kind, display in self.phrases:
            if lemma not in words:
                continue
            if all(w in lemmas for w in words):
                toks = tuple(sorted({lemmas[w].i for w in words}))
                return Cue(display, kind, toks)
        if lemma in self.verbs:
            kind, display = self.verbs[lemma]
            if tok.pos_ == "AUX" and tok.dep_ in {"aux:tense", "aux:pass", "cop"}:
                return None
            return Cue(display, kind, (tok.i,))
        return None


PARTICLES = frozenset({"comme", "dans"})


def particle_of(t: Token, verb: Token) -> bool:
    """Is `t` "comme"/"dans" governed by `verb` with no other verb on the way up?"""
    if fold(t.text) not in PARTICLES:
        return False
    cur = t.head
    while cur.i != verb.i:
        if cur.pos_ in {"VERB", "AUX"} or cur.head.i == cur.i:
            return False
        cur = cur.head
    return True


PARTICIPLES = (
    ("ées", "er"),
    ("és", "er"),
    ("ée", "er"),
    ("é", "er"),
    ("it", "ire"),
    ("ite", "ire"),
)


def verb_lemma(tok: Token) -> str:
    """The lemma, repaired where the lemmatizer leaves a participle as it is ("dénoncé")."""
    lemma = fold(tok.lemma_)
    if lemma == fold(tok.text) and tok.morph.get("VerbForm", []) == ["Part"]:
        low = fold(tok.text)
        for end, repl in PARTICIPLES:
            if low.endswith(fold(end)):
                return low[: -len(fold(end))] + repl
    return lemma


def term_in(term: str, lemmas: str, words: str) -> bool:
    """A lexicon term as whole words, in the lemmas or in the words as written."""
    needle = f" {term} "
    return needle in lemmas or needle in words
