"""Top reasons from per-feature contributions; the single-row fast path agrees with predict."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from models.explain import describe_value, top_reasons, top_reasons_batch
from models.fastpath import SingleRowPredictor


def _booster() -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2000, 4))
    y = (x[:, 0] + 0.5 * x[:, 2] + rng.normal(scale=0.3, size=2000) > 1.2).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 1},
        lgb.Dataset(x, y, feature_name=["velocity", "noise_a", "cvv_no_match", "noise_b"]),
        num_boost_round=30,
    )
    return booster, x


def test_reasons_are_the_largest_positive_contributions() -> None:
    names = ("a", "b", "c", "d")
    row = np.array([0.2, -1.0, 0.9, 0.0, -3.0])  # the last column is the bias
    reasons = top_reasons(
        row,
        names,
        {"c": "the CVV did not match"},
        values=np.array([1, 2, 1, 0.0]),
        kinds={"c": "bool"},
        k=3,
    )
    assert [r["feature"] for r in reasons] == ["c", "a"]  # negatives and zeros never appear
    assert reasons[0] == {
        "code": "model_c",
        "text": "The CVV did not match: yes (raises the risk)",
        "source": "model",
        "feature": "c",
        "contribution": 0.9,
    }
    assert reasons[1]["text"] == "A: 1 (raises the risk)"
    assert top_reasons(row, names, {}, k=1)[0]["feature"] == "c"
    assert describe_value(float("nan")) == "missing" and describe_value(0.1234) == "0.123"
    with pytest.raises(ValueError, match="contributions"):
        top_reasons(np.array([0.1]), names, {})


def test_reasons_from_lightgbm_contributions() -> None:
    booster, x = _booster()
    names = tuple(booster.feature_name())
    rows = x[:50]
    contributions = booster.predict(rows, pred_contrib=True, num_threads=1)
    batch = top_reasons_batch(contributions, names, {}, values=rows, k=2)
    for i in range(len(rows)):
        assert batch[i] == top_reasons(contributions[i], names, {}, values=rows[i], k=2)
        positive = [n for n, c in zip(names, contributions[i][:-1], strict=True) if c > 0]
        assert {r["feature"] for r in batch[i]} <= set(positive)
    risky = int(np.argmax(booster.predict(rows, num_threads=1)))
    assert batch[risky][0]["feature"] in ("velocity", "cvv_no_match")


def test_single_row_fast_path_matches_predict() -> None:
    booster, x = _booster()
    fast = SingleRowPredictor(booster)
    contrib = SingleRowPredictor(booster, contributions=True)
    expected = booster.predict(x[:100], num_threads=1)
    expected_contrib = booster.predict(x[:100], pred_contrib=True, num_threads=1)
    for i in range(100):
        assert fast(x[i])[0] == pytest.approx(expected[i], abs=1e-12)
        assert np.allclose(contrib(x[i]), expected_contrib[i])
    fast.close()
    contrib.close()
