"""Feature values computed by hand: the formulas, not just online == offline.

The parity tests prove the stream, the offline twin and the sequential reference agree;
they share :func:`features.aggregates.finalize`, so a wrong formula there would agree
with itself. These cases pin the formulas to numbers worked out on paper.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features import OfflineFeatures, RatesTable, default_registry
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
    table = pd.DataFrame(to_columns(rows))
    table["event_time"] = pd.to_datetime(table["event_time"], unit="ms", utc=True)
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
