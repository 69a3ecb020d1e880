"""The flag's model round trip: fit (scripts/fit_flag.py) -> flag.toml [model] -> runtime.

The fit here runs on our own written sets only (tests/devset/), so it needs nothing from
../shared; the shipped model is fitted on more (`make fit-flag`).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from diplowatch.errors import ConfigError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.flag import flag_article, probability
from diplowatch.extractors.flag_features import extract_features, feature_names
from diplowatch.settings.loader import load_config

ROOT = Path(__file__).resolve().parents[1]

RELEVANT = (
    "Washington et Moscou reprennent le dialogue",
    "Le secrétaire d'Etat américain s'est entretenu avec son homologue russe des conditions d'un "
    "cessez-le-feu en Ukraine. Kiev réclame des garanties de sécurité avant toute négociation, et "
    "le Kremlin a proposé un nouveau cycle de pourparlers.",
)
IRRELEVANT = (
    "Le festival s'ouvre sous la pluie",
    "Le festival de musique a ouvert ses portes vendredi devant un public nombreux ; les concerts "
    "de la soirée ont été maintenus malgré les intempéries, selon les organisateurs.",
)


def load_fit_flag() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "diplowatch_fit_flag", ROOT / "scripts" / "fit_flag.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fit_flag() -> ModuleType:
    return load_fit_flag()


@dataclass(frozen=True)
class Fit:
    names: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray
    x: np.ndarray
    model: LogisticRegression


@pytest.fixture(scope="module")
def fitted(fit_flag: ModuleType) -> Fit:
    with (ROOT / "config" / "flag.toml").open("rb") as fh:
        settings = tomllib.load(fh)
    with (ROOT / "config" / "actors.toml").open("rb") as fh:
        actors = ActorIndex.from_config(tomllib.load(fh))
    texts = list(fit_flag.ours())
    names = feature_names(settings["terms"])
    rows = [
        extract_features(t.title, t.text, published=t.published, actors=actors, settings=settings)
        for t in texts
    ]
    x = np.array([[r.features[n] for n in names] for r in rows])
    y = np.array([t.relevant for t in texts])
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=10000).fit((x - mean) / sd, y)
    return Fit(names, mean, sd, x, model)


def test_folded_weights_give_sklearn_probabilities(
    fit_flag: ModuleType,
    fitted: Fit,
) -> None:
    w, b = fit_flag.fold(fitted.model, fitted.mean, fitted.sd)
    names = fitted.names
    weights = dict(zip(names, map(float, w), strict=True))
    expected = fitted.model.predict_proba((fitted.x - fitted.mean) / fitted.sd)[:, 1]
    for row, want in zip(fitted.x, expected, strict=True):
        got, _ = probability(
            dict(zip(names, map(float, row), strict=True)), {"intercept": b, "weights": weights}
        )
        assert got == pytest.approx(float(want), abs=1e-9)


def test_written_model_loads_and_decides(
    tmp_path: Path,
    fit_flag: ModuleType,
    fitted: Fit,
) -> None:
    w, b = fit_flag.fold(fitted.model, fitted.mean, fitted.sd)
    flag_toml = tmp_path / "flag.toml"
    shutil.copy(ROOT / "config" / "flag.toml", flag_toml)
    before = flag_toml.read_text(encoding="utf-8")
    fit_flag.rewrite_model(fit_flag.model_block(fitted.names, w, b, 0.5, ["a test fit"]), flag_toml)
    after = flag_toml.read_text(encoding="utf-8")
    # only the [model] table changed
    cut = before.index(fit_flag.MARKER)
    assert after[:cut] == before[:cut] and "# a test fit" in after[cut:]
    cfg = load_config(tmp_path)  # validated: every feature has its weight, no unknown one
    assert cfg.flag["model"]["intercept"] == pytest.approx(b, rel=1e-5)
    actors = ActorIndex.from_config(cfg.actors)
    on = date(2025, 3, 1)
    yes = flag_article(*RELEVANT, published=on, actors=actors, settings=cfg.flag)
    no = flag_article(*IRRELEVANT, published=on, actors=actors, settings=cfg.flag)
    assert yes.relevant and yes.score > 0.9, yes.reasons
    assert not no.relevant and no.score < 0.1, no.reasons
    # reasons are built from the structured contributions, largest first
    assert yes.contributions[0][1] == max(v for _, v in yes.contributions)
    name, value = yes.contributions[0]
    assert f"{name} {value:+.2f}" in next(r for r in yes.reasons if r.startswith("contributions: "))


def test_a_feature_without_weight_is_an_error(tmp_path: Path) -> None:
    text = (ROOT / "config" / "flag.toml").read_text(encoding="utf-8")
    (tmp_path / "flag.toml").write_text(
        text.replace(
            "\n[terms.prisoners]",
            '\n[terms.newcat]\nkind = "for"\nterms = ["x"]\n\n[terms.prisoners]',
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="no weight for feature 'newcat_top'"):
        load_config(tmp_path)


def test_shipped_model_on_texts_of_our_own() -> None:
    cfg = load_config(None)
    actors = ActorIndex.from_config(cfg.actors)
    on = date(2025, 3, 1)
    yes = flag_article(*RELEVANT, published=on, actors=actors, settings=cfg.flag)
    no = flag_article(*IRRELEVANT, published=on, actors=actors, settings=cfg.flag)
    assert yes.relevant and not no.relevant
    assert 0.0 <= no.score < cfg.flag["model"]["threshold"] <= yes.score <= 1.0
