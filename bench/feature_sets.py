"""`riskstream bench feature-sets`: does the full feature registry beat the first path's?

Same simulated history, same labels, same LightGBM settings, same time split; only the
feature set differs:

* ``first_path``: per-card and per-customer count and amount sum over 1 h and 24 h,
  plus the payment signals (the first scoring path);
* ``default``: the full registry (exact and bucketed velocities, distinct counts,
  amount profiles, first-seen, delayed-label fraud shares).

Protocol: train on the history up to ``test_days + gap_days`` before the end, with the
labels known when the test week starts (a chargeback takes time); early-stop on the
newest 15 % of the training period; score the last ``test_days`` and measure average
precision and AUC against the simulator's ground truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from features import (
    FeatureRegistry,
    OfflineFeatures,
    RatesTable,
    default_registry,
    first_path_registry,
)
from simulator import SimulationConfig, Simulator, labels_frame, to_frame
from training import TrainConfig, normalise_labels

__all__ = ["FeatureSetResult", "compare_feature_sets"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class FeatureSetResult:
    feature_set: str
    features: int
    average_precision: float
    auc: float
    test_rows: int
    test_frauds: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fit_and_score(
    registry: FeatureRegistry,
    transactions: pd.DataFrame,
    labels: pd.DataFrame,
    train: np.ndarray,
    target: np.ndarray,
    test: np.ndarray,
    config: TrainConfig,
) -> np.ndarray:
    features = OfflineFeatures(registry, RatesTable.from_mapping()).compute(transactions, labels)
    matrix = features[list(registry.model_features)].to_numpy(dtype=np.float64)
    train_rows = np.flatnonzero(train)
    cut = train_rows[int(len(train_rows) * 0.85)]  # rows are in event-time order
    fit, stop = train_rows[train_rows < cut], train_rows[train_rows >= cut]
    booster = lgb.train(
        config.lightgbm_params(),
        lgb.Dataset(matrix[fit], target[fit]),
        num_boost_round=config.max_rounds,
        valid_sets=[lgb.Dataset(matrix[stop], target[stop])],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    return np.asarray(booster.predict(matrix[test], num_threads=1), dtype=np.float64)


def compare_feature_sets(
    *,
    seed: int = 7,
    days: float = 60.0,
    test_days: int = 7,
    gap_days: int = 7,
    progress: Progress = lambda _: None,
) -> list[FeatureSetResult]:
    config = SimulationConfig(seed=seed, days=days)
    progress(f"simulating {days:g} days (seed {seed})")
    simulated = list(Simulator(config).transactions())
    transactions = to_frame(simulated).sort_values("event_time", kind="stable")
    transactions = transactions.reset_index(drop=True)
    labels = normalise_labels(labels_frame(simulated))
    times = pd.to_datetime(transactions["event_time"], utc=True)
    test_start = pd.Timestamp(config.end) - timedelta(days=test_days)
    train_end = test_start - timedelta(days=gap_days)
    known = labels[labels["is_fraud"] & (labels["reported_at"] <= test_start)]
    ids = transactions["transaction_id"].astype(str)
    target = ids.isin(set(known["transaction_id"].astype(str))).to_numpy(dtype=np.int8)
    train = (times < train_end).to_numpy()
    test = (times >= test_start).to_numpy()
    truth = transactions["is_fraud"].to_numpy(dtype=np.int8)[test]
    results = []
    for name, registry in (("first_path", first_path_registry()), ("default", default_registry())):
        progress(f"{name}: {len(registry.model_features)} model inputs")
        scores = _fit_and_score(registry, transactions, labels, train, target, test, TrainConfig())
        results.append(
            FeatureSetResult(
                feature_set=name,
                features=len(registry.model_features),
                average_precision=round(float(average_precision_score(truth, scores)), 4),
                auc=round(float(roc_auc_score(truth, scores)), 4),
                test_rows=int(test.sum()),
                test_frauds=int(truth.sum()),
            )
        )
    return results
