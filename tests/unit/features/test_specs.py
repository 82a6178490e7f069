"""Feature specs validate themselves and generate the names everything else reads."""

from __future__ import annotations

import pytest

from features import (
    FeatureRegistry,
    FeatureSpecError,
    FraudShare,
    Velocity,
    default_registry,
    first_path_registry,
    parse_window,
)


def test_names_come_from_specs() -> None:
    assert Velocity("card", "amount_sum", "1h").name == "card_amount_sum_1h"
    assert FraudShare("merchant", "7d").name == "merchant_fraud_share_7d"
    assert FraudShare("bin", "1d", measure="lagged_count").name == "bin_lagged_count_1d"
    # a delay other than the default week is part of the name; the same delay spelt
    # differently is the same feature
    assert FraudShare("merchant", "7d", delay="14d").name == "merchant_fraud_share_7d_delay14d"
    assert FraudShare("merchant", "7d", delay="168h").name == "merchant_fraud_share_7d"
    shifted = FraudShare("bin", "1d", delay="2d", measure="lagged_count")
    assert shifted.name == "bin_lagged_count_1d_delay2d"
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
