"""The evaluation report of a model: metrics and plots saved as files (and logged to MLflow).

Plots (PNG, matplotlib's Agg backend): the precision-recall curve, the calibrated
score's distribution by class, the reliability curve (mean score vs observed fraud
rate per score bin) and the top features by total gain. ``metrics.json`` holds the
numbers and ``report.md`` puts them together. :func:`compare_models` draws two or
more models' PR curves and metrics side by side.
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
from sklearn.metrics import precision_recall_curve

__all__ = ["EvaluationReport", "compare_models", "write_report"]


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    directory: Path
    metrics: dict[str, float]
    plots: tuple[Path, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return (*self.plots, self.directory / "metrics.json", self.directory / "report.md")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _pr_curve(
    ax: Any, target: npt.NDArray[np.int8], scores: npt.NDArray[np.float64], label: str
) -> None:
    precision, recall, _ = precision_recall_curve(target, scores)
    ax.step(recall, precision, where="post", label=label)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def write_report(
    directory: Path,
    *,
    target: npt.NDArray[np.int8],
    scores: npt.NDArray[np.float64],
    metrics: Mapping[str, float],
    importance: Mapping[str, float],
    title: str,
    top_features: int = 20,
) -> EvaluationReport:
    """Write the report of one model on its test slice into ``directory``."""
    plt = _pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    plots: list[Path] = []
    positives = int(target.sum())
    both = 0 < positives < len(target)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    if both:
        _pr_curve(ax, target, scores, f"AP {metrics.get('average_precision', float('nan')):.3f}")
        ax.axhline(positives / len(target), color="grey", linestyle=":", label="fraud rate")
        ax.legend()
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"Precision-recall, test slice\n{title}")
    plots.append(_save(fig, directory / "pr_curve.png"))

    fig, ax = plt.subplots(figsize=(6, 4.5))
    bins = np.linspace(0.0, 1.0, 41)
    ax.hist(scores[target == 0], bins=bins, alpha=0.6, label="genuine", color="tab:blue")
    ax.hist(scores[target == 1], bins=bins, alpha=0.7, label="fraud", color="tab:red")
    ax.set_yscale("log")
    ax.set_xlabel("calibrated score")
    ax.set_ylabel("transactions (log scale)")
    ax.set_title(f"Score distribution by class\n{title}")
    ax.legend()
    plots.append(_save(fig, directory / "score_distribution.png"))

    fig, ax = plt.subplots(figsize=(6, 4.5))
    order = np.argsort(scores)
    groups = [g for g in np.array_split(order, 10) if len(g)]
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.plot(
        [float(scores[g].mean()) for g in groups],
        [float(target[g].mean()) for g in groups],
        marker="o",
    )
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("mean calibrated score (deciles)")
    ax.set_ylabel("observed fraud rate")
    ax.set_title(f"Reliability\n{title}")
    plots.append(_save(fig, directory / "reliability.png"))

    ranked = sorted(importance.items(), key=lambda item: (-item[1], item[0]))[:top_features]
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.28 * len(ranked) + 1)))
    ax.barh([n for n, _ in ranked][::-1], [g for _, g in ranked][::-1], color="tab:green")
    ax.set_xlabel("total gain")
    ax.set_title(f"Top {len(ranked)} features\n{title}")
    plots.append(_save(fig, directory / "feature_importance.png"))

    clean = {k: float(v) for k, v in metrics.items()}
    (directory / "metrics.json").write_text(
        json.dumps({k: (v if math.isfinite(v) else None) for k, v in clean.items()}, indent=2)
    )
    lines = [f"# {title}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:,.4f} |" for k, v in sorted(clean.items())]
    lines += ["", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    (directory / "report.md").write_text("\n".join(lines))
    return EvaluationReport(directory, clean, tuple(plots))


def compare_models(
    path: Path,
    models: Sequence[tuple[str, npt.NDArray[np.int8], npt.NDArray[np.float64]]],
    metrics: Sequence[Mapping[str, float]],
    *,
    keys: Sequence[str] = ("auc", "average_precision", "card_precision_at_100"),
) -> Path:
    """PR curves of several (name, target, scores) on one axis, and their metrics as bars."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for (name, target, scores), values in zip(models, metrics, strict=True):
        label = f"{name} (AP {values.get('average_precision', float('nan')):.3f})"
        _pr_curve(left, target, scores, label)
    left.set_xlabel("recall")
    left.set_ylabel("precision")
    left.set_title("Precision-recall on the same test slice")
    left.legend()
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(keys))
    for index, ((name, _, _), values) in enumerate(zip(models, metrics, strict=True)):
        right.bar(x + index * width, [values.get(k, float("nan")) for k in keys], width, label=name)
    right.set_xticks(x + width * (len(models) - 1) / 2, list(keys))
    right.set_ylim(0, 1)
    right.set_title("Metrics (higher is better)")
    right.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)
