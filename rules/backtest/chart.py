"""The backtest as a picture (PNG): per-rule precision and recall, money, reviews per day.

With a diff, the other version is drawn beside the new one (lighter bars, dashed line)
so the change reads at a glance. matplotlib is imported here, on use, with the Agg
backend: nothing happens at import time and no display is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rules.backtest.diff import BacktestDiff
from rules.backtest.run import BacktestResult, RuleStats

__all__ = ["write_chart"]

_NEW = "#1f6feb"
_OLD = "#9db9e6"
_FRAUD = "#2da44e"
_GOOD = "#cf222e"


def _label(stats: RuleStats) -> str:
    return f"{stats.rule_id} (shadow)" if stats.shadow else stats.rule_id


def _pairs(
    result: BacktestResult, diff: BacktestDiff | None
) -> list[tuple[str, RuleStats | None, RuleStats | None]]:
    """(label, new, old) per rule to draw: the new version's rules, then removed ones."""
    if diff is None:
        return [(_label(s), s, None) for s in result.rules]
    pairs = []
    for delta in diff.rules:
        stats = delta.new or delta.old
        if stats is not None:
            pairs.append((_label(stats), delta.new, delta.old))
    return pairs


def _value(stats: RuleStats | None, field: str) -> float:
    if stats is None:
        return 0.0
    value = getattr(stats.tally, field)
    return float(value) if value is not None else 0.0


def _bars(axis: Any, labels: list[str], new: list[float], old: list[float] | None) -> None:
    positions = list(range(len(labels)))
    height = 0.4 if old is not None else 0.8
    axis.barh([p - height / 2 if old else p for p in positions], new, height, color=_NEW)
    if old is not None:
        axis.barh([p + height / 2 for p in positions], old, height, color=_OLD)
    axis.set_yticks(positions, labels, fontsize=7)
    axis.invert_yaxis()


def write_chart(result: BacktestResult, path: Path, diff: BacktestDiff | None = None) -> Path:
    """Write the chart for ``result`` (and ``diff``) to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = _pairs(result, diff)
    labels = [label for label, _, _ in pairs]
    height = max(4.0, 0.28 * len(labels) + 1.5)
    figure, axes = plt.subplots(2, 2, figsize=(15, height * 1.6), layout="constrained")
    precision, recall, money, reviews = axes[0][0], axes[0][1], axes[1][0], axes[1][1]
    old_versions = diff is not None

    for axis, field, title in ((precision, "precision", "precision"), (recall, "recall", "recall")):
        _bars(
            axis,
            labels,
            [_value(new, field) for _, new, _ in pairs],
            [_value(old, field) for _, _, old in pairs] if old_versions else None,
        )
        axis.set_xlim(0, 1)
        axis.set_title(f"per-rule {title} (hits on fraud-labelled transactions)")
        axis.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    if old_versions and diff is not None:
        precision.legend([result.version, diff.old.version], fontsize=8, loc="lower right")

    scale = 10**result.exponent
    positions = list(range(len(labels)))
    stopped = [(new.fraud_amount_stopped if new else 0) / scale for _, new, _ in pairs]
    blocked = [(new.good_amount_blocked if new else 0) / scale for _, new, _ in pairs]
    money.barh([p - 0.2 for p in positions], stopped, 0.4, color=_FRAUD, label="fraud stopped")
    money.barh([p + 0.2 for p in positions], blocked, 0.4, color=_GOOD, label="good blocked")
    money.set_yticks(positions, labels, fontsize=7)
    money.invert_yaxis()
    money.set_title(f"per-rule money, {result.version} ({result.base_currency})")
    money.legend(fontsize=8, loc="lower right")

    days = [str(day) for day in result.days]
    reviews.plot(days, result.reviews_per_day, color=_NEW, label=result.version)
    if diff is not None:
        reviews.plot(
            days, diff.old.reviews_per_day, color=_OLD, linestyle="--", label=diff.old.version
        )
    reviews.set_title("review volume per day (final action = review)")
    reviews.set_ylabel("transactions")
    reviews.legend(fontsize=8)
    step = max(1, len(days) // 10)
    reviews.set_xticks(range(0, len(days), step), days[::step], rotation=45, fontsize=7)

    figure.suptitle(
        f"backtest of {result.version} on {result.rows:,} transactions "
        f"({result.frauds:,} fraud-labelled)"
    )
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
