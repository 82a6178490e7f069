"""Time-ordered splits, separate early-stopping and calibration slices, calibrated scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from contracts import FrozenClock
from models import LightGBMScorer
from tests.factories import BASE_TIME
from tests.unit.training.conftest import History
from training import TrainConfig, TrainingError, fit_model
from training.calibration import fit_calibration, platt_table
from training.search import prequential, search
from training.train import time_slices


def test_slices_are_consecutive_in_time_and_disjoint(history: History) -> None:
    parts = time_slices(history.data, (0.6, 0.1, 0.15, 0.15))
    assert sum(len(p) for p in parts) == len(history.data)
    for older, newer in zip(parts, parts[1:], strict=False):
        assert older.event_time.max() < newer.event_time.min()
    ids = [set(p.transaction_id) for p in parts]
    assert all(not (a & b) for i, a in enumerate(ids) for b in ids[i + 1 :])


def test_fit_is_deterministic_calibrated_and_keeps_its_test_slice(history: History) -> None:
    clock = FrozenClock(BASE_TIME)
    one = fit_model(history.data, clock=clock)
    two = fit_model(history.data, clock=clock)
    assert one.meta.version == two.meta.version  # fixed seed, one thread: same trees
    assert one.meta.params["config"]["calibration"] == "platt"
    assert one.test_set is not None and len(one.test_set) == len(one.test_scores)
    # Platt keeps the ranking: calibrated AUC equals the raw booster's AUC.
    names = list(history.data.feature_names)
    raw = one.booster.predict(one.test_set.features[names].to_numpy(np.float64))
    assert roc_auc_score(one.test_target, raw) == pytest.approx(one.metrics["auc"])
    # Probabilities, not inflated up-weighted scores: the mean is near the fraud rate.
    assert one.metrics["test_mean_score"] < 5 * max(one.metrics["test_fraud_rate"], 1e-3)
    holdout = one.holdout()
    assert list(holdout["score"]) == list(one.test_scores)
    assert {"amount_base", "liability_shift", "target", "event_time"} <= set(holdout.columns)
    scorer = LightGBMScorer(one.booster, one.meta)
    single = [
        scorer.predict(one.test_set.features[names].to_numpy(np.float64)[i : i + 1])[0]
        for i in range(20)
    ]
    assert np.allclose(single, one.test_scores[:20])  # the fast single-row path agrees


def test_three_fractions_keep_the_original_layout(history: History) -> None:
    fitted = fit_model(
        history.data, TrainConfig(fractions=(0.7, 0.15, 0.15), calibration="isotonic")
    )
    # Isotonic on a small slice: a step function (on this little data, nearly flat).
    assert fitted.calibration.x and len(fitted.calibration.x) < 100
    assert fitted.meta.params["config"]["fractions"] == (0.7, 0.15, 0.15)
    with pytest.raises(TrainingError, match="sum to 1"):
        TrainConfig(fractions=(0.5, 0.2, 0.2))


def test_calibration_methods() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(0, 1, 5000)
    target = (rng.uniform(0, 1, 5000) < raw**3).astype(np.int8)
    for method in ("platt", "isotonic"):
        table = fit_calibration(raw, target, method)
        calibrated = table.apply(raw)
        assert np.all(np.diff(calibrated[np.argsort(raw)]) >= -1e-12)  # monotone
        assert abs(calibrated.mean() - target.mean()) < 0.02
    identity = platt_table(1.0, 0.0).apply(np.array([1e-4, 0.01, 0.5, 0.99]))
    assert np.allclose(identity, [1e-4, 0.01, 0.5, 0.99], rtol=1e-3)
    with pytest.raises(TrainingError, match="both classes"):
        fit_calibration(raw, np.zeros(5000, dtype=np.int8), "platt")


def test_bounded_search_and_prequential_blocks(history: History) -> None:
    base = TrainConfig(max_rounds=60)
    found = search(history.data, base, trials=3, progress=lambda _: None)
    assert len(found.trials) <= 3 and found.best_score == max(s for _, s in found.trials)
    with pytest.raises(TrainingError, match="between 1 and"):
        search(history.data, base, trials=500)
    table = prequential(history.data, base, blocks=2, evaluated_fraction=0.3)
    assert list(table["block"]) == [1, 2]
    assert table["history_end"].iloc[1] > table["history_end"].iloc[0]


def test_max_bin_reaches_lightgbm_and_is_checked() -> None:
    assert TrainConfig().lightgbm_params()["max_bin"] == 255  # LightGBM's own default
    assert TrainConfig(max_bin=1023).lightgbm_params()["max_bin"] == 1023
    with pytest.raises(TrainingError, match="max_bin"):
        TrainConfig(max_bin=1)
