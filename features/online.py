"""The real-time feature store: Redis, one Lua call per batch, idempotent by transaction id.

The batch travels as three strings — the mode, the plan, one tab-separated line per
transaction — rather than tens of thousands of arguments: packing arguments one by
one cost more than the script itself. The script answers with a fixed-width block of
integers per transaction and plan part, which reshapes straight into the aggregates.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from typing import Any

import numpy as np
from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts import LabelEvent
from features.aggregates import (
    ATTRIBUTE_COLUMN,
    ENTITY_COLUMN,
    Aggregates,
    BucketAggregates,
    ExactAggregates,
    Finalizer,
)
from features.columns import FloatArray
from features.errors import FeatureStoreError
from features.money import RatesTable
from features.plan import ExactPlan, StatePlan
from features.registry import FeatureRegistry
from features.signals import compute_signals
from features.spec import FirstSeen

__all__ = ["RedisFeatureStore", "encode_plan", "load_script"]

_LABEL_ENTITY = {"merchant": "merchant_id", "bin": "card_bin"}


def load_script() -> str:
    return importlib.resources.files("features").joinpath("lua", "update.lua").read_text()


def _csv(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in values) or "-"


def encode_plan(plan: StatePlan, registry: FeatureRegistry, namespace: str) -> str:
    """The plan as the script reads it (see the header of lua/update.lua)."""
    lines = [f"N\t{namespace}\t{plan.distinct_cap}\t{plan.lateness_ms}"]
    for exact in plan.exact:
        lines.append(
            f"E\t{exact.entity}\t{_csv(exact.windows_ms)}\t{exact.retention_ms}\t"
            f"{exact.ttl_ms}\t{len(exact.attributes)}\t{int(exact.maxima)}\t{int(exact.profiles)}"
        )
    for bucket in plan.bucketed:
        windows = ";".join(
            f"{bucket.widths_ms.index(w.width_ms) + 1}:{w.buckets}:{w.lag_ms}:"
            f"{int(w.fraud)}:{int(w.sums)}"
            for w in bucket.windows
        )
        lines.append(
            f"B\t{bucket.entity}\t{bucket.dedupe_ms}\t{bucket.ttl_ms}\t"
            f"{_csv(bucket.widths_ms)}\t{_csv(bucket.retention_buckets)}\t{windows or '-'}\t"
            f"{_csv(bucket.distinct_windows_ms)}\t{bucket.distinct_retention_ms}"
        )
    return "\n".join(lines)


def _text(values: Any) -> list[str]:
    return ["" if v is None else str(v) for v in values]


class RedisFeatureStore:
    """Computes a batch's features and records the batch, in one round trip."""

    def __init__(
        self,
        client: Redis,
        registry: FeatureRegistry,
        rates: RatesTable,
        *,
        namespace: str = "rs",
    ) -> None:
        self._client = client
        self.registry = registry
        self.rates = rates
        self.plan = StatePlan.from_registry(registry)
        self._signal_names = tuple(s.name for s in registry.signals)
        self._first_seen: tuple[FirstSeen, ...] = registry.first_seen()
        self._header = encode_plan(self.plan, registry, namespace)
        self._widths = [_exact_width(p) for p in self.plan.exact] + [
            3 * len(p.windows) + len(p.distinct_windows_ms) for p in self.plan.bucketed
        ]
        self._script = client.register_script(load_script())
        self._finalize = Finalizer(registry, self.plan)
        self._exact_columns = [_ExactColumns(p) for p in self.plan.exact]

    async def compute(self, columns: dict[str, Any]) -> dict[str, Any]:
        """Features of every row (arrival order) as columns; records the rows' events."""
        return await self._compute(columns, with_state=True)

    async def compute_without_state(self, columns: dict[str, Any]) -> dict[str, Any]:
        """Signals only; every stateful feature null. For decisions while Redis is down:
        nothing is read or recorded, so no counter is touched."""
        return await self._compute(columns, with_state=False)

    async def _compute(self, columns: dict[str, Any], *, with_state: bool) -> dict[str, Any]:
        signals = compute_signals(columns, self.rates, self._signal_names)
        rows = len(columns["transaction_id"])
        amount_base: FloatArray = signals["amount_base"]
        if rows and with_state:
            lines = self._event_lines(columns, np.nan_to_num(amount_base))
            raw = await self._run("events", lines)
            aggregates = self._parse(raw, rows, columns)
        else:
            aggregates = Aggregates.empty(self.plan, self.registry, rows)
        stateful = self._finalize(aggregates, amount_base, columns["event_time"])
        return {**signals, **stateful}

    async def apply_labels(self, labels: Sequence[LabelEvent]) -> int:
        """Record fraud labels for delayed-label features. Returns how many were new."""
        lines = []
        for label in labels:
            if not label.is_fraud or label.event_time is None:
                continue
            t = int(label.event_time.timestamp() * 1000)
            values = [
                getattr(label, _LABEL_ENTITY.get(p.entity, ""), None) or ""
                for p in self.plan.bucketed
            ]
            lines.append("\t".join([label.transaction_id, str(t), *values]))
        if not lines or not self.plan.bucketed:
            return 0
        raw = await self._run("labels", "\n".join(lines))
        return int(sum(int(v) for v in raw))

    async def _run(self, mode: str, lines: str) -> list[int]:
        try:
            result = await self._script(keys=[], args=[mode, self._header, lines])
        except RedisError as exc:
            raise FeatureStoreError(f"feature update failed in Redis: {exc}") from exc
        return list(result)

    def _event_lines(self, columns: dict[str, Any], amount_base: FloatArray) -> str:
        parts: list[list[str]] = [
            [str(int(t)) for t in columns["event_time"]],
            _text(columns["transaction_id"]),
            [str(int(a)) for a in amount_base],
            _text(columns[ATTRIBUTE_COLUMN["card"]]),
        ]
        for exact in self.plan.exact:
            parts.append(_text(columns[ENTITY_COLUMN[exact.entity]]))
            parts += [_text(columns[ATTRIBUTE_COLUMN[a]]) for a in exact.attributes]
        for bucket in self.plan.bucketed:
            parts.append(_text(columns[ENTITY_COLUMN[bucket.entity]]))
        return "\n".join("\t".join(row) for row in zip(*parts, strict=True))

    def _parse(self, raw: list[int], rows: int, columns: dict[str, Any]) -> Aggregates:
        width = sum(self._widths)
        if len(raw) != rows * width:
            raise FeatureStoreError(
                f"feature script returned {len(raw)} values, expected {rows * width}"
            )
        matrix = np.asarray(raw, dtype=np.float64).reshape(rows, width)
        aggregates = Aggregates(rows)
        offset = 0
        for exact, where in zip(self.plan.exact, self._exact_columns, strict=True):
            present = _present(columns[ENTITY_COLUMN[exact.entity]])
            aggregates.exact[exact.entity] = where.read(matrix, offset, _absent(present))
            for spec in self._first_seen:
                if spec.entity == exact.entity:
                    seen = matrix[:, offset + 1 + exact.attributes.index(spec.of)]
                    known = present & _present(columns[ATTRIBUTE_COLUMN[spec.of]])
                    aggregates.first_seen[spec.name] = np.where(known, 1.0 - seen, np.nan)
            offset += _exact_width(exact)
        for bucket in self.plan.bucketed:
            absent = _absent(_present(columns[ENTITY_COLUMN[bucket.entity]]))
            triples = 3 * len(bucket.windows)  # count, sum, fraud per window; then distinct
            block = matrix[:, offset : offset + triples + len(bucket.distinct_windows_ms)]
            aggregates.bucketed[bucket.entity] = BucketAggregates(
                _rows_of(block[:, 0:triples:3].copy(), absent),
                _rows_of(block[:, 1:triples:3].copy(), absent),
                _rows_of(block[:, 2:triples:3].copy(), absent),
                _rows_of(block[:, triples:].copy(), absent),
            )
            offset += block.shape[1]
        return aggregates


class _ExactColumns:
    """Where each aggregate of an exact part sits in the script's reply block (see
    _exact_width), so a batch's aggregates are read with one index per array."""

    def __init__(self, plan: ExactPlan) -> None:
        attributes, stride = len(plan.attributes), plan.stride
        starts = np.array([1 + attributes + w * stride for w in range(len(plan.windows_ms))])
        self.count, self.total = starts, starts + 1
        column = 2
        self.maximum = starts + column if plan.maxima else None
        column += int(plan.maxima)
        self.squares = starts + column if plan.profiles else None
        self.units = starts + column + 1 if plan.profiles else None
        column += 2 * int(plan.profiles)
        # (windows, attributes) columns: indexing a block with it gives (rows, w, a)
        self.distinct = starts[:, None] + column + np.arange(attributes)[None, :]
        self.windows, self.attributes = len(starts), attributes

    def read(self, matrix: FloatArray, offset: int, absent: np.ndarray | None) -> ExactAggregates:
        rows = matrix.shape[0]

        def take(where: np.ndarray | None) -> FloatArray:
            if where is None:  # not kept by this plan: never read
                return np.full((rows, self.windows), np.nan)
            return _rows_of(matrix[:, offset + where], absent)  # fancy indexing copies

        return ExactAggregates(
            count=take(self.count),
            total=take(self.total),
            maximum=take(self.maximum),
            squares=take(self.squares),
            units=take(self.units),
            distinct=_rows_of(matrix[:, offset + self.distinct], absent),
            last_ms=_rows_of(matrix[:, offset].copy(), absent),
        )


def _absent(present: np.ndarray) -> np.ndarray | None:
    """Rows whose entity is null, or None when every row has it (the common case)."""
    return None if present.all() else ~present


def _rows_of(values: FloatArray, absent: np.ndarray | None) -> FloatArray:
    """``values`` — a fresh array, never a view of the reply — with absent rows NaN."""
    if absent is not None:
        values[absent] = np.nan
    return values


def _exact_width(plan: ExactPlan) -> int:
    """Results per exact part: last time, a seen flag per attribute, then per window."""
    return 1 + len(plan.attributes) + len(plan.windows_ms) * plan.stride


def _present(values: Any) -> np.ndarray:
    return np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
