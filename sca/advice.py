"""Transaction-risk-analysis (TRA) exemption advice under PSD2 strong customer authentication.

For a card-not-present payment in scope of SCA (acquirer and issuer in the EEA,
customer-initiated e-commerce), the payee's PSP may skip the 3-D Secure challenge and
request the TRA exemption when (PSD2 RTS, Commission Delegated Regulation (EU)
2018/389, Art. 18 and Annex) its real-time risk analysis finds the payment low-risk,
the amount is within an exemption threshold value, and its fraud rate for remote card
payments over the previous 90 days is at or below the reference rate of that band:

| up to | reference fraud rate |
|---|---|
| 100 EUR | 0.13 % (13 bps) |
| 250 EUR | 0.06 % (6 bps) |
| 500 EUR | 0.01 % (1 bps) |

Above 500 EUR no TRA exemption exists. The fraud rate is by value: fraudulent remote
payments over all remote payments. This module is pure: the measured rates come in
as :class:`sca.rates.FraudRates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from contracts.geo import EEA_COUNTRIES
from contracts.sca import ScaExemption, ScaOutcome
from features.money import RatesTable
from sca.rates import FraudRates

__all__ = ["TRA_BANDS", "AmountBand", "ScaAdvice", "ScaOutcome", "advise", "tra_band"]


@dataclass(frozen=True, slots=True)
class AmountBand:
    """An exemption threshold value (EUR cents) and its reference fraud rate (bps)."""

    up_to_eur_minor: int
    reference_bps: float

    @property
    def label(self) -> str:
        return f"up to {self.up_to_eur_minor // 100} EUR"


TRA_BANDS: Final[tuple[AmountBand, ...]] = (
    AmountBand(10_000, 13.0),
    AmountBand(25_000, 6.0),
    AmountBand(50_000, 1.0),
)


@dataclass(frozen=True, slots=True)
class ScaAdvice:
    """What to do about SCA for one payment, with the reason in words."""

    outcome: ScaOutcome
    reason_code: str
    text: str
    band: AmountBand | None = None
    measured_bps: float | None = None

    @property
    def exemption(self) -> Literal["tra"] | None:
        return "tra" if self.outcome == "tra_exemption" else None

    def as_reason(self) -> dict[str, Any]:
        """The advice in the shape of :class:`contracts.Reason` (source ``system``)."""
        return {"code": self.reason_code, "text": self.text, "source": "system"}

    def record(self) -> ScaExemption:
        """The advice as a decision carries it."""
        return ScaExemption(
            outcome=self.outcome,
            exemption=self.exemption,
            reason_code=self.reason_code,
            reference_bps=self.band.reference_bps if self.band else None,
            measured_bps=self.measured_bps,
        )


def tra_band(amount_eur_minor: int) -> AmountBand | None:
    """The smallest band that holds the amount; None above 500 EUR.

    >>> tra_band(9_999).reference_bps, tra_band(25_000).reference_bps, tra_band(50_001)
    (13.0, 6.0, None)
    """
    return next((b for b in TRA_BANDS if amount_eur_minor <= b.up_to_eur_minor), None)


def _to_eur(amount: int, currency: str, eur: RatesTable) -> int | None:
    value = eur.to_base(np.array([float(amount)]), np.array([currency], dtype=object))[0]
    return None if value != value else int(value)


def advise(
    *,
    channel: str,
    card_country: str,
    amount: int,
    currency: str,
    action: str,
    merchant_id: str,
    rates: FraudRates | None,
    acquirer_country: str | None,
    eur: RatesTable,
    amount_eur: int | None = None,
) -> ScaAdvice:
    """The SCA advice for one decided payment.

    ``eur`` converts amounts to EUR minor units (``RatesTable.from_mapping(base="EUR")``);
    ``amount_eur`` passes the converted amount when the caller converted a whole batch.
    ``rates`` holds the measured 90-day fraud rates; None means unknown (no advice to
    exempt). The merchant's own rate, when measured, must also be within the band.
    """
    if acquirer_country is None or acquirer_country not in EEA_COUNTRIES:
        return ScaAdvice("out_of_scope", "sca_out_of_scope", "The acquirer is not in the EEA.")
    if channel != "ecommerce":
        return ScaAdvice(
            "out_of_scope", "sca_out_of_scope",
            f"A {channel} payment is not a customer-initiated remote payment.",
        )  # fmt: skip
    if card_country not in EEA_COUNTRIES:
        return ScaAdvice(
            "out_of_scope", "sca_out_of_scope", "The card was issued outside the EEA (one leg out)."
        )
    if action == "decline":
        return ScaAdvice("not_applicable", "sca_not_applicable", "The payment is declined.")
    if action != "approve":
        return ScaAdvice(
            "challenge", "sca_challenge_risk",
            "The risk analysis did not find the payment low-risk: authenticate with 3-D Secure.",
        )  # fmt: skip
    if amount_eur is None:
        amount_eur = _to_eur(amount, currency, eur)
    if amount_eur is None:
        return ScaAdvice(
            "challenge", "sca_amount_unconvertible",
            f"No EUR rate for {currency}: the exemption band is unknown.",
        )  # fmt: skip
    band = tra_band(amount_eur)
    if band is None:
        return ScaAdvice(
            "challenge", "sca_amount_above_tra",
            "Above 500 EUR no transaction-risk-analysis exemption applies.",
        )  # fmt: skip
    measured = rates.acquirer_bps if rates is not None else None
    if measured is None:
        return ScaAdvice(
            "challenge", "sca_fraud_rate_unknown",
            "The 90-day fraud rate is not measured yet: authenticate with 3-D Secure.", band,
        )  # fmt: skip
    if measured > band.reference_bps:
        return ScaAdvice(
            "challenge", "sca_fraud_rate_above_reference",
            f"The 90-day fraud rate {measured:.2f} bps is above the {band.reference_bps:g} bps "
            f"reference for payments {band.label}.", band, measured,
        )  # fmt: skip
    merchant = _merchant_rate(rates, merchant_id)
    if merchant is not None and merchant > band.reference_bps:
        return ScaAdvice(
            "challenge", "sca_merchant_fraud_rate_above_reference",
            f"The merchant's 90-day fraud rate {merchant:.2f} bps is above the "
            f"{band.reference_bps:g} bps reference for payments {band.label}.", band, merchant,
        )  # fmt: skip
    return ScaAdvice(
        "tra_exemption", "sca_tra_exemption",
        f"Low-risk payment {band.label}; the 90-day fraud rate {measured:.2f} bps is within "
        f"the {band.reference_bps:g} bps reference: request the TRA exemption instead of a "
        "3-D Secure challenge.", band, measured,
    )  # fmt: skip


def _merchant_rate(rates: FraudRates | None, merchant_id: str) -> float | None:
    if rates is None:
        return None
    merchants: Mapping[str, float] = rates.merchant_bps
    return merchants.get(merchant_id)
