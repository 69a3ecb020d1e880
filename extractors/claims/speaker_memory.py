"""What a document has told so far of its speakers: the people it named and heard, in reading
order, and who a pronoun, a bare role noun ("le ministre") or "son homologue" points back to.

Why a separate module: this memory crosses sentences (the `SpeakerResolver` of `speakers` reads
one phrase at a time and asks it), and it is the only state kept per document. Surnames are
keyed by the lexicon's comparison form (`lexicon.fold`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from spacy.tokens import Token

from diplowatch.extractors.claims.lexicon import fold
from diplowatch.extractors.claims.phrases import Who, gender_of

if TYPE_CHECKING:
    from diplowatch.extractors.actors import ActorIndex


PRONOUNS_SING = {"il": "Masc", "elle": "Fem", "-il": "Masc", "-elle": "Fem", "lui": "Masc"}
PRONOUNS_PLUR = {"ils": "Masc", "elles": "Fem", "-ils": "Masc", "-elles": "Fem", "eux": "Masc"}


class SpeakerMemory:
    """The speakers and people of one document, in reading order, and what points back to them."""

    def __init__(
        self,
        actors: ActorIndex,
        on: date | None,
        person_nouns: frozenset[str],
        anaphora_window: int,
        text: str = "",
    ) -> None:
        self.actors = actors
        self.on = on
        self.person_nouns = person_nouns
        self.anaphora_window = anaphora_window
        self.history: list[Who] = []
        self.mentioned: list[Who] = []  # people named, subject or not ("ce dernier"), in order
        # people outside actors.toml named with a role ("le Premier ministre slovaque, Robert
        # Fico"), by surname: "M. Fico" later speaks for the same country
        self.named: dict[str, Who] = {}
        self.text = text
        self._home: str | bool | None = False  # computed on first use

    def home_country(self) -> str | None:
        """The country the article is mostly about (most mentioned country among its actors):
        the country of a minister named without a nationality ("le ministre de l'Energie")."""
        if self._home is False:
            counts: dict[str, int] = {}
            for m in self.actors.find(self.text, self.on) if self.text else []:
                if m.country and len(m.country) == 3:
                    counts[m.country] = counts.get(m.country, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: -kv[1])
            # only a clear leader: a tie says nothing
            if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                self._home = ranked[0][0]
            else:
                self._home = None
        return self._home if isinstance(self._home, str) else None

    def remember_named(self, who: Who) -> None:
        if who.actor is None and who.person and who.country:
            self.named[fold(who.name.split()[-1])] = who

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
                # a configured person is one, whatever the number of the phrase that named them
                single = not who.plural or (who.actor is not None and who.person)
                if who.person and single and (who.gender in (None, gender)):
                    return who
        for who in reversed(self.history):
            if plural == who.plural:
                return who
        if plural:
            return None  # "ils" with no group or people on record: nobody to point to
        return self.history[-1] if self.history else None

    def mention(self, who: Who | None) -> None:
        """A person named anywhere in a sentence: what "ce dernier" points back to."""
        if who is not None and who.person:
            self.mentioned.append(who)

    def mentions_in(self, text: str) -> None:
        """Feed `mention` with the people a sentence names, in order (names, roles, and role
        nouns of a country such as "le dirigeant ukrainien")."""
        for m in self.actors.find(text, self.on):
            if m.actor is not None and m.actor.kind == "person":
                self.mention(Who(m.actor.name, m.actor.name, m.country, True, None))
            elif m.how == "group" and m.country:
                words = fold(m.text).split()
                if any(w in self.person_nouns for w in words[:2]):
                    for who in [*reversed(self.history), *reversed(self.mentioned)]:
                        if who.person and who.country == m.country:
                            self.mention(who)
                            break

    def same_surname(self, shown: str) -> Who | None:
        """ "M. Vance", "Vance": a surname that is not an actor's name on its own (a first name
        too) names the configured person of that surname already named in the article."""
        last = fold(shown.split()[-1])
        if len(last) < 3:
            return None
        for who in [*reversed(self.mentioned), *reversed(self.history)]:
            if who.actor and who.person and fold(who.actor.split()[-1]) == last:
                return who
        return None

    def anaphor(self, head: Token, country: str | None) -> Who | None:
        """A definite role noun without a name ("le ministre", "le chef de l'Etat", "le dirigeant
        ukrainien") names the last fitting person of the recent sentences, as a pronoun would."""
        gender = gender_of(head)
        role = fold(head.text)
        # "le porte-parole a ajouté": the last person named with that role, not the last speaker
        for who in list(reversed(self.history))[: 3 * self.anaphora_window]:
            if who.role == role and (country is None or who.country == country):
                return who
        recent = list(reversed(self.history))[: self.anaphora_window]
        if country is not None:
            recent += list(reversed(self.mentioned))[: 2 * self.anaphora_window]
        for who in recent:
            if not who.person or who.plural:
                continue
            if country is not None and who.country != country:
                continue
            if gender is not None and who.gender not in (None, gender):
                continue
            return who
        return None

    def counterpart_speaker(self, country: str | None) -> Who | None:
        """ "Son homologue russe a répondu": the last person of that country named or heard
        (the other side of the talks just told), or, without a nationality, the last person of
        another country than the last speaker."""
        people = [w for w in [*self.mentioned[-8:], *self.history[-4:]] if w.person]
        if country is None:
            if not self.history:
                return None
            last = self.history[-1]
            others = [w for w in reversed(people) if w.country and w.country != last.country]
            return others[0] if others else None
        for who in reversed(self.mentioned[-8:]):
            if who.person and who.country == country:
                return who
        for who in reversed(self.history[-4:]):
            if who.person and who.country == country:
                return who
        return None
