"""Optional, bounded hyper-parameter search and prequential evaluation.

Search: random draws from a small grid (``SEARCH_SPACE``), at most ``MAX_TRIALS``,
each trained on the training slice and judged by average precision on the
early-stopping slice. The test slice (and the calibration slice) are never looked
at, so the metrics reported by :func:`training.fit_model` afterwards stay honest.
Trial 0 is always the base configuration, so the search can only help on the
validation slice.

Prequential: the newest part of the history is cut into consecutive blocks; each
block is scored by a model trained (and calibrated) only on what came before it —
how the model would have done had it been retrained every block.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from training.dataset import TrainingSet
from training.errors import TrainingError
from training.metrics import evaluate
from training.train import TrainConfig, fit_booster, fit_model, time_slices

__all__ = ["MAX_TRIALS", "SEARCH_SPACE", "SearchResult", "prequential", "search"]

Progress = Callable[[str], None]
MAX_TRIALS = 40

SEARCH_SPACE: dict[str, tuple[float, ...]] = {
    "num_leaves": (15, 31, 63),
    "learning_rate": (0.03, 0.05, 0.1),
    "min_child_samples": (20, 40, 100),
    "feature_fraction": (0.6, 0.8, 1.0),
    "scale_pos_weight": (1.0, 5.0, 20.0),
    "lambda_l2": (0.0, 1.0, 10.0),
}
_INTEGER = frozenset({"num_leaves", "min_child_samples"})


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class SearchResult:
    best: TrainConfig
    best_score: float  # average precision on the early-stopping slice
    trials: tuple[tuple[dict[str, float], float], ...]


def search(
    data: TrainingSet,
    base: TrainConfig,
    *,
    trials: int,
    seed: int = 7,
    progress: Progress = _quiet,
) -> SearchResult:
    """Try ``trials`` configurations (base first); the best by validation AP wins."""
    if not 1 <= trials <= MAX_TRIALS:
        raise TrainingError(f"trials must be between 1 and {MAX_TRIALS}")
    slices = time_slices(data, base.fractions)
    train, valid = slices[0], slices[1]
    if int(valid.target.sum()) == 0:
        raise TrainingError("the early-stopping slice has no fraud: use a longer history")
    rng = random.Random(seed)  # noqa: S311 - a reproducible search, not cryptography
    tried: list[tuple[dict[str, float], float]] = []
    seen: set[tuple[float, ...]] = set()
    best, best_score = base, float("-inf")
    names = list(data.feature_names)
    for index in range(trials):
        if index == 0:
            params = {k: float(getattr(base, k)) for k in SEARCH_SPACE}
        else:
            params = {k: float(rng.choice(v)) for k, v in SEARCH_SPACE.items()}
        key = tuple(params.values())
        if key in seen:
            continue
        seen.add(key)
        changes: dict[str, Any] = {k: int(v) if k in _INTEGER else v for k, v in params.items()}
        config = replace(base, **changes)
        booster = fit_booster(train, valid, config)
        raw = booster.predict(valid.features[names].to_numpy(np.float64), num_threads=1)
        score = float(average_precision_score(valid.target, raw))
        tried.append((params, score))
        marker = ""
        if score > best_score:
            best, best_score, marker = config, score, "  (best so far)"
        progress(f"trial {index + 1}/{trials}: validation AP {score:.4f}{marker}")
    return SearchResult(best, best_score, tuple(tried))


def prequential(
    data: TrainingSet,
    config: TrainConfig,
    *,
    blocks: int = 3,
    evaluated_fraction: float = 0.3,
    progress: Progress = _quiet,
) -> pd.DataFrame:
    """Metrics per block of the newest ``evaluated_fraction`` of the data (see module doc)."""
    if blocks < 1 or not 0 < evaluated_fraction < 1:
        raise TrainingError("blocks must be >= 1 and evaluated_fraction in (0, 1)")
    ms = data.event_time.astype("int64").to_numpy()
    start = float(np.quantile(ms, 1 - evaluated_fraction))
    edges = np.linspace(start, float(ms.max()), blocks + 1)
    rows = []
    names = list(data.feature_names)
    for index in range(blocks):
        low, high = edges[index], edges[index + 1]
        history = data.slice(ms <= low)
        block = data.slice((ms > low) & (ms <= high))
        progress(f"block {index + 1}/{blocks}: {len(history):,} rows of history")
        fitted = fit_model(history, config)
        raw = fitted.booster.predict(block.features[names].to_numpy(np.float64), num_threads=1)
        scores = np.clip(fitted.calibration.apply(np.asarray(raw, dtype=np.float64)), 0, 1)
        metrics = evaluate(block.target, scores, block.event_time, block.card, block.amount_base)
        rows.append(
            {
                "block": index + 1,
                "history_end": pd.Timestamp(int(low), tz="UTC"),
                "block_end": pd.Timestamp(int(high), tz="UTC"),
                **metrics,
            }
        )
    return pd.DataFrame(rows)
