"""Where to calibrate, measured: `riskstream models bench-calibration`.

For each simulated world (one per seed) and each layout — how the history is split
between training, early stopping and calibration, and which calibration method —
train LightGBM and score the *same* newest 15 % of the history. Prints AUC, average
precision, Brier score, log loss and expected calibration error (10 quantile bins),
averaged over the seeds, and draws them side by side as a PNG.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from features import RatesTable, default_registry
from simulator import SimulationConfig
from training import TrainConfig, build_training_set, fit_booster, fit_calibration
from training.calibration import CalibrationMethod
from training.dataset import TrainingSet
from training.simulated import simulate_history

__all__ = ["LAYOUTS", "Layout", "measure_calibration", "plot_calibration"]

Progress = Callable[[str], None]
Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    train: Span
    early_stop: Span
    calibrate: Span
    method: CalibrationMethod


LAYOUTS: tuple[Layout, ...] = (
    Layout("70 | ES+isotonic on same 15", (0, 0.70), (0.70, 0.85), (0.70, 0.85), "isotonic"),
    Layout("70 | ES+Platt on same 15", (0, 0.70), (0.70, 0.85), (0.70, 0.85), "platt"),
    Layout("70 | ES 7.5 | isotonic 7.5", (0, 0.70), (0.70, 0.775), (0.775, 0.85), "isotonic"),
    Layout("60 | ES 10 | isotonic 15", (0, 0.60), (0.60, 0.70), (0.70, 0.85), "isotonic"),
    Layout("60 | ES 10 | Platt 15 (default)", (0, 0.60), (0.60, 0.70), (0.70, 0.85), "platt"),
)
METRICS = ("auc", "average_precision", "brier", "log_loss", "ece")


def _quiet(_: str) -> None:
    return None


def _ece(target: npt.NDArray[np.int8], scores: npt.NDArray[np.float64], bins: int = 10) -> float:
    order = np.argsort(scores)
    total = 0.0
    for group in np.array_split(order, bins):
        if len(group):
            total += abs(float(target[group].mean()) - float(scores[group].mean())) * len(group)
    return total / len(scores)


def _slice(data: TrainingSet, ms: npt.NDArray[np.integer], span: Span) -> TrainingSet:
    low = np.quantile(ms, span[0]) if span[0] > 0 else -np.inf
    return data.slice((ms > low) & (ms <= np.quantile(ms, span[1])))


def measure_calibration(
    seeds: Sequence[int],
    *,
    days: float = 45.0,
    layouts: Sequence[Layout] = LAYOUTS,
    progress: Progress = _quiet,
) -> dict[str, dict[str, float]]:
    """Layout name -> metric -> mean over ``seeds`` (on each world's newest 15 %)."""
    results: dict[str, dict[str, list[float]]] = {
        layout.name: {m: [] for m in METRICS} for layout in layouts
    }
    for seed in seeds:
        progress(f"world {seed}: simulating {days:g} days")
        config = SimulationConfig(seed=seed, days=days)
        transactions, labels = simulate_history(config)
        data = build_training_set(
            transactions,
            labels,
            default_registry(),
            RatesTable.from_mapping(),
            as_of=config.end,
            maturity=timedelta(days=10),
        )
        ms = data.event_time.astype("int64").to_numpy()
        test = _slice(data, ms, (0.85, 1.0))
        names = list(data.feature_names)
        test_matrix = test.features[names].to_numpy(np.float64)
        for layout in layouts:
            progress(f"world {seed}: {layout.name}")
            train = _slice(data, ms, layout.train)
            valid = _slice(data, ms, layout.early_stop)
            calibrate = _slice(data, ms, layout.calibrate)
            booster = fit_booster(train, valid, TrainConfig())
            raw = np.asarray(
                booster.predict(calibrate.features[names].to_numpy(np.float64), num_threads=1)
            )
            table = fit_calibration(raw, calibrate.target, layout.method)
            raw_test = np.asarray(booster.predict(test_matrix, num_threads=1), dtype=np.float64)
            scores = np.clip(table.apply(raw_test), 1e-6, 1 - 1e-6)
            values = {
                "auc": roc_auc_score(test.target, scores),
                "average_precision": average_precision_score(test.target, scores),
                "brier": brier_score_loss(test.target, scores),
                "log_loss": log_loss(test.target, scores, labels=[0, 1]),
                "ece": _ece(test.target, scores),
            }
            for metric, value in values.items():
                results[layout.name][metric].append(float(value))
    return {
        name: {m: statistics.fmean(v) for m, v in metrics.items()}
        for name, metrics in results.items()
    }


def plot_calibration(results: dict[str, dict[str, float]], path: Path) -> Path:
    """One panel per metric, one bar per layout."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(18, 4.5))
    names = list(results)
    for ax, metric in zip(axes, METRICS, strict=True):
        ax.barh(names, [results[n][metric] for n in names], color="tab:purple")
        better = "higher" if metric in ("auc", "average_precision") else "lower"
        ax.set_title(f"{metric} ({better} is better)")
        ax.invert_yaxis()
        if ax is not axes[0]:
            ax.set_yticklabels([])
    fig.suptitle("Calibration layouts on the same test slice (mean over simulated worlds)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
