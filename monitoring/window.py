"""The guard's memory of recent decisions: per-second aggregates, not the decisions.

A busy fleet decides thousands of payments a second; keeping each one for a five-minute
window would cost hundreds of megabytes. The window keeps, per second and per (model
version, rule-set version), the count of each action and a latency histogram with
geometric buckets (15 % apart, 0.1 ms to about a minute), so quantiles are exact to one
bucket and memory does not grow with traffic.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitoring.rollouts import DecisionSample

__all__ = ["LATENCY_EDGES_MS", "Bucket", "DecisionWindow", "WindowStats", "window_stats"]

LATENCY_EDGES_MS: tuple[float, ...] = tuple(0.1 * 1.15**k for k in range(96))


@dataclass(frozen=True, slots=True)
class WindowStats:
    count: int
    decline_share: float
    review_share: float
    latency_p95_ms: float

    def as_dict(self) -> dict[str, float]:
        return {
            "decisions": float(self.count),
            "decline_share": round(self.decline_share, 6),
            "review_share": round(self.review_share, 6),
            "latency_p95_ms": round(self.latency_p95_ms, 3),
        }


@dataclass(slots=True)
class Bucket:
    """One second of decisions of one (model, rule set) pair."""

    sample: DecisionSample  # the second and the versions; stands for the bucket
    actions: dict[str, int] = field(default_factory=dict)
    latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_EDGES_MS) + 1))

    @property
    def count(self) -> int:
        return sum(self.actions.values())


def window_stats(buckets: Sequence[Bucket], quantile: float = 0.95) -> WindowStats:
    """Shares and the latency quantile (a bucket's upper edge) over ``buckets``.

    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> window = DecisionWindow()
    >>> window.add([DecisionSample(at, "decline", 12.0, "m", "r")] * 3
    ...            + [DecisionSample(at, "approve", 3.0, "m", "r")])
    >>> stats = window_stats(window.buckets(at))
    >>> stats.count, stats.decline_share, 12.0 <= stats.latency_p95_ms < 12.0 * 1.15
    (4, 0.75, True)
    """
    total = sum(b.count for b in buckets)
    if not total:
        return WindowStats(0, 0.0, 0.0, 0.0)
    declines = sum(b.actions.get("decline", 0) for b in buckets)
    reviews = sum(b.actions.get("review", 0) for b in buckets)
    merged = [sum(column) for column in zip(*(b.latency for b in buckets), strict=True)]
    wanted = max(1, math.ceil(quantile * total))
    seen = 0
    p95 = LATENCY_EDGES_MS[-1]
    for index, n in enumerate(merged):
        seen += n
        if seen >= wanted:
            p95 = LATENCY_EDGES_MS[min(index, len(LATENCY_EDGES_MS) - 1)]
            break
    return WindowStats(total, declines / total, reviews / total, p95)


class DecisionWindow:
    """Per-second aggregates of recent decisions."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, str | None, str], Bucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def add(self, samples: Iterable[DecisionSample]) -> None:
        for s in samples:
            second = math.floor(s.decided_at.timestamp())
            key = (second, s.model_version, s.rule_set_version)
            bucket = self._buckets.get(key)
            if bucket is None:
                at = datetime.fromtimestamp(second, UTC)
                bucket = Bucket(DecisionSample(at, "", 0.0, s.model_version, s.rule_set_version))
                self._buckets[key] = bucket
            bucket.actions[s.action] = bucket.actions.get(s.action, 0) + 1
            bucket.latency[bisect_left(LATENCY_EDGES_MS, s.latency_ms)] += 1

    def forget(self, before: datetime) -> None:
        cutoff = math.floor(before.timestamp())
        for key in [k for k in self._buckets if k[0] < cutoff]:
            del self._buckets[key]

    def buckets(
        self,
        since: datetime,
        until: datetime | None = None,
        where: Callable[[DecisionSample], bool] | None = None,
    ) -> list[Bucket]:
        """Buckets whose second lies in ``[since, until)`` and that ``where`` accepts."""
        low = math.floor(since.timestamp())
        high = math.inf if until is None else until.timestamp()
        return [
            b
            for (second, _, _), b in self._buckets.items()
            if low <= second < high and (where is None or where(b.sample))
        ]
