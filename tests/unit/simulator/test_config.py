from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from simulator import ConfigError, PatternMix, SimulationConfig


def test_defaults_describe_a_realistic_month() -> None:
    config = SimulationConfig(seed=7, days=30)
    assert config.end - config.start == timedelta(days=30)
    assert 30_000 <= config.expected_legit_per_day * config.days <= 100_000
    assert 0.005 <= config.fraud_rate <= 0.015


def test_start_is_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    config = SimulationConfig(start=datetime(2026, 3, 1, 2, 0, tzinfo=plus_two))
    assert config.start == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert config.start.tzinfo is UTC


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": datetime(2026, 1, 1)}, "start"),  # noqa: DTZ001 - naive on purpose
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
        ({"days": 0}, "days"),
        ({"days": float("nan")}, "days"),
        ({"n_customers": 0}, "n_customers"),
        ({"n_customers": 10.5}, "n_customers"),
        ({"n_merchants": 5}, "n_merchants"),
        ({"cards_per_customer": 4}, "cards_per_customer"),
        ({"fraud_rate": 0.9}, "fraud_rate"),
        ({"txns_per_card_per_day": 0}, "txns_per_card_per_day"),
        ({"country_mix": (("XX", 1.0),)}, "country_mix"),
        ({"country_mix": (("US", 1.0), ("US", 2.0))}, "country_mix"),
        ({"country_mix": (("US", 0.0),)}, "country_mix"),
        ({"country_mix": ()}, "country_mix"),
        ({"currency_mix": (("XAU", 1.0),)}, "currency_mix"),
        ({"allowed_currencies": frozenset({"KRW"})}, "allowed_currencies"),
        ({"report_rate": 1.5}, "report_rate"),
        ({"legit_dispute_rate": -0.1}, "legit_dispute_rate"),
        ({"hash_key": b""}, "hash_key"),
        ({"patterns": PatternMix(*(0.0,) * 7)}, "patterns"),
    ],
)
def test_invalid_values_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        replace(SimulationConfig(), **changes)
    assert caught.value.field == field
    assert f"SimulationConfig.{field}" in str(caught.value)


def test_currency_mix_must_be_allowed() -> None:
    with pytest.raises(ConfigError, match="currency_mix"):
        SimulationConfig(allowed_currencies=frozenset({"USD", "EUR"}), currency_mix=(("GBP", 1.0),))


def test_negative_pattern_weight_is_refused() -> None:
    with pytest.raises(ConfigError, match="patterns.bin_attack"):
        PatternMix(bin_attack=-1)


def test_no_fraud_needs_no_patterns() -> None:
    config = SimulationConfig(fraud_rate=0.0, patterns=PatternMix(*(0.0,) * 7))
    assert config.patterns.share("card_testing") == 0.0


def test_local_currency_falls_back_when_not_allowed() -> None:
    config = SimulationConfig(allowed_currencies=frozenset({"USD", "EUR", "GBP"}))
    assert config.local_currency("DE") == "EUR"
    assert config.local_currency("JP") == "USD"
