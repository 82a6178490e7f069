"""Random transaction streams for the feature-engine tests (parity and redelivery)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from features import FeatureRegistry, FraudShare, default_registry
from features.columns import TABLE_COLUMNS
from features.reference import LabelRecord

T0 = 1_780_000_000_000  # event time of the first transaction, epoch ms
STEPS_MS = [0, 1, 1_000, 45_000, 300_000, 3_600_000, 6 * 3_600_000, 2 * 86_400_000]


def wide_registry() -> FeatureRegistry:
    """The default features plus what only other feature sets use (lagged counts, delays)."""
    return FeatureRegistry(
        [
            *default_registry().specs,
            FraudShare("merchant", "1d", measure="lagged_count"),
            FraudShare("merchant", "7d", measure="lagged_count"),
            FraudShare("bin", "30d", measure="lagged_count"),
            # a delay other than the default 7 days (named with its delay)
            FraudShare("merchant", "1d", delay="2d"),
            FraudShare("bin", "7d", delay="1d", measure="lagged_count"),
        ]
    )


@dataclass(frozen=True)
class Stream:
    columns: dict[str, Any]  # one row per distinct transaction
    items: list[tuple[str, Any]]  # arrival order: ("txn", row) and ("label", LabelRecord)


def to_columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name, kind in TABLE_COLUMNS.items():
        values = [row.get(name) for row in rows]
        if kind == "number":
            columns[name] = np.array(values, dtype=np.float64)
        elif kind == "time":
            columns[name] = np.array(values, dtype=np.int64)
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            columns[name] = array
    return columns


@st.composite
def streams(
    draw: st.DrawFn,
    *,
    max_rows: int = 40,
    lateness_ms: int = 600_000,
    redeliveries: bool = True,
    labels: bool = True,
    out_of_order: bool = True,
) -> Stream:
    n = draw(st.integers(1, max_rows))
    pick = st.sampled_from
    rows: list[dict[str, Any]] = []
    t = T0
    for i in range(n):
        t += draw(pick(STEPS_MS))
        rows.append(
            {
                "transaction_id": f"pi_{i:08d}",
                "event_time": t,
                "merchant_id": draw(pick(["acct_m1", "acct_m2", "acct_m3"])),
                "customer_id": draw(pick(["cus_a", "cus_b", None])),
                "card_fingerprint": draw(pick(["fpA", "fpB", "fpC", "fpD"])),
                "card_bin": draw(pick(["424242", "555555"])),
                "card_country": draw(pick(["US", "DE", "FR"])),
                "card_brand": "visa",
                "card_funding": draw(pick(["credit", "prepaid"])),
                "amount": float(draw(pick([0, 1, 99, 2_500, 99_999, 10**7]))),
                "currency": draw(pick(["USD", "EUR", "JPY"])),
                "ip": draw(pick(["198.51.100.1", "198.51.100.2", None])),
                "ip_country": draw(pick(["US", "FR", None])),
                "device_id": draw(pick(["dev_1", "dev_2", None])),
                "email_hash": draw(pick(["e1", "e2", None])),
                "billing_country": "US",
                "shipping_country": draw(pick(["US", "GB", None])),
                "avs_result": draw(pick(["match", "no_match", "unavailable"])),
                "cvv_result": draw(pick(["M", "N", "X"])),
                "three_ds": draw(pick(["authenticated", "not_requested"])),
                "channel": "ecommerce",
                "kind": "purchase",
            }
        )
    order = list(range(n))
    if out_of_order:  # swap neighbours whose times are within the lateness
        for i in range(n - 1):
            a, b = order[i], order[i + 1]
            close = abs(rows[a]["event_time"] - rows[b]["event_time"]) <= lateness_ms
            if close and draw(st.booleans()):
                order[i], order[i + 1] = b, a
    items: list[tuple[str, Any]] = []
    for position, row in enumerate(order):
        items.append(("txn", row))
        if redeliveries and draw(st.integers(0, 9)) == 0:
            items.append(("txn", order[max(0, position - draw(st.integers(0, 3)))]))
        if labels and draw(st.integers(0, 5)) == 0:
            target = rows[order[draw(st.integers(0, position))]]
            items.append(
                (
                    "label",
                    LabelRecord(
                        transaction_id=target["transaction_id"],
                        is_fraud=draw(st.booleans()),
                        merchant_id=target["merchant_id"],
                        card_bin=target["card_bin"],
                        event_ms=target["event_time"],
                    ),
                )
            )
    return Stream(to_columns(rows), items)


def first_occurrences(items: list[tuple[str, Any]]) -> list[int]:
    """Positions (among "txn" items) of each transaction's first arrival."""
    seen: set[int] = set()
    positions = []
    position = 0
    for kind, item in items:
        if kind != "txn":
            continue
        if item not in seen:
            seen.add(item)
            positions.append(position)
        position += 1
    return positions


def same(left: Any, right: Any) -> bool:
    """Equal, treating None and NaN as the same null."""
    left_null = left is None or (isinstance(left, float) and left != left)
    right_null = right is None or (isinstance(right, float) and right != right)
    if left_null or right_null:
        return left_null and right_null
    return bool(left == right)
