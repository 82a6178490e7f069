"""The offline twin: the stream's feature values for a whole table, point-in-time correct.

Arrival order is event-time order (stable for ties); labels join the sequence at their
``reported_at`` time, before transactions of the same instant, so a transaction
only ever sees labels known by its own event time. For such time-ordered input the
values come from vectorised numpy code; any other arrival order (the property tests'
out-of-order streams and redeliveries) goes through :mod:`features.reference`. Both
produce the :class:`~features.aggregates.Aggregates` that :func:`finalize` turns into
features, exactly as the online store does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.aggregates import (
    ATTRIBUTE_COLUMN,
    ENTITY_COLUMN,
    Aggregates,
    BucketAggregates,
    ExactAggregates,
    amount_units,
    finalize,
)
from features.columns import table_to_columns
from features.money import RatesTable
from features.plan import BucketPlan, ExactPlan, StatePlan
from features.reference import LabelRecord, run_reference
from features.registry import FeatureRegistry
from features.signals import compute_signals

__all__ = ["OfflineFeatures", "labels_to_records"]

IntArray = npt.NDArray[np.int64]
Progress = Callable[[str], None]


def _silent(_: str) -> None:
    return None


def labels_to_records(labels: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Complete a label table with the merchant, BIN and event time of each transaction."""
    required = {"transaction_id", "is_fraud", "reported_at"}
    missing = required - set(labels.columns)
    if missing:
        raise KeyError(f"the label table needs columns {sorted(missing)}")
    frame = labels.copy()
    lookup = transactions.set_index("transaction_id")
    for column, source in (
        ("merchant_id", "merchant_id"),
        ("card_bin", "card_bin"),
        ("event_time", "event_time"),
    ):
        if column not in frame.columns or frame[column].isna().any():
            mapped = frame["transaction_id"].map(lookup[source]) if source in lookup else None
            if mapped is not None:
                frame[column] = frame[column].fillna(mapped) if column in frame else mapped
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    if "event_time" in frame.columns:
        frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True)
    else:
        frame["event_time"] = pd.NaT
    return frame


class OfflineFeatures:
    """Features for a transaction table plus a label table, as the stream would have seen them."""

    def __init__(self, registry: FeatureRegistry, rates: RatesTable) -> None:
        self.registry = registry
        self.rates = rates
        self.plan = StatePlan.from_registry(registry)
        self._signal_names = tuple(s.name for s in registry.signals)

    def compute(
        self,
        transactions: pd.DataFrame,
        labels: pd.DataFrame | None = None,
        *,
        progress: Progress = _silent,
    ) -> pd.DataFrame:
        """One row of features per transaction, index aligned with ``transactions``."""
        columns = table_to_columns(transactions)
        order = np.argsort(columns["event_time"], kind="stable")
        ordered = {name: values[order] for name, values in columns.items()}
        signals = compute_signals(ordered, self.rates, self._signal_names)
        amount_base = signals["amount_base"]
        label_frame = labels_to_records(labels, transactions) if labels is not None else None
        n = len(order)
        if len(set(ordered["transaction_id"])) != n:
            progress("duplicate transaction ids: using the sequential reference path")
            stream = self._merged_stream(ordered, label_frame)
            aggregates = run_reference(self.registry, stream, ordered, amount_base)
        else:
            aggregates = Aggregates.empty(self.plan, self.registry, n)
            base = np.nan_to_num(amount_base).astype(np.int64)
            for exact in self.plan.exact:
                progress(f"exact windows: {exact.entity}")
                self._exact(exact, ordered, base, aggregates.exact[exact.entity])
            for bucket in self.plan.bucketed:
                progress(f"bucketed windows: {bucket.entity}")
                self._bucketed(
                    bucket, ordered, base, label_frame, aggregates.bucketed[bucket.entity]
                )
            progress("first-seen features")
            self._first_seen(ordered, aggregates)
        stateful = finalize(
            self.registry, self.plan, aggregates, amount_base, ordered["event_time"]
        )
        features = {**signals, **stateful}
        frame = pd.DataFrame({name: features[name] for name in self.registry.names})
        restored = np.empty(n, dtype=np.int64)
        restored[order] = np.arange(n)
        frame = frame.iloc[restored].reset_index(drop=True)
        frame.index = transactions.index
        return frame

    def compute_stream(
        self, columns: dict[str, Any], stream: Sequence[tuple[str, Any]]
    ) -> dict[str, Any]:
        """Features for an explicit arrival sequence of ("txn", row) / ("label", LabelRecord).

        The result has one row per "txn" item, in stream order (redeliveries included).
        """
        signals = compute_signals(columns, self.rates, self._signal_names)
        amount_base = signals["amount_base"]
        aggregates = run_reference(self.registry, stream, columns, amount_base)
        rows = np.array([item for kind, item in stream if kind == "txn"], dtype=np.int64)
        picked = {name: values[rows] for name, values in signals.items()}
        stateful = finalize(
            self.registry, self.plan, aggregates, picked["amount_base"], columns["event_time"][rows]
        )
        return {**picked, **stateful}

    # -- the sequential fallback ---------------------------------------------------

    @staticmethod
    def _merged_stream(
        columns: dict[str, Any], labels: pd.DataFrame | None
    ) -> list[tuple[str, Any]]:
        items: list[tuple[int, int, int, tuple[str, Any]]] = [
            (int(t), 1, i, ("txn", i)) for i, t in enumerate(columns["event_time"])
        ]
        if labels is not None:
            for j, label in enumerate(_label_records(labels)):
                items.append((label[0], 0, j, ("label", label[1])))
        items.sort(key=lambda item: item[:3])
        return [item[3] for item in items]

    # -- exact entities, vectorised --------------------------------------------------

    def _exact(
        self,
        plan: ExactPlan,
        columns: dict[str, Any],
        amount: IntArray,
        out: ExactAggregates,
    ) -> None:
        rows, groups, times, _ = _grouped(
            columns[ENTITY_COLUMN[plan.entity]], columns["event_time"]
        )
        if not len(rows):
            return
        key = _group_key(groups, times, plan.scan_ms)
        a = amount[rows]
        u = amount_units(a.astype(np.float64)).astype(np.int64)
        sums = {name: _cumsum(v) for name, v in (("a", a), ("u", u), ("q", u * u))}
        position = np.arange(len(rows))
        left_scan = np.searchsorted(key, key - plan.scan_ms, side="right")
        previous = np.where(position > left_scan, times[np.maximum(position - 1, 0)], -1)
        out.last_ms[rows] = previous
        attributes = [columns[ATTRIBUTE_COLUMN[a]][rows] for a in plan.attributes]
        for w, window in enumerate(plan.windows_ms):
            left = np.searchsorted(key, key - window, side="right")
            out.count[rows, w] = position - left
            out.total[rows, w] = sums["a"][position] - sums["a"][left]
            out.units[rows, w] = sums["u"][position] - sums["u"][left]
            out.squares[rows, w] = sums["q"][position] - sums["q"][left]
            out.maximum[rows, w] = _window_max(a, left)
            for index, values in enumerate(attributes):
                out.distinct[rows, w, index] = _window_distinct(values, left, groups)

    # -- bucketed entities, vectorised ------------------------------------------------

    def _bucketed(
        self,
        plan: BucketPlan,
        columns: dict[str, Any],
        amount: IntArray,
        labels: pd.DataFrame | None,
        out: BucketAggregates,
    ) -> None:
        values = columns[ENTITY_COLUMN[plan.entity]]
        rows, groups, times, entities = _grouped(values, columns["event_time"])
        if not len(rows):
            return
        a = amount[rows]
        cumulative = _cumsum(a)
        position = np.arange(len(rows))
        for w, window in enumerate(plan.windows):
            width = window.width_ms
            own = times // width
            span = max(int(own.max()) + window.buckets + window.lag_ms // width + 2, 1)
            bucket_key = groups * span + own
            last = (times - window.lag_ms) // width
            first = last - window.buckets + 1
            low = np.searchsorted(bucket_key, groups * span + first, side="left")
            high = np.minimum(position, np.searchsorted(bucket_key, groups * span + last, "right"))
            high = np.maximum(high, low)
            out.count[rows, w] = high - low
            out.total[rows, w] = cumulative[high] - cumulative[low]
            out.fraud[rows, w] = 0
            if window.fraud and labels is not None:
                out.fraud[rows, w] = self._fraud_counts(
                    plan, window, entities, rows, groups, times, labels
                )
        if plan.distinct_windows_ms:
            cards = columns[ATTRIBUTE_COLUMN["card"]][rows]
            key = _group_key(groups, times, plan.distinct_windows_ms[-1])
            for d, window_ms in enumerate(plan.distinct_windows_ms):
                left = np.searchsorted(key, key - window_ms, side="right")
                distinct = _window_distinct(cards, left, groups)
                out.distinct[rows, d] = np.minimum(distinct, self.plan.distinct_cap)

    def _fraud_counts(
        self,
        plan: BucketPlan,
        window: Any,
        entities: npt.NDArray[np.object_],
        rows: IntArray,
        groups: IntArray,
        times: IntArray,
        labels: pd.DataFrame,
    ) -> IntArray:
        """Fraud labels known by each row's time, for transactions in the row's window.

        Label *l* (transaction bucket *b*, reported at *r*) counts for row *p* when
        ``t_p >= r`` and the window's last bucket lies in ``[b, b + n - 1]``: a
        contiguous run of the group's rows, so each label adds +1 on a run.
        """
        column = "merchant_id" if plan.entity == "merchant" else "card_bin"
        fraud = labels[labels["is_fraud"].astype(bool)].dropna(subset=[column, "event_time"])
        fraud = fraud.sort_values("reported_at", kind="stable")
        fraud = fraud.drop_duplicates(subset=[column, "transaction_id"], keep="first")
        counts = np.zeros(len(rows), dtype=np.int64)
        if fraud.empty:
            return counts
        group_of = {value: code for code, value in enumerate(entities)}
        mapped = fraud[column].map(group_of)
        known = mapped.notna().to_numpy()
        label_group = mapped.to_numpy()[known].astype(np.int64)
        txn_ms = _to_ms(fraud["event_time"])[known]
        reported_ms = _to_ms(fraud["reported_at"])[known]
        width, n, lag = window.width_ms, window.buckets, window.lag_ms
        bucket = txn_ms // width
        start_time = np.maximum(reported_ms, bucket * width + lag)
        end_time = (bucket + n) * width + lag
        span = int(max(times.max(), end_time.max(), start_time.max())) + 1
        key = groups * span + times
        start = np.searchsorted(key, label_group * span + start_time, side="left")
        end = np.searchsorted(key, label_group * span + end_time, side="left")
        keep = start < end
        diff = np.zeros(len(rows) + 1, dtype=np.int64)
        np.add.at(diff, start[keep], 1)
        np.add.at(diff, end[keep], -1)
        counts = np.cumsum(diff[:-1])
        return counts

    # -- first seen --------------------------------------------------------------------

    def _first_seen(self, columns: dict[str, Any], aggregates: Aggregates) -> None:
        """New = the pair (entity, value) did not occur within the entity's scan window."""
        times = columns["event_time"]
        for spec in self.registry.first_seen():
            plan = self.plan.exact_plan(spec.entity)
            if plan is None:  # pragma: no cover - first-seen owners are exact entities
                raise KeyError(spec.entity)
            owner = columns[ENTITY_COLUMN[spec.entity]]
            seen = columns[ATTRIBUTE_COLUMN[spec.of]]
            valid = np.flatnonzero(
                np.fromiter(
                    (o is not None and s is not None for o, s in zip(owner, seen, strict=True)),
                    dtype=bool,
                    count=len(owner),
                )
            )
            result = np.full(len(owner), np.nan)
            if len(valid):
                pairs = pd.Series(
                    [f"{o}\x00{s}" for o, s in zip(owner[valid], seen[valid], strict=True)]
                )
                previous = (
                    pd.Series(times[valid].astype(np.float64)).groupby(pairs.to_numpy()).shift(1)
                )
                earlier = previous.to_numpy()
                new = np.isnan(earlier) | (earlier <= times[valid] - plan.scan_ms)
                result[valid] = new.astype(np.float64)
            aggregates.first_seen[spec.name] = result


# -- helpers ------------------------------------------------------------------------------


def _label_records(labels: pd.DataFrame) -> list[tuple[int, LabelRecord]]:
    reported = _to_ms(labels["reported_at"])
    event = labels["event_time"]
    records = []
    for i, row in enumerate(labels.itertuples(index=False)):
        event_value = event.iloc[i]
        records.append(
            (
                int(reported[i]),
                LabelRecord(
                    transaction_id=str(row.transaction_id),
                    is_fraud=bool(row.is_fraud),
                    merchant_id=_text(getattr(row, "merchant_id", None)),
                    card_bin=_text(getattr(row, "card_bin", None)),
                    event_ms=None if pd.isna(event_value) else int(event_value.value // 10**6),
                ),
            )
        )
    return records


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _to_ms(series: pd.Series) -> IntArray:
    times = pd.to_datetime(series, utc=True).dt.as_unit("ms")
    return np.asarray(times.astype("int64").to_numpy(), dtype=np.int64)


def _grouped(
    values: npt.NDArray[np.object_], times: IntArray
) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.object_]]:
    """Rows with a non-null entity, ordered by (entity, arrival).

    Returns the rows, their group codes, their times and the entity of each code.
    """
    valid = np.flatnonzero(np.array([v is not None for v in values], dtype=bool))
    codes, uniques = pd.factorize(pd.Series(values[valid], dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    rows = valid[order].astype(np.int64)
    entities = np.asarray(uniques, dtype=object)
    return rows, np.asarray(codes)[order].astype(np.int64), times[rows].astype(np.int64), entities


def _group_key(groups: IntArray, times: IntArray, reach: int) -> IntArray:
    """A sortable key: groups apart by more than any window, times ordered within."""
    base = int(times.min())
    span = int(times.max()) - base + reach + 1
    if int(groups.max()) * span > 2**62:
        raise OverflowError("too many entities for the vectorised path")
    return groups * span + (times - base)


def _cumsum(values: IntArray) -> IntArray:
    return np.concatenate(([0], np.cumsum(values, dtype=np.int64)))


def _window_max(values: IntArray, left: IntArray) -> IntArray:
    """max(values[left[p]:p]) for each p (left is non-decreasing within each group); -1 if empty."""
    out = np.full(len(values), -1, dtype=np.int64)
    window: list[int] = []  # indices with decreasing values (a monotonic deque)
    head = 0
    data = values.tolist()
    lefts = left.tolist()
    for p in range(len(data)):
        lo = lefts[p]
        while head < len(window) and window[head] < lo:
            head += 1
        if head == len(window):  # empty window: compact the deque
            window.clear()
            head = 0
        else:
            out[p] = data[window[head]]
        while len(window) > head and data[window[-1]] <= data[p]:
            window.pop()
        window.append(p)
    return out


def _window_distinct(values: npt.NDArray[np.object_], left: IntArray, groups: IntArray) -> IntArray:
    """Distinct non-null values in values[left[p]:p] for each p (a sliding window)."""
    out = np.zeros(len(values), dtype=np.int64)
    counts: dict[object, int] = {}
    data = values.tolist()
    lefts = left.tolist()
    group = groups.tolist()
    low = 0
    for p in range(len(data)):
        if p and group[p] != group[p - 1]:
            counts.clear()
            low = p
        target = lefts[p]
        while low < target:
            value = data[low]
            if value is not None:
                remaining = counts[value] - 1
                if remaining:
                    counts[value] = remaining
                else:
                    del counts[value]
            low += 1
        out[p] = len(counts)
        value = data[p]
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return out
