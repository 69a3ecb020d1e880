"""Who speaks and to whom: subject phrases, pronouns and role nouns turned into actors.

Why a separate module: the same resolution serves speakers, addressees and "selon X", and it is
where the article's date matters ("le président russe" is whoever held the office that day),
so it wraps the `ActorIndex` once per document; what the document told before (pronouns, "ce
dernier", bare role nouns) is asked of its `SpeakerMemory` (`speaker_memory`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from spacy.tokens import Token

from diplowatch.extractors.claims.lexicon import fold
from diplowatch.extractors.claims.phrases import (
    Who,
    apposed_name,
    full_name,
    gender_of,
    is_name,
    name_run,
    phrase_tokens,
    role_after,
    role_before,
    text_of,
)
from diplowatch.extractors.claims.speaker_memory import (
    PRONOUNS_PLUR,
    PRONOUNS_SING,
    SpeakerMemory,
)

if TYPE_CHECKING:
    from diplowatch.extractors.actors import ActorIndex, Mention

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
LAST_MENTIONED = frozenset({"dernier", "dernière"})


def role_key(text: str) -> str:
    """ "chef de l' Etat" and "chef de l'Etat" as one key."""
    return re.sub(r"'\s*", "'", " ".join(fold(text).split()))


def demonym_table(conf: dict[str, Any]) -> dict[str, str]:
    """[claims.demonyms] CODE = [adjective forms] -> folded form -> code."""
    table: dict[str, str] = {}
    for code, forms in conf.items():
        for form in forms:
            table.setdefault(fold(form), str(code))
    return table


class SpeakerResolver:
    """Resolves speaker and addressee phrases of one document, in reading order."""

    def __init__(
        self, actors: ActorIndex, on: date | None, lexicon: dict[str, Any], text: str = ""
    ) -> None:
        self.actors = actors
        self.on = on
        conf = lexicon.get("speakers", {})
        self.person_nouns = frozenset(conf.get("person_nouns", []))
        self.counterpart_nouns = frozenset(conf.get("counterpart_nouns", ["homologue"]))
        self.counterpart_roles: list[str] = list(conf.get("counterpart_roles", ["président"]))
        self.anaphoric_roles = frozenset(role_key(r) for r in conf.get("anaphoric_roles", []))
        self.demonyms: dict[str, str] = demonym_table(lexicon.get("demonyms", {}))
        anaphora_window = int(conf.get("anaphora_window", 4))
        self.memory = SpeakerMemory(actors, on, self.person_nouns, anaphora_window, text)

    def demonym_country(self, tokens: list[Token]) -> str | None:
        """The country of the first nationality adjective of a phrase ("finlandais" -> FIN)."""
        for t in tokens:
            if t.pos_ in {"ADJ", "NOUN", "PROPN"}:
                code = self.demonyms.get(fold(t.text))
                if code is not None:
                    return code
        return None

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
        if mention is not None and person and head.pos_ != "PROPN":
            mention = self._owner(full, mention)
        if mention is not None:
            actor = mention.actor
            if actor is not None and actor.kind != "person" and person and head.pos_ != "PROPN":
                # "le ministre des Affaires étrangères de la Pologne": a person of that country,
                # not the country itself
                return Who(shown, None, mention.country or actor.country, True, gender, plural)
            if actor is not None:
                person = actor.kind == "person"
                if person and head.lower_ not in self.person_nouns and head.pos_ != "PROPN":
                    # "des sources proches de X": the phrase's gender and number are not X's
                    gender, plural = None, False
                return Who(
                    actor.name, actor.name, mention.country or actor.country, person, gender, plural
                )
            return Who(shown, None, mention.country, person, gender, plural)
        return Who(shown, None, None, person, gender, plural)

    def _owner(self, phrase: str, best: Mention) -> Mention:
        """A role's country is the first actor its phrase names ("l'ambassadeur de France à
        Washington" is French), unless a person is named or a role held in it."""
        if best.how == "role" or (best.actor is not None and best.actor.kind == "person"):
            return best
        mentions = self.actors.find(phrase, self.on)
        return mentions[0] if mentions else best

    def _counterpart(self, phrase: str, of: Who) -> Mention | None:
        """ "son homologue américain": the holder of the speaker's office in that country."""
        words = phrase.lower().split()
        if not any(w in self.counterpart_nouns for w in words):
            return None
        rest = [
            w for w in words if w not in self.counterpart_nouns and w not in {"son", "sa", "leur"}
        ]
        fallback: Mention | None = None
        for role in self._roles_held(of):
            phrases = [" ".join(["le", role, *rest])]
            code = self.demonyms.get(fold(rest[0])) if len(rest) == 1 else None
            if code is not None:
                # "chef de la diplomatie" + "chinois": the role's own agreement ("chinoise")
                phrases += [f"le {role} {form}" for form in self._forms(code)]
            for phrase in phrases:
                found = self.actors.resolve(phrase, self.on)
                if found is not None and found.how == "role":
                    if found.actor is not None and found.actor.kind == "person":
                        return found
                    fallback = fallback or found
        return fallback

    def _forms(self, code: str) -> list[str]:
        return [form for form, c in self.demonyms.items() if c == code]

    def _roles_held(self, who: Who) -> list[str]:
        """The counterpart roles, the one `who` holds in their own country first: a foreign
        minister's counterpart is a foreign minister, a president's a president."""
        roles = list(self.counterpart_roles)
        if who.actor is None or who.country is None:
            return roles
        for role in roles:
            for form in self._forms(who.country):
                found = self.actors.resolve(f"le {role} {form}", self.on)
                if found is not None and found.actor is not None and found.actor.name == who.actor:
                    # the same office under its other names next, the first (head of state) last
                    rest = [r for r in roles[1:] if r != role]
                    return [role, *rest] if role == roles[0] else [role, *rest, roles[0]]
        return roles

    def resolve_token(
        self, head: Token, *, counterpart_of: Who | None = None, pronoun_ok: bool = True
    ) -> Who | None:
        """Resolve the noun phrase headed by `head`; None when it cannot name a speaker."""
        low = head.lower_
        if low in PRONOUNS_SING or low in PRONOUNS_PLUR:
            return self.memory.antecedent(low) if pronoun_ok else None
        if low in NOT_SPEAKERS or head.pos_ in {"ADP", "CCONJ", "SCONJ", "PUNCT", "VERB", "AUX"}:
            return None
        # the tagger reads a sentence-initial place name as a pronoun ("Kiev a exigé")
        if head.pos_ == "PRON" and (
            not head.text[:1].isupper() or self._mention(head.text) is None
        ):
            return None
        if low in LAST_MENTIONED and any(fold(c.text) in {"ce", "cette"} for c in head.children):
            return self.memory.mentioned[-1] if self.memory.mentioned else None  # "ce dernier"
        shown_toks = phrase_tokens(head, keep_appos=False)
        if head.pos_ == "PROPN" and len(shown_toks) <= 2:
            # "Vladimir Poutine", "Ursula von der Leyen": the whole name, particles included
            whole = full_name(head)
            if len(whole) > len(shown_toks) and not any(t.is_punct for t in whole):
                shown_toks = whole
        shown = text_of(shown_toks)
        full_toks = phrase_tokens(head, keep_appos=True)
        full = text_of(full_toks)
        if not shown:
            return None
        name_tok = apposed_name(head)
        if name_tok is not None:
            return self._named(head, name_tok, shown, shown_toks, counterpart_of)
        named_before = self._name_before(head, shown_toks[0])
        if named_before is not None:
            return named_before
        if is_name(head) and self._mention(shown) is None:
            # a name of its own beats the holder of the role told beside it
            titled = self._titled_name(shown, shown_toks)
            if titled is not None:
                return titled
        who = self._who(head, shown, full, counterpart_of)
        if who.actor is not None and who.person:
            return who
        if counterpart_of is None and head.lower_ in self.counterpart_nouns:
            found = self.memory.counterpart_speaker(who.country or self.demonym_country(full_toks))
            if found is not None:
                return found
        if who.actor is None and who.country is None:
            known = self.memory.named.get(fold(shown.split()[-1]))
            if known is None and shown[:1].isupper():
                known = self.memory.same_surname(shown)
            if known is not None:
                return known
        country = who.country or self.demonym_country(full_toks)
        if self._anaphoric(head, shown_toks, country, who):
            found = self.memory.anaphor(head, country)
            if found is not None:
                return found
        if who.country is None and country is not None:
            return Who(who.name, who.actor, country, who.person, who.gender, who.plural)
        return who

    def role_of(self, head: Token, owner: Who) -> Who:
        """ "son porte-parole" of the Kremlin: the holder of that role of the owner on the day
        ("porte-parole du Kremlin"), else the role speaking for the owner's country."""
        role = head.text
        for link in ("du ", "de la ", "de l'", "des ", "de "):
            found = self.actors.resolve(f"le {role} {link}{owner.name}", self.on)
            if found is not None and found.actor is not None and found.actor.kind == "person":
                actor = found.actor
                return Who(actor.name, actor.name, found.country, True, gender_of(head), role=role)
        shown = text_of(phrase_tokens(head, keep_appos=False))
        return Who(shown, None, owner.country, True, gender_of(head), role=fold(role))

    def _name_before(self, head: Token, first: Token) -> Who | None:
        """ "Mary Smith, la ministre néerlandaise, ...": a role noun set after a person's name
        (the parser may make both subjects) is that person."""
        if head.lower_ not in self.person_nouns or first.i < 2:
            return None
        doc = head.doc
        if doc[first.i - 1].text != ",":
            return None
        run = name_run(doc[first.i - 2])
        if len(run) < 2 or not all(t.pos_ == "PROPN" for t in run):
            return None
        who = self.resolve_token(run[0], pronoun_ok=False)
        return who if who is not None and who.person else None

    def _titled_name(self, shown: str, name: list[Token]) -> Who | None:
        """ "Liz Truss, la cheffe de la diplomatie britannique, a déclaré": a name outside
        actors.toml followed by its role; the role's nationality or institution gives the
        country ("la ministre allemande" DEU, "porte-parole du Kremlin" RUS)."""
        role = role_after(name[-1], self.person_nouns)
        toks = phrase_tokens(role, keep_appos=False) if role is not None else []
        if role is None:
            # "la présidente moldave Maia Sandu" parsed as a broken phrase: the role just before
            role, toks = role_before(name[0], self.person_nouns)
        if role is None:
            return None
        found = self._mention(text_of(toks))
        country = self.demonym_country(toks) or (found.country if found else None)
        who = Who(shown, None, country, True, gender_of(role), role=fold(role.text))
        self.memory.remember_named(who)
        return who

    def _named(
        self,
        head: Token,
        name_tok: Token,
        shown: str,
        shown_toks: list[Token],
        counterpart_of: Who | None,
    ) -> Who:
        """A role phrase with the person's name beside it: the name speaks, the role (or its
        nationality adjective) gives the country when the name is not a configured actor."""
        name = text_of(full_name(name_tok))
        found = self.actors.resolve(name, self.on)
        gender = gender_of(head) or gender_of(name_tok)
        if found is not None and found.actor is not None and found.actor.kind == "person":
            return Who(
                found.actor.name,
                found.actor.name,
                found.country,
                True,
                gender,
                role=fold(head.text),
            )
        role = self._who(head, shown, shown, counterpart_of)
        country = self.demonym_country(shown_toks) or role.country
        if country is None and head.lower_ in self.person_nouns:
            country = self.memory.home_country()
        return Who(name, None, country, True, gender, role=fold(head.text))

    def _anaphoric(self, head: Token, toks: list[Token], country: str | None, who: Who) -> bool:
        """Is this a definite, singular role noun that only points back to someone?"""
        if head.lower_ not in self.person_nouns and head.lower_ not in LAST_MENTIONED:
            return False
        if "Plur" in head.morph.get("Number", []):
            return False
        dets = [c for c in head.children if c.dep_ == "det"]
        if not dets or not all("Def" in d.morph.get("Definite", []) for d in dets):
            return False
        words = [
            fold(t.text)
            for t in toks
            if not (t.dep_ in {"det", "amod"} and t.head.i == head.i and t.pos_ in {"DET", "ADJ"})
            and not t.is_punct
            and (country is None or self.demonyms.get(fold(t.text)) is None)
        ]
        # an adjective of the role itself ("le dirigeant démocrate", "le nouveau ministre")
        # leaves it pointing back; a nationality adjective was taken as its country above
        if role_key(" ".join(words)) in self.anaphoric_roles:
            return True
        if any(t.text[:1].isupper() for t in toks if t.i != toks[0].i):
            return False  # "le porte-parole de la Maison Blanche": an institution is named
        # "le dirigeant du fonds souverain russe", "le dirigeant ukrainien": a role of a country
        return country is not None
