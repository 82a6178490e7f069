"""The benchmark's model: one booster per seed, scores averaged; bad seed lists refused."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from bench.handbook_errors import HandbookError
from bench.handbook_model import ModelConfig, fit

NAMES = ["amount", "noise"]


def _week(
    seed: int = 3,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    """A training week where large amounts are fraud, with frauds in its newest slice too."""
    rng = np.random.default_rng(seed)
    n = 3_000
    amount = rng.gamma(2.0, 30.0, n)
    features = np.column_stack([amount, rng.normal(size=n)])
    target = ((amount > 150) | (rng.random(n) < 0.02)).astype(np.int8)
    event_time = np.sort(rng.integers(0, 7 * 86_400 * 10**9, n))
    return features, target, event_time


def test_several_seeds_average_the_models_of_each_seed() -> None:
    features, target, event_time = _week()
    alone = {
        seed: fit(features, target, event_time, NAMES, ModelConfig(seeds=(seed,)))
        for seed in (7, 11)
    }
    both = fit(features, target, event_time, NAMES, ModelConfig(seeds=(7, 11)))

    assert len(both.boosters) == 2 and both.early_stopped
    assert both.rounds == (alone[7].rounds[0], alone[11].rounds[0])
    scores = {seed: model.score(features) for seed, model in alone.items()}
    # bagging and feature sampling follow the seed, so the two models differ
    assert not np.allclose(scores[7], scores[11])
    np.testing.assert_allclose(both.score(features), (scores[7] + scores[11]) / 2)


def test_the_fixed_configuration_is_one_model_with_seed_7() -> None:
    config = ModelConfig()
    assert config.seeds == (7,)
    assert config.params()["seed"] == 7
    assert config.describe()["seeds"] == [7]
    assert "mean of" not in config.describe()["scores"]
    assert "mean of 3 models" in ModelConfig(seeds=(7, 1, 2)).describe()["scores"]


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        ((), "at least one seed"),
        ((7, 1, 7), "repeats a seed: 7, 1, 7"),
        ((7, -1), "non-negative integers: 7, -1"),
    ],
)
def test_a_bad_seed_list_is_refused(seeds: tuple[int, ...], message: str) -> None:
    with pytest.raises(HandbookError, match=message):
        ModelConfig(seeds=seeds)
