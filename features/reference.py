"""The sequential reference: the Lua script's semantics, event by event, in Python.

It accepts any arrival order (out-of-order events, redeliveries, labels interleaved)
and is the specification the online store is tested against. It is exact but slow;
:mod:`features.offline` uses a vectorised path for time-ordered tables and this one
for everything else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from features.aggregates import ATTRIBUTE_COLUMN, ENTITY_COLUMN, Aggregates
from features.plan import ZSCORE_UNIT, ZSCORE_UNIT_CAP, BucketPlan, ExactPlan, StatePlan
from features.registry import FeatureRegistry

__all__ = ["LabelRecord", "ReferenceState"]


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A fraud label as the feature engine sees it."""

    transaction_id: str
    is_fraud: bool
    merchant_id: str | None
    card_bin: str | None
    event_ms: int | None


def _unit(amount: int) -> int:
    return min(math.floor(amount / ZSCORE_UNIT), ZSCORE_UNIT_CAP)


@dataclass(slots=True)
class _Exact:
    # transaction id -> (time, amount, attributes): one entry per transaction, so a
    # redelivered transaction changes nothing.
    items: dict[str, tuple[int, int, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(slots=True)
class _Bucketed:
    fields: dict[str, int] = field(default_factory=dict)  # "c:w:b" -> value
    lows: dict[int, int] = field(default_factory=dict)  # width -> lowest kept bucket
    dedupe: dict[str, int] = field(default_factory=dict)  # txn -> time
    cards: dict[str, int] = field(default_factory=dict)  # card -> last seen
    fraud: dict[str, int] = field(default_factory=dict)  # txn -> txn time


class ReferenceState:
    """Feature state for one arrival sequence of transactions and labels."""

    def __init__(self, registry: FeatureRegistry) -> None:
        self.registry = registry
        self.plan = StatePlan.from_registry(registry)
        self._exact: dict[tuple[str, str], _Exact] = {}
        self._bucketed: dict[tuple[str, str], _Bucketed] = {}

    def process(
        self, columns: dict[str, Any], row: int, amount_base: int, out: Aggregates, out_row: int
    ) -> None:
        """Compute one transaction's aggregates into ``out`` and record the transaction."""
        txn = columns["transaction_id"][row]
        t = int(columns["event_time"][row])
        attributes = {name: columns[col][row] for name, col in ATTRIBUTE_COLUMN.items()}
        for plan in self.plan.exact:
            value = columns[ENTITY_COLUMN[plan.entity]][row]
            if value is None:
                continue
            seen = self._exact_op(plan, value, txn, t, amount_base, attributes, out, out_row)
            for spec in self.registry.first_seen():
                own = attributes[spec.of]
                if spec.entity == plan.entity and own is not None:
                    index = plan.attributes.index(spec.of)
                    out.first_seen[spec.name][out_row] = 0.0 if own in seen[index] else 1.0
        for bplan in self.plan.bucketed:
            value = columns[ENTITY_COLUMN[bplan.entity]][row]
            if value is not None:
                card = attributes["card"] or ""
                self._bucket_op(bplan, value, txn, t, amount_base, card, out, out_row)

    def apply_label(self, label: LabelRecord) -> None:
        if not label.is_fraud or label.event_ms is None:
            return
        for plan in self.plan.bucketed:
            fraud_windows = [w for w in plan.windows if w.fraud]
            value = (
                label.merchant_id
                if plan.entity == "merchant"
                else (label.card_bin if plan.entity == "bin" else None)
            )
            if not fraud_windows or not value:
                continue
            state = self._bucketed.setdefault((plan.entity, value), _Bucketed())
            fresh = label.transaction_id not in state.fraud
            if fresh:
                state.fraud[label.transaction_id] = label.event_ms
            for width in sorted({w.width_ms for w in fraud_windows}):
                if fresh:
                    b = label.event_ms // width
                    lo = state.lows.get(width)
                    if lo is None or b >= lo:
                        key = f"f:{width}:{b}"
                        state.fields[key] = state.fields.get(key, 0) + 1
            keep = max(w.window_ms + w.lag_ms for w in fraud_windows) + self.plan.lateness_ms
            newest = max(state.fraud.values())
            for txn, ms in list(state.fraud.items()):
                if ms < newest - keep:
                    del state.fraud[txn]

    # -- exact -----------------------------------------------------------------

    def _exact_op(
        self,
        plan: ExactPlan,
        value: str,
        txn: str,
        t: int,
        amount: int,
        attributes: dict[str, Any],
        out: Aggregates,
        row: int,
    ) -> list[set[str]]:
        """Record the aggregates; returns, per attribute, the values seen in the scan."""
        state = self._exact.setdefault((plan.entity, value), _Exact())
        own = tuple(attributes[a] or "" for a in plan.attributes)
        agg = out.exact[plan.entity]
        windows = plan.windows_ms
        count = [0] * len(windows)
        total = [0] * len(windows)
        maximum = [-1] * len(windows)
        squares = [0] * len(windows)
        units = [0] * len(windows)
        seen: list[list[set[str]]] = [[set() for _ in plan.attributes] for _ in windows]
        scanned: list[set[str]] = [set() for _ in plan.attributes]
        last = -1
        for other, (s, value_amount, values) in state.items.items():
            if other == txn or not (t - plan.scan_ms < s <= t):
                continue
            u = _unit(value_amount)
            last = max(last, s)
            for a in range(len(plan.attributes)):
                if values[a]:
                    scanned[a].add(values[a])
            for w, window in enumerate(windows):
                if s > t - window:
                    count[w] += 1
                    total[w] += value_amount
                    maximum[w] = max(maximum[w], value_amount)
                    squares[w] += u * u
                    units[w] += u
                    for a in range(len(plan.attributes)):
                        if values[a]:
                            seen[w][a].add(values[a])
        state.items.setdefault(txn, (t, amount, own))
        for other, (s, _, _) in list(state.items.items()):
            if s < t - plan.retention_ms:
                del state.items[other]
        agg.last_ms[row] = last
        for w in range(len(windows)):
            agg.count[row, w] = count[w]
            agg.total[row, w] = total[w]
            agg.maximum[row, w] = maximum[w]
            agg.squares[row, w] = squares[w]
            agg.units[row, w] = units[w]
            for a in range(len(plan.attributes)):
                agg.distinct[row, w, a] = len(seen[w][a])
        return scanned

    # -- bucketed --------------------------------------------------------------

    def _bucket_op(
        self,
        plan: BucketPlan,
        value: str,
        txn: str,
        t: int,
        amount: int,
        card: str,
        out: Aggregates,
        row: int,
    ) -> None:
        state = self._bucketed.setdefault((plan.entity, value), _Bucketed())
        fresh = txn not in state.dedupe
        if fresh:
            state.dedupe[txn] = t
        rolled = False
        for width, keep in zip(plan.widths_ms, plan.retention_buckets, strict=True):
            rolled |= self._roll(state, width, t // width - keep + 1)
        if rolled:  # old transaction ids are forgotten when a bucket rolls over
            for other, ms in list(state.dedupe.items()):
                if ms < t - plan.dedupe_ms:
                    del state.dedupe[other]
        agg = out.bucketed[plan.entity]
        for w, window in enumerate(plan.windows):
            last_bucket = (t - window.lag_ms) // window.width_ms
            first_bucket = last_bucket - window.buckets + 1
            sums = []
            for prefix in ("c", "s", "f"):
                sums.append(
                    sum(
                        state.fields.get(f"{prefix}:{window.width_ms}:{b}", 0)
                        for b in range(first_bucket, last_bucket + 1)
                    )
                )
            agg.count[row, w] = sums[0]
            agg.total[row, w] = sums[1]
            agg.fraud[row, w] = sums[2] if window.fraud else 0
        if fresh:
            for width in plan.widths_ms:
                b = t // width
                if b >= state.lows[width]:
                    for prefix, add in (("c", 1), ("s", amount)):
                        key = f"{prefix}:{width}:{b}"
                        state.fields[key] = state.fields.get(key, 0) + add
        if plan.distinct_windows_ms:
            for d, window_ms in enumerate(plan.distinct_windows_ms):
                agg.distinct[row, d] = sum(
                    1 for s in state.cards.values() if t - window_ms < s <= t
                )
            if fresh and card:
                state.cards[card] = max(state.cards.get(card, t), t)
                for other, s in list(state.cards.items()):
                    if s < t - plan.distinct_retention_ms:
                        del state.cards[other]
                if len(state.cards) > self.plan.distinct_cap:
                    ranked = sorted(state.cards.items(), key=lambda kv: (kv[1], kv[0]))
                    for other, _ in ranked[: len(ranked) - self.plan.distinct_cap]:
                        del state.cards[other]

    @staticmethod
    def _roll(state: _Bucketed, width: int, new_lo: int) -> bool:
        """Advance the lowest kept bucket of ``width``; True when it moved."""
        lo = state.lows.get(width)
        if lo is not None and new_lo <= lo:
            return False
        for key in list(state.fields):
            _, w, b = key.split(":")
            if int(w) == width and int(b) < new_lo:
                del state.fields[key]
        state.lows[width] = new_lo
        return True


def run_reference(
    registry: FeatureRegistry,
    stream: Sequence[tuple[str, Any]],
    columns: dict[str, Any],
    amount_base: Sequence[float],
) -> Aggregates:
    """Process an arrival sequence of ("txn", row) and ("label", LabelRecord) items.

    Returns aggregates with one row per "txn" item, in stream order.
    """
    state = ReferenceState(registry)
    rows = sum(1 for kind, _ in stream if kind == "txn")
    out = Aggregates.empty(state.plan, registry, rows)
    out_row = 0
    for kind, item in stream:
        if kind == "txn":
            amount = amount_base[item]
            state.process(columns, item, 0 if math.isnan(amount) else int(amount), out, out_row)
            out_row += 1
        else:
            state.apply_label(item)
    return out
