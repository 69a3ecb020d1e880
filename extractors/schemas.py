"""The shapes of `actors.toml`, `lexicon.toml` and `flag.toml`, as pydantic models.

The extractors keep reading the parsed TOML (the analysis version is a digest of it); these
models only decide whether it is well formed, so that a misspelt key or a number where a list
belongs is an error at load time instead of a silently empty table in the middle of a run.

Kept free of spaCy and of anything in `flows`: `load_config` validates with them in the CLI
before any flow starts.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = ["RULE_ORDER", "ActorsFile", "FlagFile", "LexiconFile"]

# strict: a quoted number is reported, not coerced (the extractors read the raw values)
TABLE = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)

RuleName = Literal[
    "direct_quote_after",
    "direct_quote_colon",
    "quote_incise",
    "nested_attribution",
    "incise",
    "verb_cue",
    "participle",
    "according_to",
    "opinion_of",
]
# the claim patterns in the order they run (extractors/claims/rules/, registered in RULES)
RULE_ORDER: tuple[str, ...] = typing.get_args(RuleName)
Phrases = list[Annotated[str, Field(min_length=1)]]
Weight = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]


def _iso_date(value: date | str) -> date | str:
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO date (e.g. 2022-02-24)") from None
    return value


IsoDate = Annotated[date | str, AfterValidator(_iso_date)]


# -- actors.toml -------------------------------------------------------------------------------


class Holder(BaseModel):
    model_config = TABLE

    actor: str
    from_: IsoDate | None = Field(None, alias="from")
    to: IsoDate | None = None


class ActorTable(BaseModel):
    model_config = TABLE

    name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    kind: Literal["person", "institution", "country", "organisation"]
    wikidata: str | None = None
    names: Phrases = []
    surnames: Phrases = []
    aliases: Phrases = []
    metonyms: Phrases = []


class RoleTable(BaseModel):
    model_config = TABLE

    phrases: Phrases
    country: str = Field(min_length=1)
    holders: list[Holder] = []


class DemonymTable(BaseModel):
    model_config = TABLE

    actor: str
    country: str | None = None
    forms: Phrases = []
    people: Phrases = []


class Groups(BaseModel):
    model_config = TABLE

    nouns: Phrases


class ActorsFile(BaseModel):
    model_config = TABLE

    groups: Groups
    actor: list[ActorTable] = Field(min_length=1)
    role: list[RoleTable]
    demonym: list[DemonymTable]

    @model_validator(mode="after")
    def _known_actors(self) -> ActorsFile:
        names = {a.name for a in self.actor}
        for i, role in enumerate(self.role):
            for holder in role.holders:
                if holder.actor not in names:
                    raise ValueError(f"role #{i + 1}: unknown actor {holder.actor!r}")
        for i, demonym in enumerate(self.demonym):
            if demonym.actor not in names:
                raise ValueError(f"demonym #{i + 1}: unknown actor {demonym.actor!r}")
        return self


# -- lexicon.toml ------------------------------------------------------------------------------


class KindTable(BaseModel):
    model_config = TABLE

    cues: Phrases


class ContextRule(BaseModel):
    model_config = TABLE

    kind: str
    cue_kinds: list[str] = ["statement"]
    cues: Phrases = []
    all: list[Phrases] = Field(min_length=1)


class WordsTable(BaseModel):
    model_config = TABLE

    words: Phrases


class SourcesTable(BaseModel):
    model_config = TABLE

    prepositions: Phrases
    nouns: Phrases


class AddresseeTable(BaseModel):
    model_config = TABLE

    object_verbs: Phrases


class SpeakersTable(BaseModel):
    model_config = TABLE

    person_nouns: Phrases
    counterpart_nouns: Phrases
    counterpart_roles: Phrases
    anaphoric_roles: Phrases
    anaphora_window: int = Field(ge=0, le=100)


class ClaimsTable(BaseModel):
    model_config = TABLE

    rules: list[RuleName]
    quote_only: Phrases
    adverbials: Phrases
    kinds: dict[str, KindTable]
    context: list[ContextRule]
    requires: dict[str, Phrases]
    according: WordsTable
    sources: SourcesTable
    addressee: AddresseeTable
    speakers: SpeakersTable
    demonyms: dict[str, Phrases]

    @model_validator(mode="after")
    def _known_kinds(self) -> ClaimsTable:
        for i, rule in enumerate(self.context):
            for kind in (rule.kind, *rule.cue_kinds):
                if kind not in self.kinds:
                    known = ", ".join(self.kinds)
                    raise ValueError(f"context #{i + 1}: unknown kind {kind!r} (known: {known})")
        return self


class LexiconFile(BaseModel):
    model_config = TABLE

    claims: ClaimsTable


# -- flag.toml ---------------------------------------------------------------------------------

Category = Literal["diplomacy", "speech", "battlefield", "offtopic", "other_conflict", "prisoners"]
SIDE_NAMES = ("West", "RUS", "UKR", "other")


class ImpliedUkraine(BaseModel):
    model_config = TABLE

    gate: Share
    since: IsoDate
    measures: Phrases
    min_weight: Weight
    max_other_share: Weight


class VariedCues(BaseModel):
    model_config = TABLE

    min_distinct: int = Field(ge=0)
    factor: Weight
    categories: list[Category]


class Position(BaseModel):
    model_config = TABLE

    title: Weight
    lead: Weight
    body: Weight
    body_half_chars: Weight


class Gate(BaseModel):
    model_config = TABLE

    one_side: Share
    no_ukraine: Share
    one_actor: Share


class Sides(BaseModel):
    model_config = TABLE

    West: Phrases
    RUS: Phrases
    UKR: Phrases


class Other(BaseModel):
    model_config = TABLE

    codes: Phrases
    weight: Weight


def _adjectives(table: dict[str, Any]) -> dict[str, Any]:
    """`weight` and lists of adjectives keyed by a side or sides joined by '+' ("West+UKR")."""
    for key, value in table.items():
        if key == "weight":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"weight = {value!r}: expected a number >= 0")
        elif not all(part in SIDE_NAMES for part in key.split("+")):
            raise ValueError(
                f"unknown side {key!r} (sides: {', '.join(SIDE_NAMES)}, or several joined by +)"
            )
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} = {value!r}: expected an array of strings")
    if "weight" not in table:
        raise ValueError("weight: missing")
    return table


class Terms(BaseModel):
    model_config = TABLE

    weight: Weight
    terms: Phrases


class FlagFile(BaseModel):
    model_config = TABLE

    threshold: Share
    strength_half: float = Field(gt=0)
    lead_paragraphs: int = Field(ge=0)
    lead_chars: int = Field(ge=0)
    min_side_weight: Weight
    head_chars: int = Field(ge=0)
    min_ukraine_outside_head: Weight
    min_ukraine_hint: Weight
    skip_lines: Phrases
    implied_ukraine: ImpliedUkraine
    varied_cues: VariedCues
    repeat_decay: dict[Category, Share]
    position: Position
    gate: Gate
    sides: Sides
    other: Other
    adjectives: Annotated[dict[str, Any], AfterValidator(_adjectives)]
    terms: dict[Category, Terms]

    @model_validator(mode="after")
    def _every_category(self) -> FlagFile:
        # flag.py weighs every category; a missing one would be a silent zero
        missing = [c for c in typing.get_args(Category) if c not in self.terms]
        if missing:
            raise ValueError(f"terms: missing [terms.{missing[0]}]")
        return self
