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
from features.aggregates import ATTRIBUTE_COLUMN, ENTITY_COLUMN, Aggregates, finalize
from features.columns import FloatArray
from features.errors import FeatureStoreError
from features.money import RatesTable
from features.plan import BucketPlan, ExactPlan, StatePlan
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
        aggregates = Aggregates.empty(self.plan, self.registry, rows)
        if rows and with_state:
            lines = self._event_lines(columns, np.nan_to_num(amount_base))
            raw = await self._run("events", lines)
            self._parse(raw, rows, columns, aggregates)
        stateful = finalize(
            self.registry, self.plan, aggregates, amount_base, columns["event_time"]
        )
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

    def _parse(
        self, raw: list[int], rows: int, columns: dict[str, Any], aggregates: Aggregates
    ) -> None:
        width = sum(self._widths)
        if len(raw) != rows * width:
            raise FeatureStoreError(
                f"feature script returned {len(raw)} values, expected {rows * width}"
            )
        matrix = np.asarray(raw, dtype=np.float64).reshape(rows, width)
        offset = 0
        for exact in self.plan.exact:
            present = _present(columns[ENTITY_COLUMN[exact.entity]])
            self._fill_exact(exact, matrix, offset, present, aggregates)
            for spec in self._first_seen:
                if spec.entity == exact.entity:
                    seen = matrix[:, offset + 1 + exact.attributes.index(spec.of)]
                    known = present & _present(columns[ATTRIBUTE_COLUMN[spec.of]])
                    aggregates.first_seen[spec.name] = np.where(known, 1.0 - seen, np.nan)
            offset += _exact_width(exact)
        for bucket in self.plan.bucketed:
            present = _present(columns[ENTITY_COLUMN[bucket.entity]])
            self._fill_bucket(bucket, matrix, offset, present, aggregates)
            offset += 3 * len(bucket.windows) + len(bucket.distinct_windows_ms)

    @staticmethod
    def _fill_exact(
        plan: ExactPlan,
        matrix: FloatArray,
        offset: int,
        present: np.ndarray,
        aggregates: Aggregates,
    ) -> None:
        agg = aggregates.exact[plan.entity]
        agg.last_ms[present] = matrix[present, offset]
        stride = plan.stride
        for w in range(len(plan.windows_ms)):
            base = offset + 1 + len(plan.attributes) + w * stride
            block = matrix[present, base : base + stride]
            agg.count[present, w] = block[:, 0]
            agg.total[present, w] = block[:, 1]
            column = 2
            if plan.maxima:
                agg.maximum[present, w] = block[:, column]
                column += 1
            if plan.profiles:
                agg.squares[present, w] = block[:, column]
                agg.units[present, w] = block[:, column + 1]
                column += 2
            for a in range(len(plan.attributes)):
                agg.distinct[present, w, a] = block[:, column + a]

    @staticmethod
    def _fill_bucket(
        plan: BucketPlan,
        matrix: FloatArray,
        offset: int,
        present: np.ndarray,
        aggregates: Aggregates,
    ) -> None:
        agg = aggregates.bucketed[plan.entity]
        for w in range(len(plan.windows)):
            base = offset + 3 * w
            agg.count[present, w] = matrix[present, base]
            agg.total[present, w] = matrix[present, base + 1]
            agg.fraud[present, w] = matrix[present, base + 2]
        base = offset + 3 * len(plan.windows)
        for d in range(len(plan.distinct_windows_ms)):
            agg.distinct[present, d] = matrix[present, base + d]


def _exact_width(plan: ExactPlan) -> int:
    """Results per exact part: last time, a seen flag per attribute, then per window."""
    return 1 + len(plan.attributes) + len(plan.windows_ms) * plan.stride


def _present(values: Any) -> np.ndarray:
    return np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
