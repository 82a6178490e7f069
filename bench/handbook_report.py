"""The published results, and our numbers next to them: a table, metrics.json, a chart.

The published tables are those of the Fraud Detection Handbook (Le Borgne et al., 2022)
for its simulated dataset: the baseline chapter's standard split and the model-selection
chapters' prequential test protocol (mean over four folds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from bench.handbook_protocol import Protocol

__all__ = [
    "METRICS",
    "OURS",
    "PUBLISHED",
    "Published",
    "best_published",
    "format_table",
    "summarise",
    "write_chart",
    "write_metrics",
    "write_predictions",
]

# metric key -> column title
METRICS: dict[str, str] = {
    "auc_roc": "AUC ROC",
    "average_precision": "AP",
    "card_precision_at_100": "CP@100",
}
OURS = "riskstream LightGBM (ours)"


@dataclass(frozen=True, slots=True)
class Published:
    model: str
    auc_roc: float
    average_precision: float
    card_precision_at_100: float

    def value(self, metric: str) -> float:
        return float(getattr(self, metric))


PUBLISHED: dict[Protocol, tuple[Published, ...]] = {
    "standard": (
        Published("logistic regression", 0.871, 0.606, 0.291),
        Published("decision tree, depth 2", 0.763, 0.496, 0.241),
        Published("random forest", 0.867, 0.658, 0.287),
        Published("XGBoost", 0.862, 0.639, 0.273),
    ),
    "prequential": (
        Published("random forest (100 trees, depth 20)", 0.870, 0.678, 0.299),
        Published("XGBoost (50 trees, lr 0.3, depth 3)", 0.872, 0.687, 0.303),
        Published("balanced bagging", 0.879, 0.680, 0.305),
        Published("MLP", 0.876, 0.675, 0.303),
        Published("LSTM on the card's sequence", 0.876, 0.665, 0.297),
    ),
}


def best_published(protocol: Protocol) -> dict[str, float]:
    """The best published value of each metric (possibly from different models)."""
    return {m: max(p.value(m) for p in PUBLISHED[protocol]) for m in METRICS}


def summarise(folds: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation (ddof=0, as scikit-learn's cross-validation) per metric."""
    summary = {}
    for metric in METRICS:
        values = np.array([float(fold["metrics"][metric]) for fold in folds], dtype=np.float64)
        summary[metric] = {
            "mean": float(np.nanmean(values)) if not np.isnan(values).all() else math.nan,
            "std": float(np.nanstd(values)) if not np.isnan(values).all() else math.nan,
        }
    return summary


def _cell(mean: float, std: float | None = None) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.3f}" if std is None else f"{mean:.3f} ± {std:.3f}"


def format_table(
    protocol: Protocol,
    summary: Mapping[str, Mapping[str, float]],
    folds: Sequence[Mapping[str, Any]],
    ours_name: str = OURS,
) -> str:
    """Our numbers under the published ones, then one line per fold."""
    several = len(folds) > 1
    rows = [(p.model, [_cell(p.value(m)) for m in METRICS]) for p in PUBLISHED[protocol]]
    ours = [_cell(summary[m]["mean"], summary[m]["std"] if several else None) for m in METRICS]
    rows.append((ours_name, ours))
    width = max(len(name) for name, _ in rows) + 2
    cells = max(len(c) for _, row in rows for c in row) + 2
    title = (
        "standard split (train 7 d, delay 7 d, test 7 d)"
        if protocol == "standard"
        else f"prequential test protocol ({len(folds)} folds, mean ± std)"
    )
    lines = [f"Fraud Detection Handbook benchmark: {title}", ""]
    lines.append("model".ljust(width) + "".join(t.rjust(cells) for t in METRICS.values()))
    lines.append("-" * (width + cells * len(METRICS)))
    for name, row in rows:
        if name == ours_name:
            lines.append("-" * (width + cells * len(METRICS)))
        lines.append(name.ljust(width) + "".join(c.rjust(cells) for c in row))
    best = best_published(protocol)
    beats = [
        f"{title_} {'beats' if summary[m]['mean'] > best[m] else 'does not beat'} {best[m]:.3f}"
        for m, title_ in METRICS.items()
    ]
    lines += ["", "vs best published: " + "; ".join(beats), ""]
    for fold in folds:
        values = "  ".join(f"{t} {_cell(float(fold['metrics'][m]))}" for m, t in METRICS.items())
        lines.append(
            f"fold {fold['fold']}: train {fold['days']['train']}, test {fold['days']['test']}: "
            f"{values}  ({fold['test_rows']:,} test rows, {fold['test_frauds']} frauds)"
        )
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """JSON-safe values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_metrics(path: Path, payload: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(_plain(payload), indent=2, allow_nan=False) + "\n")
    return path


def write_predictions(
    path: Path, ids: npt.NDArray[np.object_], scores: npt.NDArray[np.float64]
) -> Path:
    """One row per test transaction: the file's TRANSACTION_ID and our score."""
    frame = pd.DataFrame({"TRANSACTION_ID": ids, "score": scores})
    frame.to_csv(path, index=False, float_format="%.8g")
    return path


def write_chart(
    path: Path,
    protocol: Protocol,
    summary: Mapping[str, Mapping[str, float]],
    folds: int,
    ours_name: str = OURS,
) -> Path:
    """Bars per metric: each published model, and ours (with its std over folds)."""
    from matplotlib.figure import Figure  # on use; Figure needs no pyplot and no backend switch

    published = PUBLISHED[protocol]
    names = [p.model for p in published] + [ours_name]
    figure = Figure(figsize=(13, 0.45 * len(names) + 2.2), layout="constrained")
    axes = figure.subplots(1, len(METRICS), sharey=True)
    positions = np.arange(len(names))
    colours = ["#9aa5b1"] * len(published) + ["#d1495b"]
    for axis, (metric, title) in zip(axes, METRICS.items(), strict=True):
        values = [p.value(metric) for p in published] + [summary[metric]["mean"]]
        spread = summary[metric]["std"] if folds > 1 else 0.0
        spread = 0.0 if math.isnan(spread) else spread
        axis.barh(positions, values, color=colours)
        if spread > 0:
            axis.errorbar(values[-1], positions[-1], xerr=spread, fmt="none", ecolor="black")
        for y, value in zip(positions, values, strict=True):
            if not math.isnan(value):
                end = value + (spread if y == positions[-1] else 0.0)
                axis.text(end, y, f" {value:.3f}", va="center", fontsize=8)
        axis.axvline(best_published(protocol)[metric], color="#444444", lw=0.8, ls="--")
        finite = [v for v in values if not math.isnan(v)] or [1.0]
        low = min(finite)
        axis.set_xlim(max(0.0, low - 0.1), min(1.0, max(finite) + spread + 0.08))
        axis.set_title(title)
    axes[0].set_yticks(positions, names, fontsize=8)
    axes[0].invert_yaxis()
    label = "standard split" if protocol == "standard" else f"prequential test, {folds} folds"
    figure.suptitle(f"Fraud Detection Handbook dataset, {label} (dashed: best published)")
    figure.savefig(path, dpi=110)
    return path
