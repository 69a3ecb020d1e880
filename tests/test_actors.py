"""ActorIndex on short French sentences written for these tests."""

from __future__ import annotations

import tomllib
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from diplowatch.errors import ConfigError
from diplowatch.extractors.actors import Actor, ActorIndex, normalize

CONFIG = Path(__file__).resolve().parents[1] / "config" / "actors.toml"


@pytest.fixture(scope="module")
def index() -> ActorIndex:
    with CONFIG.open("rb") as fh:
        return ActorIndex.from_config(tomllib.load(fh))


def names(index: ActorIndex, text: str, on: date | None = None) -> list[str | None]:
    return [m.actor.name if m.actor else None for m in index.find(text, on)]


def test_config_is_large_enough() -> None:
    with CONFIG.open("rb") as fh:
        data = tomllib.load(fh)
    assert len(data["actor"]) >= 80
    assert all(
        a["kind"] in ("person", "institution", "country", "organisation") for a in data["actor"]
    )


def test_same_role_resolves_by_date(index: ActorIndex) -> None:
    text = "Le président américain a reçu lundi son homologue ukrainien."
    dec21 = index.find(text, date(2021, 12, 7))
    feb25 = index.find(text, date(2025, 2, 15))
    assert dec21[0].actor is not None and dec21[0].actor.name == "Joe Biden"
    assert feb25[0].actor is not None and feb25[0].actor.name == "Donald Trump"
    assert dec21[0].how == feb25[0].how == "role"
    assert dec21[0].text == "Le président américain"
    # the counterpart has a country but no person of its own
    assert dec21[1].actor is None and dec21[1].country == "UKR"


def test_role_without_date_is_latest_holder(index: ActorIndex) -> None:
    mention = index.resolve("le chef de la diplomatie ukrainienne")
    assert mention is not None and mention.actor is not None
    assert mention.actor.name == "Andriï Sybiha"
    assert index.holder("le chef de la diplomatie ukrainienne", date(2022, 3, 10)) == index.actor(
        "Kouleba"
    )
    # a role whose last period is closed has no current holder, but keeps its country
    closed = index.resolve("le chef de l'administration présidentielle ukrainienne")
    assert closed is not None and closed.actor is None and closed.country == "UKR"
    assert index.holder(
        "chef de l'administration présidentielle ukrainienne", date(2023, 5, 1)
    ) == (index.actor("Andriï Iermak"))


def test_dated_roles(index: ActorIndex) -> None:
    on = date(2022, 2, 20)
    assert index.holder("le secrétaire général de l'Otan", on) == index.actor("Jens Stoltenberg")
    assert index.holder("le secrétaire général de l'Otan", date(2025, 6, 1)) == index.actor("Rutte")
    assert index.holder("le secrétaire d'Etat américain", on) == index.actor("Blinken")
    assert index.holder("le secrétaire d'Etat américain", date(2025, 3, 1)) == index.actor("Rubio")
    assert index.holder("le porte-parole du Kremlin", on) == index.actor("Peskov")
    assert index.holder("la vice-présidente américaine", on) == index.actor("Kamala Harris")
    assert index.holder("le conseiller à la sécurité nationale", on) == index.actor("Jake Sullivan")
    assert index.holder("le chancelier allemand", date(2021, 12, 1)) == index.actor("Merkel")
    assert index.holder("le président américain", date(2010, 1, 1)) == index.actor("Obama")
    assert index.holder("le président américain", date(1990, 1, 1)) is None


@pytest.mark.parametrize(
    "spelling", ["Zelensky", "Zelenski", "Zelenskyy", "Volodymyr Zelensky", "Volodymyr Zelenskyy"]
)
def test_zelensky_spellings(index: ActorIndex, spelling: str) -> None:
    mentions = index.find(f"Kiev, 3 mars. {spelling} a appelé à de nouvelles sanctions.")
    people = [m for m in mentions if m.actor and m.actor.kind == "person"]
    assert people and people[0].actor is not None
    assert people[0].actor.name == "Volodymyr Zelensky"
    assert people[0].text == spelling


@pytest.mark.parametrize(
    ("phrase", "country", "how"),
    [
        ("le Kremlin", "RUS", "name"),
        ("la présidence russe", "RUS", "metonym"),
        ("Moscou", "RUS", "metonym"),
        ("Bruxelles", "EU", "metonym"),
        ("l'Otan", "NATO", "name"),
        ("l’OTAN", "NATO", "name"),
        ("l'Alliance atlantique", "NATO", "alias"),
        ("la Maison-Blanche", "USA", "name"),
        ("l'exécutif américain", "USA", "metonym"),
        ("le Pentagone", "USA", "name"),
        ("le département d’État", "USA", "name"),
        ("Kyiv", "UKR", "metonym"),
        ("les États-Unis", "USA", "name"),
        ("les Etats Unis", "USA", "name"),
        ("la partie russe", "RUS", "group"),
        ("les autorités ukrainiennes", "UKR", "group"),
        ("le gouvernement américain", "USA", "metonym"),
        ("les Américains", "USA", "group"),
        ("l'ONU", "UN", "name"),
        ("l'OSCE", "OSCE", "name"),
    ],
)
def test_metonyms_and_groups(index: ActorIndex, phrase: str, country: str, how: str) -> None:
    mention = index.resolve(phrase)
    assert mention is not None, phrase
    assert (mention.country, mention.how) == (country, how)


def test_accents_case_and_apostrophes(index: ActorIndex) -> None:
    text = "SERGUEI LAVROV et le chef de la diplomatie americaine, à l’issue d'un entretien."
    found = index.find(text, date(2021, 12, 2))
    assert [m.actor.name if m.actor else None for m in found] == [
        "Sergueï Lavrov",
        "Antony Blinken",
    ]
    assert normalize("Choïgou À l’Élysée") == "choigou a l'elysee"
    assert len(normalize("Œuvre ’É")) == len("Œuvre ’É")


def test_offsets_are_in_the_original_text(index: ActorIndex) -> None:
    text = "Selon l’Élysée, « Poutine » a parlé à Macron."
    for mention in index.find(text):
        assert text[mention.start : mention.end] == mention.text
    assert names(index, text) == ["Elysée", "Vladimir Poutine", "Emmanuel Macron"]


def test_false_friends(index: ActorIndex) -> None:
    assert names(index, "Le festival d'Austin a attiré des milliers de visiteurs.") == []
    assert names(index, "Michel Durand et Costa Gavras ont dîné ensemble.") == []
    assert names(index, "Lloyd Austin a rencontré Charles Michel.") == [
        "Lloyd Austin",
        "Charles Michel",
    ]
    # a demonym alone is an adjective, not the people
    assert names(index, "Des chars russes ont franchi la frontière.") == []
    assert names(index, "Les Russes ont rejeté l'offre.") == ["Russie"]
    # "pro-russe" and "anti-Poutine" are not mentions of an actor
    assert names(index, "Les séparatistes pro-russes ont manifesté.") == []


def test_longest_match_wins(index: ActorIndex) -> None:
    found = index.find(
        "Le ministre russe des Affaires étrangères Sergueï Lavrov.", date(2022, 1, 1)
    )
    assert [m.how for m in found] == ["role", "name"]
    assert found[0].text == "Le ministre russe des Affaires étrangères"


def test_actor_lookup(index: ActorIndex) -> None:
    assert index.actor("Poutine") == index.actor("Vladimir Poutine")
    assert index.actor("le Kremlin") == index.actor("Kremlin")
    kremlin = index.actor("Kremlin")
    assert isinstance(kremlin, Actor) and kremlin.country == "RUS"
    assert index.actor("Personne Inconnue") is None


def test_bad_config_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        ActorIndex.from_config({"actor": [{"name": "X", "code": "USA"}]})
    with pytest.raises(ConfigError):
        ActorIndex.from_config(
            {
                "actor": [{"name": "X", "code": "USA", "kind": "person"}],
                "role": [{"phrases": ["chef"], "country": "USA", "holders": [{"actor": "Y"}]}],
            }
        )


@pytest.mark.parametrize(
    ("phrase", "on", "holder", "country"),
    [
        ("le chef de la diplomatie britannique", date(2022, 3, 1), "Liz Truss", "GBR"),
        ("le chef de la diplomatie britannique", date(2025, 2, 1), "David Lammy", "GBR"),
        (
            "la ministre allemande des Affaires étrangères",
            date(2023, 5, 1),
            "Annalena Baerbock",
            "DEU",
        ),
        ("le secrétaire d'Etat américain", date(2015, 2, 12), "John Kerry", "USA"),
        ("le porte-parole de la Maison Blanche", date(2021, 6, 1), "Jen Psaki", "USA"),
        ("le Premier ministre japonais", date(2023, 5, 1), "Fumio Kishida", "JPN"),
        ("le Premier ministre canadien", date(2022, 2, 1), "Justin Trudeau", "CAN"),
        ("la présidente du Conseil italien", date(2024, 2, 1), "Giorgia Meloni", "ITA"),
        ("le chef de la diplomatie chinoise", date(2023, 5, 1), "Qin Gang", "CHN"),
        ("le chef de la diplomatie chinoise", date(2024, 5, 1), "Wang Yi", "CHN"),
        ("le prince héritier saoudien", date(2025, 2, 18), "Mohammed ben Salmane", "SAU"),
        ("l'émir du Qatar", date(2024, 1, 1), "Tamim ben Hamad Al Thani", "QAT"),
        ("le pape", date(2022, 3, 1), "Pape François", "VAT"),
        ("le pape", date(2025, 6, 1), "Pape Léon XIV", "VAT"),
        ("le Premier ministre indien", date(2022, 9, 16), "Narendra Modi", "IND"),
        ("le président brésilien", date(2023, 4, 1), "Luiz Inacio Lula da Silva", "BRA"),
        ("le président sud-africain", date(2023, 6, 17), "Cyril Ramaphosa", "ZAF"),
        ("le président de la Commission européenne", date(2015, 1, 1), "Jean-Claude Juncker", "EU"),
        ("le président du Conseil européen", date(2016, 1, 1), "Donald Tusk", "EU"),
        ("le secrétaire général de l'ONU", date(2014, 5, 1), "Ban Ki-moon", "UN"),
        (
            "le ministre ukrainien des Affaires étrangères",
            date(2015, 2, 1),
            "Pavlo Klimkine",
            "UKR",
        ),
        ("le Premier ministre ukrainien", date(2014, 9, 1), "Arseni Iatseniouk", "UKR"),
        ("le chef d'état-major russe", date(2023, 1, 12), "Valeri Guerassimov", "RUS"),
    ],
)
def test_roles_of_the_people_who_speak_on_the_war(
    index: ActorIndex, phrase: str, on: date, holder: str, country: str
) -> None:
    mention = index.resolve(phrase, on)
    assert mention is not None and mention.actor is not None, phrase
    assert (mention.actor.name, mention.country) == (holder, country)


def test_every_role_holder_is_in_order_without_overlap() -> None:
    """Dated periods of one role follow each other: a typo in a date shows up as an overlap."""
    with CONFIG.open("rb") as fh:
        data = tomllib.load(fh)
    for role in data["role"]:
        periods = [(h.get("from"), h.get("to")) for h in role["holders"] if h.get("from")]
        for (_, end), (start, _) in pairwise(periods):
            assert end is not None and end <= start, role["phrases"][0]
