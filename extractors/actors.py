"""Who is who, and when: find actor mentions in French news text and resolve them by date.

`config/actors.toml` lists people, institutions, countries and organisations with their French
spellings, metonyms ("le Kremlin", "Bruxelles") and dated roles ("le président américain" is Joe
Biden in December 2021 and Donald Trump in February 2025). `ActorIndex` compiles all of it once
into a single trie-shaped regex so that `find` is one linear pass per article: it runs on every
article, before and without any spaCy parse.

Matching is done on a same-length normalised copy of the text (lower case, no accents, one kind
of apostrophe), so offsets of mentions are offsets in the original text and "Etats-Unis",
"États-Unis" and "etats unis" are one key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from diplowatch.errors import ConfigError

__all__ = ["Actor", "ActorIndex", "Mention", "normalize", "phrase_key", "trie_pattern"]

HOWS = ("name", "surname", "alias", "metonym", "role", "group")
# When two entries share a key, the more specific wins.
_PRIORITY = {"name": 6, "role": 5, "metonym": 4, "alias": 4, "surname": 3, "group": 1}
# Determiners matched in front of a phrase; part of the span except for a person's name.
_DETERMINERS = ("le", "la", "les", "du", "des", "au", "aux", "son", "sa", "ses", "leur", "leurs")
_DET_KEY = re.compile(r"^(?:(?:" + "|".join(_DETERMINERS) + r")\s+|l'\s*)")


def _build_table() -> dict[int, str]:
    """A 1:1 character map: lower case, accents dropped, apostrophes and hyphens unified.

    Every entry maps one character to exactly one character, so the normalised text keeps
    the offsets of the original.
    """
    table: dict[int, str] = {}
    for code in range(0x20, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        low = (base or ch).lower()
        if len(low) == 1 and low != ch:
            table[code] = low
    for ch in "’‘`´ʼ′":
        table[ord(ch)] = "'"
    for ch in "\u00a0\u202f\u2009\u2007":
        table[ord(ch)] = " "
    for ch in "\u2010\u2011":
        table[ord(ch)] = "-"
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """Same-length, case-, accent- and apostrophe-insensitive form of `text`."""
    return text.translate(_TABLE)


def phrase_key(phrase: str) -> str:
    """The lookup key of a phrase: normalised, hyphens and runs of spaces as one space."""
    norm = normalize(phrase).strip()
    norm = re.sub(r"[\s\-]+", " ", norm)
    return re.sub(r"'\s*", "'", norm)


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # canonical, e.g. "Vladimir Poutine", "Kremlin", "Etats-Unis"
    country: str  # "USA", "RUS", "UKR", "FRA", "NATO", "EU", "UN", "OSCE", ...
    kind: str  # person | institution | country | organisation
    wikidata: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str
    actor: Actor | None  # None for a role whose holder on that date is unknown
    country: str | None
    how: str  # "name" | "surname" | "alias" | "metonym" | "role" | "group"


@dataclass(frozen=True, slots=True)
class _Tenure:
    actor: Actor
    start: date | None
    end: date | None  # exclusive

    def covers(self, on: date) -> bool:
        return (self.start is None or self.start <= on) and (self.end is None or on < self.end)


@dataclass(frozen=True, slots=True)
class _Role:
    country: str
    tenures: tuple[_Tenure, ...]

    def holder(self, on: date | None) -> Actor | None:
        if on is None:
            # the current holder: the latest open-ended period of the config
            open_ended = [t for t in self.tenures if t.end is None]
            if not open_ended:
                return None
            return max(open_ended, key=lambda t: t.start or date.min).actor
        for tenure in self.tenures:
            if tenure.covers(on):
                return tenure.actor
        return None


@dataclass(frozen=True, slots=True)
class _Entry:
    how: str
    country: str
    actor: Actor | None = None
    role: _Role | None = None
    needs_det: bool = False  # "Russes" names people only after an article: "les Russes"


def _unit(ch: str) -> str:
    if ch == "*":  # a stem: "négociat*"
        return r"\w*"
    if ch == " ":
        return r"[\s\-]+"
    if ch == "'":
        return r"'\s*"
    return re.escape(ch)


def trie_pattern(keys: Iterable[str]) -> str:
    """One regex for all keys, shaped as a trie so each position costs one branch, not N.

    Optional tails are greedy, so the longest key that also ends on a word boundary wins.
    Keys are `phrase_key` forms; a trailing `*` stands for any word ending (used by the flag).
    """
    root: dict[str, Any] = {}
    for key in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        alts = [_unit(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    return emit(root)


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"actors.toml: {where}: {value!r} is not an ISO date") from exc


def _strings(table: Mapping[str, Any], field: str, where: str) -> list[str]:
    value = table.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"actors.toml: {where}: `{field}` must be a list of strings")
    return value


class _Builder:
    """The tables of actors.toml turned, one kind at a time, into the index's lookups."""

    def __init__(self) -> None:
        self.actors: dict[str, Actor] = {}
        self.entries: dict[str, _Entry] = {}
        self.aliases: dict[str, Actor] = {}

    def add(self, phrase: str, entry: _Entry) -> None:
        key = (
            _DET_KEY.sub("", phrase_key(phrase))
            if entry.how in ("role", "metonym")
            else phrase_key(phrase)
        )
        if not key:
            return
        old = self.entries.get(key)
        if old is None or _PRIORITY[entry.how] > _PRIORITY[old.how]:
            self.entries[key] = entry

    def actor(self, table: Mapping[str, Any], where: str) -> None:
        try:
            name, code, kind = str(table["name"]), str(table["code"]), str(table["kind"])
        except KeyError as exc:
            raise ConfigError(f"actors.toml: {where}: missing `{exc.args[0]}`") from exc
        if kind not in ("person", "institution", "country", "organisation"):
            raise ConfigError(f"actors.toml: {name}: unknown kind {kind!r}")
        actor = Actor(name, code, kind, table.get("wikidata"))
        self.actors[name] = actor
        for how, field in (("name", None), ("name", "names"), ("surname", "surnames")):
            phrases = [name] if field is None else _strings(table, field, name)
            for phrase in phrases:
                self.add(phrase, _Entry(how, code, actor))
                self.aliases.setdefault(phrase_key(phrase), actor)
        for how, field in (("alias", "aliases"), ("metonym", "metonyms")):
            for phrase in _strings(table, field, name):
                self.add(phrase, _Entry(how, code, actor))
                self.aliases.setdefault(_DET_KEY.sub("", phrase_key(phrase)), actor)

    def _known(self, name: Any, where: str) -> Actor:
        actor = self.actors.get(str(name))
        if actor is None:
            raise ConfigError(f"actors.toml: {where}: unknown actor {name!r}")
        return actor

    def role(self, table: Mapping[str, Any], where: str) -> None:
        tenures = [
            _Tenure(
                self._known(holder.get("actor"), where),
                _date(holder.get("from"), where),
                _date(holder.get("to"), where),
            )
            for holder in table.get("holders", [])
        ]
        if "country" not in table:
            raise ConfigError(f"actors.toml: {where}: missing `country`")
        role = _Role(str(table["country"]), tuple(tenures))
        for phrase in _strings(table, "phrases", where):
            self.add(phrase, _Entry("role", role.country, role=role))

    def demonym(self, table: Mapping[str, Any], nouns: list[str], where: str) -> None:
        nation = self._known(table.get("actor"), where)
        country = str(table.get("country", nation.country))
        for form in _strings(table, "forms", where):
            for noun in nouns:
                self.add(f"{noun} {form}", _Entry("group", country, nation))
        for people in _strings(table, "people", where):
            self.add(people, _Entry("group", country, nation, needs_det=True))


class ActorIndex:
    """All actors, roles and demonyms of the configuration, compiled for one-pass matching."""

    def __init__(
        self,
        actors: dict[str, Actor],
        entries: dict[str, _Entry],
        aliases: dict[str, Actor],
    ) -> None:
        self._actors = actors
        self._entries = entries
        self._aliases = aliases
        dets = "|".join(_DETERMINERS)
        self._regex = re.compile(
            rf"(?<![\w\-])(?P<det>(?:{dets})\s+|l'\s*)?(?P<key>{trie_pattern(entries)})(?![\w\-])"
        )

    @classmethod
    def from_config(cls, actors_toml: dict[str, Any]) -> ActorIndex:
        """Build the index from the parsed (merged) actors.toml; ConfigError on a bad entry."""
        built = _Builder()
        for i, table in enumerate(actors_toml.get("actor", [])):
            built.actor(table, f"actor #{i + 1}")
        for i, table in enumerate(actors_toml.get("role", [])):
            built.role(table, f"role #{i + 1}")
        nouns = _strings(actors_toml.get("groups", {}), "nouns", "groups")
        for i, table in enumerate(actors_toml.get("demonym", [])):
            built.demonym(table, nouns, f"demonym #{i + 1}")
        if not built.entries:
            raise ConfigError("actors.toml: no actors configured")
        return cls(built.actors, built.entries, built.aliases)

    def find(self, text: str, on: date | None = None) -> list[Mention]:
        """Every actor mention of `text`, leftmost-longest, non-overlapping, sorted by start.

        `on` is the article's date: it picks the holder of each role ("le président russe").
        """
        norm = normalize(text)
        mentions: list[Mention] = []
        for match in self._regex.finditer(norm):
            key = phrase_key(match.group("key"))
            entry = self._entries.get(key)
            if entry is None:  # cannot happen: every alternative is a key
                continue
            has_det = match.group("det") is not None
            if entry.needs_det and not has_det:
                continue
            actor = entry.role.holder(on) if entry.role is not None else entry.actor
            # "le Kremlin", "la présidence russe": the article belongs to the mention, but not
            # in "les Poutine" or "du Biden": a person's span is the name alone.
            person = entry.role is None and actor is not None and actor.kind == "person"
            start = match.start() if has_det and not person else match.start("key")
            end = match.end()
            mentions.append(Mention(start, end, text[start:end], actor, entry.country, entry.how))
        return mentions

    def resolve(self, phrase: str, on: date | None = None) -> Mention | None:
        """The best mention in a short phrase ("le président russe", "son homologue américain").

        Prefers a mention that names an actor, then the longest; offsets are in `phrase`.
        """
        mentions = self.find(phrase, on)
        if not mentions:
            return None
        return max(mentions, key=lambda m: (m.actor is not None, m.end - m.start, -m.start))

    def actor(self, name: str) -> Actor | None:
        """An actor by canonical name, spelling, alias or metonym ("Zelenski", "le Kremlin")."""
        found = self._actors.get(name)
        if found is not None:
            return found
        key = phrase_key(name)
        return self._aliases.get(key) or self._aliases.get(_DET_KEY.sub("", key))

    def holder(self, role_phrase: str, on: date | None) -> Actor | None:
        """Who held the role named by `role_phrase` on `on` (the latest holder when None)."""
        entry = self._entries.get(_DET_KEY.sub("", phrase_key(role_phrase)))
        if entry is not None and entry.role is not None:
            return entry.role.holder(on)
        for mention in self.find(role_phrase, on):
            if mention.how == "role":
                return mention.actor
        return None

    @property
    def actors(self) -> list[Actor]:
        """Every configured actor, in config order."""
        return list(self._actors.values())
