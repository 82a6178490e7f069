"""Build a model's training score distribution by scoring the history it was trained on.

For models trained on simulated history (``riskstream train``, the demo): simulate the
same period, compute the point-in-time features with the offline twin, score every
transaction with the stored model and keep the deciles. Models trained elsewhere
should store ``score_reference.json`` next to themselves at training time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from features import FeatureRegistry, RatesTable
from models import LightGBMScorer, LocalModelStore
from monitoring.drift import ScoreReference
from simulator import SimulationConfig
from training.dataset import build_training_set
from training.simulated import simulate_history

__all__ = ["reference_from_simulation"]


def _quiet(_: str) -> None:
    return None


def reference_from_simulation(
    store: LocalModelStore,
    version: str,
    config: SimulationConfig,
    registry: FeatureRegistry,
    rates: RatesTable,
    *,
    progress: Callable[[str], None] = _quiet,
) -> ScoreReference:
    """Score ``config``'s simulated history with model ``version``; its deciles."""
    scorer = LightGBMScorer.load(store.path(version))
    progress(f"simulating {config.days:g} days (seed {config.seed})")
    transactions, labels = simulate_history(config)
    data = build_training_set(transactions, labels, registry, rates, progress=progress)
    names = list(scorer.feature_names)
    scores = scorer.predict(data.features[names].to_numpy(np.float64))
    progress(f"scored {len(scores):,} transactions")
    return ScoreReference.from_scores(
        version,
        scores,
        source=f"simulated {config.days:g} days, seed {config.seed}, {len(scores)} rows",
    )
