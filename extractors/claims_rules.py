"""The construction rules: one small function per pattern family, registered by name.

Each rule reads one parsed sentence (a `SentenceContext`) and proposes `Candidate`s: which token
is the cue, which token heads the speaker, which tokens make the content, whether that content is
a direct quote, the addressee and the source. Resolving names, kinds and offsets is left to
`claims.py`, so a rule is only about French syntax as the dependency parse shows it.

Why rules and not a window of words: "X a dénoncé A et a demandé B" holds two claims whose limits
are the two verbs' subtrees, and "« ... », a fait savoir le Kremlin" puts the speaker after the
cue; the parse gives both without counting words. The parse also makes known mistakes on French
news (a que-clause hung on the addressee, a subject labelled `dep`); each rule that works around
one says so.

The rule order is `RULE_ORDER`; `[claims] rules` in config/lexicon.toml can narrow it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Span, Token

from diplowatch.extractors.schemas import RULE_ORDER  # lexicon.toml checks its names

SUBJECT_DEPS = frozenset({"nsubj", "expl:subj"})
CLAUSE_MARKS = frozenset({"que", "qu'", "qu’", "de", "d'", "d’", "à", "pour", "si", "s'", "s’"})
INVERTED = frozenset({"-t", "-il", "-elle", "-ils", "-elles", "-on"})
REFLEXIVES = frozenset({"s'", "se"})
SKIP_BETWEEN = frozenset({"AUX", "ADV", "PUNCT", "SPACE", "CCONJ"})


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes: the form lexicon entries are compared in."""
    text = text.lower().replace("’", "'")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


# -- the lexicon, compiled once ------------------------------------------------------------------


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


# -- what a rule proposes ----------------------------------------------------------------------


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


# -- shared syntax helpers ---------------------------------------------------------------------


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


AUXILIARIES = frozenset(
    {"a", "ont", "avait", "avaient", "aura", "auront", "aurait", "est", "sont", "s'est", "était"}
)
ADVERBIAL_GAP = 6  # tokens an adverbial phrase may hold between auxiliary and participle


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


def subject_before_auxiliary(verb: Token) -> Token | None:
    """The subject of "X a en revanche rejeté", "X a pour sa part suggéré" when the parser, lost
    in the adverbial phrase, hung the participle elsewhere: the noun phrase ending right before
    the auxiliary that opens the gap."""
    doc = verb.doc
    if verb.morph.get("VerbForm", []) != ["Part"]:
        return None
    k = verb.i - 1
    lo = max(verb.sent.start, verb.i - ADVERBIAL_GAP - 1)
    while k >= lo and not (doc[k].lower_ in AUXILIARIES and doc[k].pos_ in {"AUX", "VERB"}):
        if doc[k].pos_ in {"VERB", "PUNCT"} and doc[k].text not in {",", "-"}:
            return None
        k -= 1
    if k < lo or k == verb.i - 1:
        return None
    j = k - 1
    while j >= verb.sent.start and doc[j].is_punct and doc[j].text == ",":
        j -= 1
    if j < verb.sent.start or doc[j].pos_ not in {"NOUN", "PROPN", "ADJ", "X"}:
        return None
    tok = doc[j]
    while tok.head.i != tok.i and tok.head.i < k and tok.dep_ not in {"nsubj", "nsubj:pass"}:
        tok = tok.head
    if tok.pos_ not in {"NOUN", "PROPN", "X"}:
        return None
    return tok


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


def subject_apposed_to_addressee(verb: Token) -> Token | None:
    """ "« ... », a demandé à Vladimir Poutine le secrétaire général de l'ONU": the parser makes
    the inverted subject an apposition of the addressee before it. A definite noun phrase right
    after the name (no comma between) is the subject; one after a comma is the addressee's own
    apposition ("à Vladimir Poutine, le président russe, ...")."""
    for child in verb.children:
        if child.i <= verb.i or case_of(child) not in {"a", "au", "aux"}:
            continue
        for appos in child.children:
            if appos.dep_ != "appos" or appos.pos_ != "NOUN":
                continue
            first = min(appos.subtree, key=lambda t: t.i)
            before = appos.doc[first.i - 1]
            definite = first.pos_ == "DET" and "Def" in first.morph.get("Definite", [])
            if definite and before.text != ",":
                return appos
    return None


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


def member_of(ids: set[int]) -> Callable[[Token], bool]:
    """A pruning test for `subtree_tokens`: the token is one of `ids`."""
    return lambda t: t.i in ids


def subtree_tokens(tok: Token, stop: Callable[[Token], bool]) -> list[Token]:
    """`tok`'s subtree, pruning every branch whose head `stop` rejects."""
    out: list[Token] = []
    stack = [tok]
    while stack:
        cur = stack.pop()
        if cur is not tok and stop(cur):
            continue
        out.append(cur)
        stack.extend(cur.children)
    return out


def phrase_of(tok: Token, *, bare: bool = False) -> list[Token]:
    """A noun phrase: its subtree less relative clauses and outer punctuation.

    `bare` also drops the leading preposition: "dans un communiqué" -> "un communiqué".
    """
    toks = subtree_tokens(tok, lambda t: t.dep_ in {"acl:relcl", "parataxis"})
    toks.sort(key=lambda t: t.i)
    while toks and toks[-1].is_punct:
        toks.pop()
    if bare:
        while (
            toks and toks[0].i < tok.i and (toks[0].dep_ in {"case", "fixed"} or toks[0].is_punct)
        ):
            toks.pop(0)
    return toks


def case_of(tok: Token) -> str:
    for child in tok.children:
        if child.dep_ == "case":
            return fold(child.text)
    return ""


def is_source_phrase(tok: Token, lex: Lexicon) -> bool:
    """ "dans un communiqué", "sur Twitter", "dans un entretien au Monde": a channel, not content"""
    if tok.pos_ not in {"NOUN", "PROPN"}:
        return False
    return case_of(tok) in lex.source_preps and (
        fold(tok.lemma_) in lex.source_nouns or fold(tok.text) in lex.source_nouns
    )


def text_of(tokens: list[Token]) -> str:
    """The tokens' text with their own spacing; a gap left by a removed phrase becomes a space."""
    if not tokens:
        return ""
    toks = sorted(tokens, key=lambda t: t.i)
    parts: list[str] = []
    for k, t in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        ws = t.whitespace_ if nxt is not None and nxt.i == t.i + 1 else " "
        parts.append(t.text + ws)
    text = "".join(parts)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)  # French keeps its space before » and ”
    text = re.sub(r",\s*,", ",", text)
    return text.strip(" ,;:.-–—")


def trim_content(tokens: list[Token]) -> list[Token]:
    """Drop the clause marks and punctuation at the edges: "qu'il ..." -> "il ..."."""
    toks = sorted(tokens, key=lambda t: t.i)
    while toks and (toks[0].is_punct or toks[0].is_space or fold(toks[0].text) in CLAUSE_MARKS):
        if toks[0].text in '«“"' and len(toks) > 1:
            break
        if toks[0].dep_ == "det":  # "d'autres sanctions": a determiner, not a clause mark
            break
        toks = toks[1:]
    while toks and (toks[-1].is_space or (toks[-1].is_punct and toks[-1].text not in '»”")')):
        toks = toks[:-1]
    return toks


def addressee_of(verb: Token, ctx: SentenceContext, partners: Iterable[int] = ()) -> Token | None:
    """ "à Vladimir Poutine", "à son homologue": an animate "à"-phrase on the verb.

    Also the direct object of the verbs that take their addressee that way ("appeler Moscou à").
    Animacy is judged in `claims.py` (a resolvable actor, a name, a person noun), so "à la
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


COMPLEMENT_MARKS = frozenset({"que", "qu'", "de", "d'", "a"})


def misattached_clauses(noun: Token) -> list[Token]:
    """Complement clauses the parser hung on a noun next to the verb instead of on the verb.

    "a fait savoir à X que ...", "a demandé à X de retirer ...", "a indiqué dans un communiqué
    que ...": the clause comes out as a relative clause (`acl`) of X or of "communiqué". A clause
    opened by que/de/à right after the noun phrase is the verb's complement.
    """
    out: list[Token] = []
    for child in noun.children:
        if not child.dep_.startswith("acl") or child.i < noun.i:
            continue
        if any(fold(c.text) in COMPLEMENT_MARKS and c.i < child.i for c in child.children):
            out.extend(subtree_tokens(child, lambda t: False))
    for child in noun.children:
        # "a condamné dans un communiqué « une attaque injustifiée »": a bare noun phrase (no
        # preposition) after the source noun is the verb's object, not the noun's complement
        if child.dep_ not in {"nmod", "appos"} or child.i < noun.i:
            continue
        if any(c.dep_ == "case" for c in child.children):
            continue
        first = min(child.subtree, key=lambda t: t.i)
        if first.pos_ == "DET" or first.text in QUOTE_OPENERS:
            out.extend(subtree_tokens(child, lambda t: False))
    return out


QUOTE_OPENERS = frozenset({"«", "“", '"'})


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


# -- the pattern families ----------------------------------------------------------------------


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


PRONOUN_SUBJECTS = frozenset({"-il", "-elle", "-ils", "-elles"})
OPENING_LINKS = frozenset(
    {"mais", "et", "or", "pourtant", "cependant", "toutefois", "neanmoins", "ainsi", "donc"}
    | {"enfin", "puis", "certes", "surtout", "ensuite", "aussi"}
)


def incise_speaker(verb: Token, ctx: SentenceContext) -> tuple[Token, Token] | None:
    """For a cue verb set between commas ("..., a affirmé le porte-parole, ...", "..., a-t-il
    ajouté, ..."): the comma that opens the incise and the speaker, or None."""
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
        return doc[k], pronoun
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
    return doc[k], head


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


RELATIVES = frozenset({"qui", "dont", "ou", "lequel", "laquelle", "lesquels", "lesquelles"})


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
        found = incise_speaker(tok, ctx)
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
        src = source_of(tok, ctx.lex, cue.tokens)
        channel = text_of(phrase_of(src, bare=True)) if src is not None else None
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


# -- participles and gerunds as cues -------------------------------------------------------------

# the clitics that may stand between the comma (or "en") and a participle: "se disant",
# "le pressant de", "ne cachant pas", "leur demandant de"
CLITICS = frozenset({"se", "s'", "le", "la", "les", "l'", "lui", "leur", "nous", "vous"})
CLITICS |= {"ne", "n'"}
# participle endings -> infinitive endings, longest first: the tagger often reads a participle
# after a comma as a noun ("sommant") or an auxiliary ("affirmant ne pas ..."), lemma and all
PARTICIPLE_ENDINGS = (
    ("aissant", "aitre"),
    ("issant", "ir"),
    ("aisant", "aire"),
    ("isant", "ire"),
    ("ttant", "ttre"),
    ("eant", "er"),
    ("cant", "cer"),
    ("uant", "uer"),
    ("enant", "enir"),
    ("ant", "er"),
    ("ant", "ir"),
    ("ant", "re"),
)


def participle_lemmas(tok: Token) -> list[str]:
    """Infinitives a word in -ant may come from: the lemmatizer's, then the regular ones."""
    word = fold(tok.text)
    out = [verb_lemma(tok)] if tok.pos_ in {"VERB", "AUX"} else []
    for end, repl in PARTICIPLE_ENDINGS:
        if word.endswith(end) and len(word) > len(end) + 1:
            out.append(word[: -len(end)] + repl)
    return out


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
    if doc[k].text == "," or fold(doc[k].text) == "en":
        return reflexive
    return None


def participle_cue(tok: Token, reflexive: bool, ctx: SentenceContext) -> Cue | None:
    """The cue a participle stands for: a phrase ("se disant prêt", "se disant préoccupé")
    before its verb alone ("se disant" -> "se dire")."""
    nxt = tok.doc[tok.i + 1] if tok.i + 1 < ctx.sent.end else None
    for lemma in participle_lemmas(tok):
        present = {lemma, *(("se",) if reflexive else ())}
        if nxt is not None:
            present |= {fold(nxt.text), fold(nxt.lemma_), verb_lemma(nxt)}
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
        ids = {t.i for t in content} | {tok.i}
        for cand in ctx.candidates:
            # the clause was read as the end of the previous claim's content: it is its own
            cand.content = [t for t in cand.content if t.i not in ids]
        ctx.add(Candidate(cue, tok, speaker, content, False, None))


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
