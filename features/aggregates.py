"""Raw per-window aggregates, and the one function that turns them into features.

The online store (Redis) and the offline twin (numpy) each produce
:class:`Aggregates` — integer counts, sums, maxima, sums of squares, distinct counts —
and :func:`finalize` derives every feature from them. Means, ratios and z-scores are
therefore computed by the same floating-point code on the same integers, which is
what makes online and offline values identical rather than merely close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from features.columns import FloatArray
from features.plan import ZSCORE_UNIT, ZSCORE_UNIT_CAP, StatePlan
from features.registry import FeatureRegistry
from features.spec import DISTINCT_ATTRIBUTE, Entity, FirstSeen, Recency, Velocity

__all__ = ["Aggregates", "BucketAggregates", "ExactAggregates", "finalize"]

# Entity -> the transaction-table column that identifies it.
ENTITY_COLUMN: dict[str, str] = {
    "card": "card_fingerprint",
    "customer": "customer_id",
    "device": "device_id",
    "email": "email_hash",
    "ip": "ip",
    "merchant": "merchant_id",
    "bin": "card_bin",
}
# Attribute (distinct counts, first-seen) -> column.
ATTRIBUTE_COLUMN: dict[str, str] = {
    "card": "card_fingerprint",
    "ip_country": "ip_country",
    "email": "email_hash",
    "device": "device_id",
    "merchant": "merchant_id",
}


def _nan(*shape: int) -> FloatArray:
    return np.full(shape, np.nan, dtype=np.float64)


@dataclass(slots=True)
class ExactAggregates:
    """Per row and window of one exact entity; NaN rows where the entity is null."""

    count: FloatArray  # (rows, windows)
    total: FloatArray
    maximum: FloatArray  # -1 when the window is empty
    squares: FloatArray  # sum of squared amount units (see plan.ZSCORE_UNIT)
    units: FloatArray  # sum of amount units
    distinct: FloatArray  # (rows, windows, attributes)
    last_ms: FloatArray  # (rows,) -1 when no earlier event in the scan window

    @classmethod
    def empty(cls, rows: int, windows: int, attributes: int) -> ExactAggregates:
        return cls(
            _nan(rows, windows),
            _nan(rows, windows),
            _nan(rows, windows),
            _nan(rows, windows),
            _nan(rows, windows),
            _nan(rows, windows, attributes),
            _nan(rows),
        )


@dataclass(slots=True)
class BucketAggregates:
    count: FloatArray  # (rows, windows)
    total: FloatArray
    fraud: FloatArray
    distinct: FloatArray  # (rows, distinct windows)

    @classmethod
    def empty(cls, rows: int, windows: int, distinct: int) -> BucketAggregates:
        return cls(
            _nan(rows, windows), _nan(rows, windows), _nan(rows, windows), _nan(rows, distinct)
        )


@dataclass(slots=True)
class Aggregates:
    rows: int
    exact: dict[Entity, ExactAggregates] = field(default_factory=dict)
    bucketed: dict[Entity, BucketAggregates] = field(default_factory=dict)
    first_seen: dict[str, FloatArray] = field(default_factory=dict)  # spec name -> 0/1/NaN

    @classmethod
    def empty(cls, plan: StatePlan, registry: FeatureRegistry, rows: int) -> Aggregates:
        aggregates = cls(rows)
        for exact in plan.exact:
            aggregates.exact[exact.entity] = ExactAggregates.empty(
                rows, len(exact.windows_ms), len(exact.attributes)
            )
        for bucket in plan.bucketed:
            aggregates.bucketed[bucket.entity] = BucketAggregates.empty(
                rows, len(bucket.windows), len(bucket.distinct_windows_ms)
            )
        for spec in registry.first_seen():
            aggregates.first_seen[spec.name] = _nan(rows)
        return aggregates


def amount_units(amount_base: FloatArray) -> FloatArray:
    """The amount unit used by z-scores, exactly as the Lua script computes it."""
    return np.minimum(np.floor(amount_base / ZSCORE_UNIT), ZSCORE_UNIT_CAP)


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    result[~(denominator > 0)] = np.nan
    return result


def finalize(
    registry: FeatureRegistry,
    plan: StatePlan,
    aggregates: Aggregates,
    amount_base: FloatArray,
    event_ms: np.ndarray,
) -> dict[str, Any]:
    """Every stateful feature of the registry, as float64 columns (NaN for null)."""
    features: dict[str, Any] = {}
    units = amount_units(np.nan_to_num(amount_base))
    for spec in registry.specs:
        if isinstance(spec, Velocity):
            features[spec.name] = _velocity(spec, plan, aggregates, amount_base, units)
        elif isinstance(spec, Recency):
            last = aggregates.exact[spec.entity].last_ms
            seconds = (event_ms.astype(np.float64) - last) / 1000.0
            seconds[~(last >= 0)] = np.nan
            features[spec.name] = seconds
        elif isinstance(spec, FirstSeen):
            features[spec.name] = aggregates.first_seen[spec.name]
        else:
            bucket_plan = plan.bucket_plan(spec.entity)
            if bucket_plan is None:  # pragma: no cover - the plan has every registry entity
                raise KeyError(spec.entity)
            index = next(
                i
                for i, w in enumerate(bucket_plan.windows)
                if w.fraud
                and w.window_ms == spec.seconds * 1000
                and w.lag_ms == spec.delay_seconds * 1000
            )
            agg = aggregates.bucketed[spec.entity]
            if spec.measure == "lagged_count":
                features[spec.name] = agg.count[:, index].copy()
            else:
                features[spec.name] = _divide(agg.fraud[:, index], agg.count[:, index])
    return features


def _velocity(
    spec: Velocity,
    plan: StatePlan,
    aggregates: Aggregates,
    amount_base: FloatArray,
    units: FloatArray,
) -> FloatArray:
    ms = spec.seconds * 1000
    exact_plan = plan.exact_plan(spec.entity)
    if exact_plan is not None:
        agg = aggregates.exact[spec.entity]
        w = exact_plan.windows_ms.index(ms)
        count, total = agg.count[:, w], agg.total[:, w]
        attribute = DISTINCT_ATTRIBUTE.get(spec.measure)
        if attribute is not None:
            return agg.distinct[:, w, exact_plan.attributes.index(attribute)].copy()
        if spec.measure == "count":
            return count.copy()
        if spec.measure == "amount_sum":
            return total.copy()
        if spec.measure == "amount_max":
            maximum = agg.maximum[:, w].copy()
            maximum[~(count > 0)] = np.nan
            return maximum
        mean = _divide(total, count)
        if spec.measure == "amount_mean":
            return mean
        if spec.measure == "amount_ratio_to_mean":
            return _divide(amount_base, mean)
        # amount_zscore, on amount units
        mean_units = _divide(agg.units[:, w], count)
        variance = _divide(agg.squares[:, w], count) - mean_units * mean_units
        std = np.sqrt(np.maximum(variance, 0.0))
        zscore = _divide(units - mean_units, std)
        zscore[~(count >= 2)] = np.nan
        return zscore
    bucket_plan = plan.bucket_plan(spec.entity)
    if bucket_plan is None:  # pragma: no cover - the plan has every registry entity
        raise KeyError(spec.entity)
    bagg = aggregates.bucketed[spec.entity]
    if spec.measure == "distinct_cards":
        return bagg.distinct[:, bucket_plan.distinct_windows_ms.index(ms)].copy()
    w = next(
        i for i, win in enumerate(bucket_plan.windows) if not win.fraud and win.window_ms == ms
    )
    if spec.measure == "count":
        return bagg.count[:, w].copy()
    if spec.measure == "amount_sum":
        return bagg.total[:, w].copy()
    return _divide(bagg.total[:, w], bagg.count[:, w])
