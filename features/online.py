"""The real-time feature store: Redis, one Lua call per batch, idempotent by transaction id."""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts import LabelEvent
from features.aggregates import (
    ATTRIBUTE_COLUMN,
    ENTITY_COLUMN,
    Aggregates,
    finalize,
)
from features.columns import FloatArray
from features.errors import FeatureStoreError
from features.keys import KeyBuilder
from features.money import RatesTable
from features.plan import BucketPlan, ExactPlan, StatePlan
from features.registry import FeatureRegistry
from features.signals import compute_signals

__all__ = ["RedisFeatureStore", "load_script"]

# Feature-to-label entity columns (labels carry merchant and BIN).
_LABEL_ENTITY = {"merchant": "merchant_id", "bin": "card_bin"}


def load_script() -> str:
    return importlib.resources.files("features").joinpath("lua", "update.lua").read_text()


@dataclass(slots=True)
class _Batch:
    """Ops for one script call, plus where each op's results go."""

    args: list[Any] = field(default_factory=lambda: [0])
    keys: list[str] = field(default_factory=list)
    key_index: dict[str, int] = field(default_factory=dict)
    layout: list[tuple[str, Any, int]] = field(default_factory=list)  # (kind, target, row)

    def key(self, name: str) -> int:
        index = self.key_index.get(name)
        if index is None:
            self.keys.append(name)
            index = self.key_index[name] = len(self.keys)
        return index

    def op(self, code: str, kind: str, target: Any, row: int, *fields: Any) -> None:
        self.args[0] += 1
        self.args.append(code)
        self.args.extend(fields)
        self.layout.append((kind, target, row))


class RedisFeatureStore:
    """Computes a batch's features and records the batch, in one round trip."""

    def __init__(
        self,
        client: Redis,
        registry: FeatureRegistry,
        rates: RatesTable,
        *,
        keys: KeyBuilder | None = None,
    ) -> None:
        self._client = client
        self.registry = registry
        self.rates = rates
        self.plan = StatePlan.from_registry(registry)
        self._keys = keys or KeyBuilder()
        self._script = client.register_script(load_script())

    async def compute(self, columns: dict[str, Any]) -> dict[str, Any]:
        """Features of every row (arrival order) as columns; records the rows' events."""
        signals = compute_signals(columns, self.rates)
        rows = len(columns["transaction_id"])
        amount_base: FloatArray = signals["amount_base"]
        aggregates = Aggregates.empty(self.plan, self.registry, rows)
        if rows:
            batch = self._event_ops(columns, np.nan_to_num(amount_base))
            raw = await self._run(batch)
            _parse(raw, batch, aggregates)
        stateful = finalize(
            self.registry, self.plan, aggregates, amount_base, columns["event_time"]
        )
        return {**signals, **stateful}

    async def apply_labels(self, labels: Sequence[LabelEvent]) -> int:
        """Record fraud labels for delayed-label features. Returns how many were new."""
        batch = _Batch()
        for row, label in enumerate(labels):
            if not label.is_fraud or label.event_time is None:
                continue
            t = int(label.event_time.timestamp() * 1000)
            for plan in self.plan.bucketed:
                fraud_windows = [w for w in plan.windows if w.fraud]
                value = getattr(label, _LABEL_ENTITY.get(plan.entity, ""), None)
                if not fraud_windows or not value:
                    continue
                widths = sorted({w.width_ms for w in fraud_windows})
                keep = max(w.window_ms + w.lag_ms for w in fraud_windows) + self.plan.lateness_ms
                batch.op(
                    "L",
                    "label",
                    None,
                    row,
                    batch.key(self._keys.buckets(plan.entity, value)),
                    batch.key(self._keys.fraud(plan.entity, value)),
                    label.transaction_id,
                    t,
                    plan.ttl_ms,
                    keep,
                    len(widths),
                    *widths,
                )
        if not batch.layout:
            return 0
        raw = await self._run(batch)
        return int(sum(int(v) for v in raw))

    async def _run(self, batch: _Batch) -> list[int]:
        try:
            result = await self._script(keys=batch.keys, args=batch.args)
        except RedisError as exc:
            raise FeatureStoreError(f"feature update failed in Redis: {exc}") from exc
        return list(result)

    def _event_ops(self, columns: dict[str, Any], amount_base: FloatArray) -> _Batch:
        batch = _Batch()
        txns = columns["transaction_id"]
        times = columns["event_time"]
        entity_values = {
            entity: columns[ENTITY_COLUMN[entity]] for entity in self.registry.entities()
        }
        attribute_values = {name: columns[col] for name, col in ATTRIBUTE_COLUMN.items()}
        first_seen = self.registry.first_seen()
        for row in range(len(txns)):
            txn = txns[row]
            t = int(times[row])
            amount = int(amount_base[row])
            for plan in self.plan.exact:
                value = entity_values[plan.entity][row]
                if value is not None:
                    self._exact_op(batch, plan, value, row, txn, t, amount, attribute_values)
            for bplan in self.plan.bucketed:
                value = entity_values[bplan.entity][row]
                if value is not None:
                    card = attribute_values["card"][row] or ""
                    self._bucket_op(batch, bplan, value, row, txn, t, amount, card)
            for spec in first_seen:
                owner = columns[ENTITY_COLUMN[spec.entity]][row]
                seen = attribute_values[spec.of][row]
                if owner is not None and seen is not None:
                    batch.op(
                        "F",
                        "first",
                        spec.name,
                        row,
                        batch.key(self._keys.first_seen(spec.entity, owner)),
                        f"{spec.of}:{seen}",
                        txn,
                        self.plan.first_seen_ttl_ms,
                    )
        return batch

    def _exact_op(
        self,
        batch: _Batch,
        plan: ExactPlan,
        value: str,
        row: int,
        txn: str,
        t: int,
        amount: int,
        attributes: dict[str, Any],
    ) -> None:
        parts = [txn, str(amount)]
        parts += [attributes[a][row] or "" for a in plan.attributes]
        batch.op(
            "E",
            "exact",
            plan,
            row,
            batch.key(self._keys.events(plan.entity, value)),
            t,
            "|".join(parts),
            plan.retention_ms,
            plan.ttl_ms,
            len(plan.windows_ms),
            *plan.windows_ms,
            len(plan.attributes),
        )

    def _bucket_op(
        self,
        batch: _Batch,
        plan: BucketPlan,
        value: str,
        row: int,
        txn: str,
        t: int,
        amount: int,
        card: str,
    ) -> None:
        fields: list[Any] = [
            batch.key(self._keys.buckets(plan.entity, value)),
            batch.key(self._keys.dedupe(plan.entity, value)),
            batch.key(self._keys.distinct_cards(plan.entity, value))
            if plan.distinct_windows_ms
            else 0,
            t,
            txn,
            amount,
            card,
            plan.dedupe_ms,
            plan.ttl_ms,
            len(plan.widths_ms),
        ]
        for width, keep in zip(plan.widths_ms, plan.retention_buckets, strict=True):
            fields += [width, keep]
        fields.append(len(plan.windows))
        for window in plan.windows:
            fields += [
                plan.widths_ms.index(window.width_ms) + 1,
                window.buckets,
                window.lag_ms,
                1 if window.fraud else 0,
            ]
        fields.append(len(plan.distinct_windows_ms))
        fields += list(plan.distinct_windows_ms)
        fields += [plan.distinct_retention_ms, self.plan.distinct_cap]
        batch.op("B", "bucket", plan, row, *fields)


def _parse(raw: list[int], batch: _Batch, aggregates: Aggregates) -> None:
    """Spread the script's flat integer results over the aggregates."""
    pos = 0
    for kind, target, row in batch.layout:
        if kind == "exact":
            plan: ExactPlan = target
            agg = aggregates.exact[plan.entity]
            pos += 1  # the duplicate flag
            agg.last_ms[row] = raw[pos]
            pos += 1
            for w in range(len(plan.windows_ms)):
                agg.count[row, w] = raw[pos]
                agg.total[row, w] = raw[pos + 1]
                agg.maximum[row, w] = raw[pos + 2]
                agg.squares[row, w] = raw[pos + 3]
                agg.units[row, w] = raw[pos + 4]
                pos += 5
                for a in range(len(plan.attributes)):
                    agg.distinct[row, w, a] = raw[pos]
                    pos += 1
        elif kind == "bucket":
            bplan: BucketPlan = target
            bagg = aggregates.bucketed[bplan.entity]
            pos += 1
            for w in range(len(bplan.windows)):
                bagg.count[row, w] = raw[pos]
                bagg.total[row, w] = raw[pos + 1]
                bagg.fraud[row, w] = raw[pos + 2]
                pos += 3
            for d in range(len(bplan.distinct_windows_ms)):
                bagg.distinct[row, d] = raw[pos]
                pos += 1
        else:
            aggregates.first_seen[target][row] = raw[pos]
            pos += 1
    if pos != len(raw):
        raise FeatureStoreError(f"feature script returned {len(raw)} values, expected {pos}")
