"""Training sets are point-in-time: no label or feature value from after the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from features import RatesTable, default_registry
from tests.unit.training.conftest import History
from training import build_training_set

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _transactions(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            {
                "transaction_id": f"pi_{i:08d}",
                "event_time": T0 + timedelta(hours=6 * i),
                "merchant_id": "acct_m1",
                "customer_id": "cus_a",
                "card_fingerprint": "fpA" if i % 2 else "fpB",
                "card_bin": "424242",
                "card_country": "US",
                "card_brand": "visa",
                "card_funding": "credit",
                "amount": 1000 + i,
                "currency": "USD",
                "ip": None,
                "ip_country": None,
                "device_id": None,
                "email_hash": None,
                "billing_country": "US",
                "shipping_country": "US",
                "avs_result": "match",
                "cvv_result": "M",
                "three_ds": "not_requested",
                "channel": "ecommerce",
                "kind": "purchase",
            }
        )
    return pd.DataFrame(rows)


def test_labels_and_features_never_come_from_the_future() -> None:
    transactions = _transactions(80)  # 20 days, one every 6 hours
    # Transaction 4 is fraud, but its chargeback arrives ten days later.
    fraud_time = transactions.loc[4, "event_time"]
    reported = fraud_time + timedelta(days=10)
    labels = pd.DataFrame(
        {"transaction_id": ["pi_00000004"], "label": ["fraud"], "reported_at": [reported]}
    )
    registry = default_registry()
    as_of = T0 + timedelta(days=8)  # before the chargeback
    early = build_training_set(
        transactions, labels, registry, RatesTable.from_mapping(), as_of=as_of
    )
    assert early.target.sum() == 0  # not known yet at the cut-off
    assert early.event_time.max() <= pd.Timestamp(as_of)

    late = build_training_set(
        transactions,
        labels,
        registry,
        RatesTable.from_mapping(),
        as_of=T0 + timedelta(days=22),
        maturity=timedelta(days=2),
    )
    assert late.target.sum() == 1
    assert late.event_time.max() <= pd.Timestamp(T0 + timedelta(days=20))
    # The merchant's fraud share only moves once the label is known; with the 7-day delay
    # window it counts transactions ending a week before each event.
    share = late.features["merchant_fraud_share_30d"].to_numpy()
    times = late.event_time
    before = (times < reported).to_numpy()
    assert np.nan_to_num(share[before]).max() == 0.0
    assert np.nanmax(share[~before]) > 0.0
    # Velocity counts only see earlier transactions.
    counts = late.features["card_count_24h"].to_numpy()
    assert counts[0] == 0 and counts[1] == 0


def test_features_at_each_cutoff_equal_those_built_from_the_past_alone(history: History) -> None:
    """A row's features never change when everything after its event time is removed.

    If any feature read a later transaction or a label reported after the event, the
    row computed from the full history would differ from the row computed from the
    data known at that moment.
    """
    full = history.data
    names = list(full.feature_names)
    table = full.features.set_index(pd.Index(full.transaction_id))
    start = history.config.start
    for days in (9, 16, 21):
        cutoff = pd.Timestamp(start + timedelta(days=days, hours=7))
        past = history.transactions[history.transactions["event_time"] <= cutoff]
        known = history.labels[history.labels["reported_at"] <= cutoff]
        early = build_training_set(
            past, known, default_registry(), RatesTable.from_mapping(), as_of=cutoff.to_pydatetime()
        )
        assert early.event_time.max() <= cutoff
        mine = early.features.set_index(pd.Index(early.transaction_id))[names]
        theirs = table.loc[mine.index, names]
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
        # The target only counts labels reported by the cut-off.
        frauds = set(known.loc[known["label"] == "fraud", "transaction_id"])
        assert set(early.transaction_id[early.target == 1]) <= frauds
