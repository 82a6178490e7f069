"""Feature values computed by hand: the formulas, not just online == offline.

The parity tests prove the stream, the offline twin and the sequential reference agree;
they share :func:`features.aggregates.finalize`, so a wrong formula there would agree
with itself. These cases pin the formulas to numbers worked out on paper.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features import FeatureRegistry, FraudShare, OfflineFeatures, RatesTable, default_registry
from features.columns import columns_to_table
from tests.feature_streams import T0, to_columns

MINUTE = 60_000

# One card: $10 (US, m1), 30 min later $30 (FR, m1), at 2 h $20 (US, m2); the scored
# payment at 2 h 5 min is $80 from DE at m1. Card windows exclude the scored payment.
PAYMENTS = [
    (0, 1_000, "US", "acct_m1"),
    (30 * MINUTE, 3_000, "FR", "acct_m1"),
    (120 * MINUTE, 2_000, "US", "acct_m2"),
    (125 * MINUTE, 8_000, "DE", "acct_m1"),
]


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    rows = [
        {
            "transaction_id": f"pi_{i}",
            "event_time": T0 + offset,
            "merchant_id": merchant,
            "card_fingerprint": "fpA",
            "card_bin": "424242",
            "amount": float(amount),
            "currency": "USD",
            "ip_country": country,
        }
        for i, (offset, amount, country, merchant) in enumerate(PAYMENTS)
    ]
    table = columns_to_table(to_columns(rows))
    return OfflineFeatures(default_registry(), RatesTable.from_mapping()).compute(table)


def test_card_velocity_over_earlier_payments(features: pd.DataFrame) -> None:
    scored = features.iloc[-1]
    assert scored["card_count_10m"] == 1  # the 2 h payment, 5 min earlier
    assert scored["card_count_1h"] == 1
    assert scored["card_count_24h"] == 3
    assert scored["card_amount_sum_24h"] == 6_000
    assert scored["card_amount_mean_30d"] == 2_000
    assert scored["card_amount_max_30d"] == 3_000
    assert scored["card_amount_ratio_to_mean_30d"] == 4.0
    assert scored["card_seconds_since_last"] == 300


def test_card_zscore_uses_the_population_std_of_earlier_amount_units(
    features: pd.DataFrame,
) -> None:
    # units of 100 minor units: 10, 30, 20 → mean 20, variance 200/3; this payment 80
    expected = (80 - 20) / math.sqrt(200 / 3)
    assert features.iloc[-1]["card_amount_zscore_30d"] == pytest.approx(expected, rel=1e-12)


def test_distinct_and_first_seen(features: pd.DataFrame) -> None:
    scored = features.iloc[-1]
    assert scored["card_distinct_countries_1h"] == 1  # US at 2 h
    assert scored["card_distinct_countries_24h"] == 2  # US, FR
    assert scored["card_new_merchant"] == 0  # m1 was seen
    assert scored["card_new_ip_country"] == 1  # DE was not


def test_the_first_payment_has_counts_but_no_averages(features: pd.DataFrame) -> None:
    first = features.iloc[0]
    assert first["card_count_30d"] == 0
    assert math.isnan(first["card_amount_mean_30d"])
    assert math.isnan(first["card_amount_zscore_30d"])
    assert math.isnan(first["card_seconds_since_last"])


def test_lagged_count_is_the_fraud_share_denominator() -> None:
    """Three payments on day 0 (one fraud, reported on day 1), one on day 3, then the
    scored payment on day 7.25: its 1-day window ending 7 days earlier is
    (day -0.75, day 0.25], which holds the three day-0 payments."""
    day = 86_400_000
    times = [T0, T0 + 1, T0 + 2, T0 + 3 * day, T0 + 7 * day + day // 4]
    rows = [
        {
            "transaction_id": f"pi_{i}",
            "event_time": t,
            "merchant_id": "acct_m",
            "amount": 100.0,
            "currency": "USD",
            "card_fingerprint": f"fp{i}",
            "card_bin": "424242",
        }
        for i, t in enumerate(times)
    ]
    table = columns_to_table(to_columns(rows))
    labels = pd.DataFrame(
        {
            "transaction_id": ["pi_1"],
            "is_fraud": [True],
            "merchant_id": ["acct_m"],
            "card_bin": ["424242"],
            "event_time": pd.to_datetime([T0 + 1], unit="ms", utc=True),
            "reported_at": pd.to_datetime([T0 + day], unit="ms", utc=True),
        }
    )
    registry = FeatureRegistry(
        [
            FraudShare("merchant", "1d"),
            FraudShare("merchant", "1d", measure="lagged_count"),
            FraudShare("merchant", "7d", measure="lagged_count"),
            FraudShare("merchant", "2d", delay="2d"),
            FraudShare("merchant", "2d", delay="2d", measure="lagged_count"),
        ]
    )
    features = OfflineFeatures(registry, RatesTable.from_mapping()).compute(table, labels)
    last = features.iloc[-1]
    assert last["merchant_lagged_count_1d"] == 3
    assert last["merchant_fraud_share_1d"] == 1 / 3
    assert last["merchant_lagged_count_7d"] == 3  # (day -6.75, day 0.25]
    assert features["merchant_lagged_count_1d"].iloc[3] == 0  # day 3: nothing 7 days back
    # A 2-day delay is in the name, and on day 3 its window (day -1, day 1] holds the
    # three day-0 payments and the fraud among them, reported on day 1.
    assert features["merchant_lagged_count_2d_delay2d"].iloc[3] == 3
    assert features["merchant_fraud_share_2d_delay2d"].iloc[3] == 1 / 3
