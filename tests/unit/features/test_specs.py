"""Feature specs validate themselves and generate the names everything else reads."""

from __future__ import annotations

import pandas as pd
import pytest

from features import (
    FeatureRegistry,
    FeatureSpecError,
    FraudShare,
    OfflineFeatures,
    RatesTable,
    Velocity,
    default_registry,
    first_path_registry,
    parse_window,
)
from tests.feature_streams import T0, to_columns


def test_names_come_from_specs() -> None:
    assert Velocity("card", "amount_sum", "1h").name == "card_amount_sum_1h"
    assert FraudShare("merchant", "7d").name == "merchant_fraud_share_7d"
    assert FraudShare("bin", "1d", measure="lagged_count").name == "bin_lagged_count_1d"
    assert parse_window("30d") == 30 * 86400


@pytest.mark.parametrize(
    "build",
    [
        lambda: Velocity("planet", "count", "1h"),  # type: ignore[arg-type]
        lambda: Velocity("card", "median", "1h"),  # type: ignore[arg-type]
        lambda: Velocity("card", "count", "90x"),
        lambda: Velocity("ip", "amount_max", "1h"),  # bucketed entities cannot answer max
        lambda: Velocity("card", "distinct_cards", "1h"),  # always 1
        lambda: FraudShare("card", "7d"),  # type: ignore[arg-type]
        lambda: FraudShare("merchant", "7d", measure="fraud_sum"),  # type: ignore[arg-type]
    ],
)
def test_invalid_specs_say_why(build: object) -> None:
    with pytest.raises(FeatureSpecError):
        build()  # type: ignore[operator]


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(FeatureSpecError, match="defined twice"):
        FeatureRegistry([Velocity("card", "count", "1h"), Velocity("card", "count", "1h")])


def test_registry_is_the_single_source() -> None:
    registry = default_registry()
    assert len(registry.names) == len(set(registry.names))
    assert set(registry.model_features) <= set(registry.names)
    assert "amount" not in registry.model_features  # raw currency amounts are for rules
    assert registry.symbols()["card_country"] == "string"
    assert registry.version != first_path_registry().version
    first = first_path_registry()
    assert {"card_count_1h", "customer_amount_sum_24h"} <= set(first.model_features)


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
    table = pd.DataFrame(to_columns(rows))
    table["event_time"] = pd.to_datetime(table["event_time"], unit="ms", utc=True)
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
        ]
    )
    features = OfflineFeatures(registry, RatesTable.from_mapping()).compute(table, labels)
    last = features.iloc[-1]
    assert last["merchant_lagged_count_1d"] == 3
    assert last["merchant_fraud_share_1d"] == 1 / 3
    assert last["merchant_lagged_count_7d"] == 3  # (day -6.75, day 0.25]
    assert features["merchant_lagged_count_1d"].iloc[3] == 0  # day 3: nothing 7 days back
