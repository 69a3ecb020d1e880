"""The flag's features, each on the short construction it is made for (texts of our own)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.flag_features import extract_features, feature_names

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def actors() -> ActorIndex:
    with (ROOT / "config" / "actors.toml").open("rb") as fh:
        return ActorIndex.from_config(tomllib.load(fh))


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    with (ROOT / "config" / "flag.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture
def features(actors: ActorIndex, settings: dict[str, Any]) -> Any:
    def run(text: str, title: str | None = None, on: str | None = "2025-03-01") -> dict[str, float]:
        published = date.fromisoformat(on) if on else None
        evidence = extract_features(
            title, text, published=published, actors=actors, settings=settings
        )
        return evidence.features

    return run


def test_names_are_the_keys_and_fixed(features: Any, settings: dict[str, Any]) -> None:
    names = feature_names(settings["terms"])
    assert list(features("Rien à signaler.")) == list(names)
    assert len(set(names)) == len(names)
    assert all(value == 0.0 for value in features("", on=None).values())


def test_sides_by_position_title_lead_body(features: Any) -> None:
    filler = "Il a plu toute la journée sur la région et les routes étaient glissantes. " * 20
    got = features("Un texte sans acteur.\n\nSecond paragraphe.\n\n" + filler + "Moscou.", "Kiev")
    assert got["ukr_title"] > 0 and got["ukr_lead"] == 0
    assert got["rus_body"] > 0 and got["rus_lead"] == 0
    near = features("Premier.\n\nSecond.\n\nMoscou.")["rus_body"]
    far = features("Premier.\n\nSecond.\n\n" + filler + "Moscou.")["rus_body"]
    assert near > far > 0  # far down a page counts less


def test_a_place_is_not_an_actor(features: Any) -> None:
    place = features("Il pleut beaucoup en Ukraine cet automne.")
    actor = features("Kiev a dénoncé cette décision.")
    assert place["ukr_lead"] > 0 and place["ukr_acts"] == 0
    assert actor["ukr_acts"] == 1.0


def test_adjectives_count_for_their_side(features: Any) -> None:
    got = features("Les céréales ukrainiennes et le gaz russe transitent par le port.")
    assert got["ukr_adj"] > 0 and got["rus_adj"] > 0 and got["west_adj"] == 0
    assert features("Un accord américano-ukrainien.")["west_adj"] > 0


@pytest.mark.parametrize(
    ("feature", "text"),
    [
        ("peace_top", "Les deux camps cherchent à mettre fin à la guerre."),
        ("security_top", "L'élargissement de l'Otan inquiète."),
        ("security_top", "Des garanties de sécurité solides."),
        ("war_top", "Depuis le début de l'opération militaire spéciale, rien n'a changé."),
        ("sanctions_top", "Un nouveau paquet de sanctions a été adopté."),
        ("russian_wording_top", "La partie américaine a transmis ses propositions."),
        ("conflict_top", "Le pays mène sa guerre depuis trois ans."),
        ("battlefield_top", "Des frappes de drones ont visé la ville."),
        ("offtopic_top", "Le match de championnat a été reporté."),
        ("prisoners_top", "Un échange de prisonniers a eu lieu."),
        ("diplomacy_top", "Les pourparlers reprennent mardi."),
        ("speech_top", "Le ministre a averti ses voisins."),
    ],
)
def test_each_category_fires_on_its_terms(features: Any, feature: str, text: str) -> None:
    got = features(text)
    assert got[feature] > 0
    category = feature.removesuffix("_top")
    others = [n for n in got if n.endswith("_top") and n != feature]
    assert all(got[n] == 0 for n in others), [n for n in others if got[n]]
    assert features("", title=text)[f"{category}_top"] > 0


def test_title_terms_by_kind(features: Any) -> None:
    got = features("Texte.", title="Négociations et frappes")
    assert got["for_title"] > 0 and got["against_title"] > 0
    assert features("Négociations et frappes.")["for_title"] == 0


def test_related_links_are_skipped(features: Any) -> None:
    got = features("Des frappes ont visé la ville.\nLire aussi : les négociations de paix\n")
    assert got["diplomacy_top"] == 0 and got["peace_top"] == 0 and got["battlefield_top"] > 0


def test_pairs_acting_and_the_war_as_topic(features: Any) -> None:
    got = features("Washington et Moscou ont parlé de l'Ukraine.")
    assert got["pair_west_rus"] == got["pair_west_ukr"] == got["pair_rus_ukr"] == 1.0
    assert got["war_topic"] == 1.0 and got["two_acting"] == 1.0 and got["acting_sides"] == 2.0
    # Ukraine not named, the war named: "russo-ukrainien"
    unnamed = features("Washington et Moscou ont parlé du conflit russo-ukrainien.")
    assert unnamed["war_topic"] == 1.0
    assert features("Washington et Moscou ont parlé du Proche-Orient.")["war_topic"] == 0.0


def test_security_and_peace_between_washington_and_moscow(features: Any) -> None:
    guarantees = features("Washington et Moscou discutent des garanties de sécurité.", on=None)
    assert guarantees["security_west_rus"] == 1.0 and guarantees["war_topic"] == 0.0
    summit = features(
        "Le Kremlin et la Maison Blanche préparent un sommet pour mettre fin à la guerre."
    )
    assert summit["peace_west_rus"] == 1.0
    # one side only: no pair
    assert features("Moscou exige des garanties de sécurité.")["security_west_rus"] == 0.0


def test_sanctions_imply_the_war_after_the_invasion_only(features: Any) -> None:
    text = "Bruxelles adopte de nouvelles sanctions contre Moscou."
    after = features(text, on="2024-06-24")
    before = features(text, on="2021-04-15")
    assert after["sanctions_west_rus"] == before["sanctions_west_rus"] == 1.0
    assert after["after_invasion"] == 1.0 and before["after_invasion"] == 0.0
    assert after["war_implied"] == 1.0 and after["war_topic"] == 1.0
    assert before["war_implied"] == 0.0 and before["war_topic"] == 0.0
    # another theatre in the head: the measures are about it
    moldova = features(text + " Chisinau salue la décision.", on="2024-06-24")
    assert moldova["war_implied"] == 0.0
    # Russia's unnamed war after the invasion, the Kremlin acting
    assert features("Le Kremlin poursuit sa guerre.", on="2024-06-24")["war_implied"] == 1.0


def test_share_distinct_terms_and_products(features: Any) -> None:
    talks = features("Kiev et Moscou : négociations, cessez-le-feu et sommet en vue.")
    mixed = features("Kiev et Moscou : négociations malgré les frappes, les drones et les morts.")
    assert talks["share_head"] == 1.0 and 0 < mixed["share_head"] < 1
    assert talks["distinct_for_head"] > mixed["distinct_for_head"] > 0
    assert talks["for_x_core"] > 0 and talks["share_x_core"] == 1.0
    # no war as the topic, no product
    gaza = features("Washington et Le Caire : négociations sur un cessez-le-feu à Gaza.")
    assert gaza["for_x_core"] == 0.0 and gaza["share_x_core"] == 0.0
