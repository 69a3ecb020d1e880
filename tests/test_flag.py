"""flag_article on short sentences, on our dev set (precision/recall floor) and on the seed."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.flag import flag_article
from diplowatch.extractors.records import Flag

ROOT = Path(__file__).resolve().parents[1]
DEVSET = Path(__file__).resolve().parent / "devset" / "dev.jsonl"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="module")
def actors() -> ActorIndex:
    with (ROOT / "config" / "actors.toml").open("rb") as fh:
        return ActorIndex.from_config(tomllib.load(fh))


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    with (ROOT / "config" / "flag.toml").open("rb") as fh:
        return tomllib.load(fh)


def flag(
    actors: ActorIndex, settings: dict[str, Any], title: str | None, text: str, on: str | None
) -> Flag:
    published = date.fromisoformat(on) if on else None
    return flag_article(title, text, published=published, actors=actors, settings=settings)


def test_role_nouns_alone_are_enough(actors: ActorIndex, settings: dict[str, Any]) -> None:
    text = (
        "Le président américain a averti mardi son homologue russe de sanctions sévères. "
        "Le président ukrainien a salué cet entretien téléphonique et réclamé des garanties."
    )
    result = flag(actors, settings, None, text, "2021-12-07")
    assert result.relevant
    assert 0.0 <= result.score <= 1.0
    assert result.reasons[0] == "actors: USA, RUS, UKR"
    assert any(r.startswith("cues: ") and "entretien téléphonique" in r for r in result.reasons)


def test_title_counts_more_than_the_body(actors: ActorIndex, settings: dict[str, Any]) -> None:
    body = "Les combats se poursuivent près de Bakhmout, selon l'état-major ukrainien."
    plain = flag(actors, settings, "Situation sur le front", body, "2023-03-01")
    titled = flag(
        actors,
        settings,
        "Négociations entre Kiev et Moscou sous l'égide de Washington",
        body,
        "2023-03-01",
    )
    assert titled.score > plain.score
    assert any(r.startswith("title: ") for r in titled.reasons)


def test_battlefield_report_is_not_flagged(actors: ActorIndex, settings: dict[str, Any]) -> None:
    text = (
        "Des frappes de missiles et de drones russes ont visé Odessa dans la nuit. "
        "L'armée ukrainienne affirme avoir abattu trente drones; deux civils ont été tués."
    )
    result = flag(actors, settings, "Attaque massive sur Odessa", text, "2024-03-15")
    assert not result.relevant
    assert any("battlefield" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "La Maison Blanche défend son décret",
            "La Maison Blanche a défendu le décret sur l'immigration contesté par les démocrates.",
        ),
        (
            "Trêve à Gaza",
            "Le secrétaire d'Etat a exhorté le Hamas à accepter le cessez-le-feu à Gaza.",
        ),
        (
            "Pékin et Washington négocient",
            "Les négociations sino-américaines sur les droits de douane ont repris à Londres.",
        ),
    ],
)
def test_other_subjects_are_not_flagged(
    actors: ActorIndex, settings: dict[str, Any], title: str, text: str
) -> None:
    assert not flag(actors, settings, title, text, "2025-06-10").relevant


def test_date_changes_the_reasons(actors: ActorIndex, settings: dict[str, Any]) -> None:
    title = "Le président américain appelle le président russe"
    text = "Le président américain a appelé le président russe pour discuter de l'Ukraine."
    old = flag(actors, settings, title, text, "2021-12-07")
    new = flag(actors, settings, title, text, "2025-02-15")
    assert any("Joe Biden" in r for r in old.reasons)
    assert any("Donald Trump" in r for r in new.reasons)


def test_empty_article(actors: ActorIndex, settings: dict[str, Any]) -> None:
    result = flag(actors, settings, None, "", None)
    # the score is a probability: with no evidence at all it is the intercept's, near zero
    assert not result.relevant and result.score < 0.01 and result.contributions == ()


def test_devset_precision_and_recall(actors: ActorIndex, settings: dict[str, Any]) -> None:
    docs = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line]
    assert len(docs) >= 40
    tp = fp = fn = tn = 0
    wrong = []
    for doc in docs:
        got = flag(actors, settings, doc["title"], doc["text"], doc["published"]).relevant
        tp += got and doc["relevant"]
        fp += got and not doc["relevant"]
        fn += (not got) and doc["relevant"]
        tn += (not got) and not doc["relevant"]
        if got != doc["relevant"]:
            wrong.append(doc["id"])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(
        f"\ndev set: {len(docs)} texts, precision {precision:.3f} recall {recall:.3f} "
        f"(tp {tp} fp {fp} fn {fn} tn {tn}) wrong: {wrong}"
    )
    assert precision >= 0.9 and recall >= 0.9, wrong


@pytest.mark.corpus
def test_seed_is_flagged_with_usa_rus_ukr(actors: ActorIndex, settings: dict[str, Any]) -> None:
    seeds = sorted((SHARED / "seed").glob("*.txt")) if SHARED.is_dir() else []
    if not seeds:
        pytest.skip(f"{SHARED / 'seed'} is absent: the shared seed is read at run time only")
    raw = seeds[0].read_text(encoding="utf-8")
    text = raw.split("\n", 1)[1] if raw.startswith("date ") else raw  # drop "date 2021-12"
    result = flag(actors, settings, None, text, "2021-12-07")
    assert result.relevant
    actors_reason = next(r for r in result.reasons if r.startswith("actors: "))
    for code in ("USA", "RUS", "UKR"):
        assert code in actors_reason


def test_related_links_and_a_distant_tail_do_not_make_the_story(
    actors: ActorIndex, settings: dict[str, Any]
) -> None:
    text = (
        "Des frappes de drones russes ont visé Odessa dans la nuit, faisant deux morts.\n"
        "L'armée ukrainienne affirme avoir abattu trente drones au-dessus de la région.\n"
        + "Les secouristes fouillent les décombres d'un immeuble touché. "
        * 30
        + "\nLire aussi : Trump et Poutine conviennent d'un sommet sur la paix en Ukraine\n"
        "A Washington, le secrétaire d'Etat a évoqué des négociations avec Moscou."
    )
    result = flag(actors, settings, "Attaque de drones sur Odessa", text, "2025-03-01")
    assert not result.relevant
    assert not any("sommet" in r for r in result.reasons if r.startswith("cues: "))


def test_a_diplomacy_head_survives_a_long_live_blog_tail(
    actors: ActorIndex, settings: dict[str, Any]
) -> None:
    head = (
        "Le secrétaire d'Etat américain a rencontré son homologue russe à Riyad pour des "
        "négociations sur un cessez-le-feu en Ukraine; Kiev réclame des garanties de sécurité.\n"
        "Le Kremlin a salué un dialogue « constructif » et une nouvelle rencontre est prévue.\n"
    )
    tail = "".join(
        f"{9 + i % 10} h {10 + i} – {entry}\n"
        for i, entry in enumerate(
            [
                "Le match de Ligue 1 prévu ce soir à Marseille a été reporté, la préfecture "
                "invoquant des risques de débordements autour du stade Vélodrome.",
                "Les vents ont atteint 150 km/h sur la pointe du Finistère, où des milliers de "
                "foyers restent privés d'électricité depuis la veille au soir.",
                "L'inflation a ralenti en janvier dans la zone euro, selon Eurostat, qui note "
                "une baisse des prix de l'énergie pour le troisième mois consécutif.",
                "Le festival de la bande dessinée d'Angoulême a dévoilé son palmarès, salué "
                "par un public nombreux malgré la pluie et les grèves de trains.",
            ]
            * 8
        )
    )
    result = flag(actors, settings, "Washington et Moscou négocient à Riyad", head + tail, None)
    assert result.relevant


def test_a_hint_of_ukraine_is_enough_when_washington_and_moscow_both_act(
    actors: ActorIndex, settings: dict[str, Any]
) -> None:
    text = (
        "Le Kremlin attend des détails sur la proposition américaine de cessez-le-feu. "
        "L'émissaire américain est attendu à Moscou. Selon le conseiller diplomatique du "
        "Kremlin, une trêve offrirait un répit aux militaires ukrainiens."
    )
    assert flag(actors, settings, None, text, "2025-03-13").relevant
    gaza = text.replace("aux militaires ukrainiens", "au Hamas à Gaza")
    assert not flag(actors, settings, None, gaza, "2025-03-13").relevant


def test_sanctions_on_russia_imply_the_war_after_the_invasion(
    actors: ActorIndex, settings: dict[str, Any]
) -> None:
    title = "Les Vingt-Sept adoptent un nouveau paquet de sanctions contre la Russie"
    text = (
        "L'Union européenne a adopté mardi de nouvelles sanctions contre Moscou, visant des "
        "banques et des exportateurs de pétrole. « Plus longtemps la Russie mène sa guerre, plus "
        "notre réponse sera dure », a déclaré la cheffe de la diplomatie européenne. Le Kremlin a "
        "dénoncé des mesures « illégitimes » et promis une riposte."
    )
    after = flag(actors, settings, title, text, "2024-06-24")
    assert after.relevant
    assert any(r.startswith("Ukraine implied: ") for r in after.reasons)
    # before the invasion, sanctions on Russia can be about anything (hackers, an opponent): the
    # war is not implied, so the story weighs less (the fitted model still keeps a story of EU
    # sanctions that names "sa guerre"; the rule it replaced dropped it whatever the words)
    before = flag(actors, settings, title, text, "2021-04-15")
    assert not any(r.startswith("Ukraine implied: ") for r in before.reasons)
    assert before.score < after.score
    # another theatre named: the measures are about it
    moldova = text.replace("mène sa guerre", "déstabilise la Moldavie") + (
        " Chisinau a salué la décision; la présidente moldave dénonce une tentative de putsch "
        "orchestrée depuis Moscou en Moldavie."
    )
    assert not flag(actors, settings, title, moldova, "2024-06-24").relevant


def test_many_diplomatic_acts_outweigh_the_war_around_them(
    actors: ActorIndex, settings: dict[str, Any]
) -> None:
    text = (
        "La Russie a lancé une attaque de grande ampleur; des explosions et des frappes de "
        "missiles ont été signalées à Kiev. Vladimir Poutine a menacé de représailles quiconque "
        "interférerait. Joe Biden a condamné une attaque injustifiée et annoncé des sanctions. "
        "L'Otan a dénoncé un acte de guerre; Volodymyr Zelensky a appelé les alliés à l'aide."
    )
    result = flag(
        actors, settings, "Invasion de l'Ukraine : condamnation unanime", text, "2022-02-24"
    )
    assert result.relevant
    # the war's facts are counted against the story, and outweighed (the "varied diplomacy" rule
    # and its factor are gone: the fitted weights of the "for" terms do that now)
    assert any(r.startswith("against: ") and "battlefield" in r for r in result.reasons)
    assert result.contributions[0][1] > 0 > result.contributions[-1][1]
