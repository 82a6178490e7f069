"""TRA exemption advice: PSD2 RTS amount bands and reference fraud rates, scope, risk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from features.money import RatesTable
from sca import TRA_BANDS, FraudRates, RatesFile, ScaAdvice, advise, rates_path, tra_band

EUR = RatesTable.from_mapping(base="EUR")


def _advise(rates: FraudRates | None = None, **overrides: Any) -> ScaAdvice:
    fields: dict[str, Any] = {
        "channel": "ecommerce", "card_country": "DE", "amount": 8_000, "currency": "EUR",
        "action": "approve", "merchant_id": "acct_A", "rates": rates, "acquirer_country": "FR",
        "eur": EUR,
    }  # fmt: skip
    fields.update(overrides)
    return advise(**fields)


def test_the_reference_rates_of_the_rts_annex() -> None:
    assert [(b.up_to_eur_minor, b.reference_bps) for b in TRA_BANDS] == [
        (10_000, 13.0), (25_000, 6.0), (50_000, 1.0),
    ]  # fmt: skip
    assert tra_band(10_000) is TRA_BANDS[0] and tra_band(10_001) is TRA_BANDS[1]
    assert tra_band(50_000) is TRA_BANDS[2] and tra_band(50_001) is None


@pytest.mark.parametrize(
    ("amount", "measured", "outcome", "code"),
    [
        (8_000, 12.9, "tra_exemption", "sca_tra_exemption"),
        (8_000, 13.0, "tra_exemption", "sca_tra_exemption"),
        (8_000, 13.1, "challenge", "sca_fraud_rate_above_reference"),
        (20_000, 5.0, "tra_exemption", "sca_tra_exemption"),
        (20_000, 7.0, "challenge", "sca_fraud_rate_above_reference"),
        (45_000, 0.9, "tra_exemption", "sca_tra_exemption"),
        (45_000, 1.5, "challenge", "sca_fraud_rate_above_reference"),
        (60_000, 0.0, "challenge", "sca_amount_above_tra"),
    ],
)
def test_the_measured_rate_decides_by_band(
    amount: int, measured: float, outcome: str, code: str
) -> None:
    advice = _advise(FraudRates(acquirer_bps=measured), amount=amount)
    assert (advice.outcome, advice.reason_code) == (outcome, code)
    assert advice.exemption == ("tra" if outcome == "tra_exemption" else None)
    assert advice.as_reason()["source"] == "system"


def test_amounts_are_compared_in_eur() -> None:
    rates = FraudRates(acquirer_bps=5.0)  # within 250 EUR's 6 bps, above 500 EUR's 1 bps
    assert _advise(rates, amount=20_000, currency="USD").outcome == "tra_exemption"  # ~185 EUR
    assert _advise(rates, amount=40_000, currency="GBP").outcome == "challenge"  # ~470 EUR
    assert _advise(rates, currency="XOF").reason_code == "sca_amount_unconvertible"


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        ({"acquirer_country": None}, "out_of_scope"),
        ({"acquirer_country": "US"}, "out_of_scope"),
        ({"card_country": "US"}, "out_of_scope"),
        ({"channel": "moto"}, "out_of_scope"),
        ({"channel": "recurring"}, "out_of_scope"),
        ({"action": "decline"}, "not_applicable"),
        ({"action": "challenge"}, "challenge"),
        ({"action": "review"}, "challenge"),
    ],
)
def test_scope_and_risk(overrides: dict[str, Any], outcome: str) -> None:
    assert _advise(FraudRates(acquirer_bps=1.0), **overrides).outcome == outcome


def test_unknown_rates_and_a_risky_merchant_mean_a_challenge() -> None:
    assert _advise(None).reason_code == "sca_fraud_rate_unknown"
    assert _advise(FraudRates(acquirer_bps=None)).reason_code == "sca_fraud_rate_unknown"
    rates = FraudRates(acquirer_bps=3.0, merchant_bps={"acct_A": 20.0, "acct_B": 2.0})
    assert _advise(rates).reason_code == "sca_merchant_fraud_rate_above_reference"
    assert _advise(rates, merchant_id="acct_B").outcome == "tra_exemption"
    assert "3.00 bps" in _advise(rates, merchant_id="acct_B").text


def test_the_rates_file_round_trips_and_survives_a_broken_write(tmp_path: Path) -> None:
    path = rates_path(tmp_path)
    rates = FraudRates(acquirer_bps=4.25, merchant_bps={"acct_A": 1.5}, computed_at="2026-11-20")
    rates.write(path)
    reader = RatesFile(path, poll_interval_s=0)
    assert reader.get() == rates
    path.write_text("{not json")
    assert reader.get() == rates  # keeps the last good copy


def test_a_batch_is_advised_and_recorded_as_the_decision_carries_it(tmp_path: Path) -> None:
    from contracts import ScaExemption, load_settings
    from sca import ScaAdvisor
    from tests.factories import make_event

    settings = load_settings(data_dir=tmp_path, environment="test", sca_acquirer_country="DE")
    FraudRates(acquirer_bps=5.0).write(rates_path(tmp_path))
    advisor = ScaAdvisor.from_settings(settings, poll_interval_s=0)
    events = [
        make_event(amount=9_000, currency="EUR", card={"country": "FR"}),
        make_event(amount=90_000, currency="EUR", card={"country": "FR"}),
        make_event(amount=9_000, currency="EUR", card={"country": "US"}),
        make_event(amount=9_000, currency="EUR", card={"country": "FR"}),
    ]
    advice = advisor.advise_batch(events, ["approve", "approve", "approve", "challenge"])
    assert [a.outcome for a in advice] == [
        "tra_exemption",
        "challenge",
        "out_of_scope",
        "challenge",
    ]
    assert advice[0].record() == ScaExemption(
        outcome="tra_exemption", exemption="tra", reason_code="sca_tra_exemption",
        reference_bps=13.0, measured_bps=5.0,
    )  # fmt: skip
