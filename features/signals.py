"""Payment signals: features that need only the transaction itself.

AVS, CVV and 3-D Secure results, country mismatches, funding type, local time. They
are computed on columns (:mod:`features.columns`), so the stream and the offline
twin run this very code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from features.columns import FloatArray, ObjectArray
from features.localtime import local_hour_and_weekday
from features.money import RatesTable
from features.spec import FeatureType

__all__ = ["SIGNALS", "Signal", "compute_signals"]


@dataclass(frozen=True, slots=True)
class Signal:
    """A feature computed from the transaction alone."""

    name: str
    type: FeatureType
    description: str


def _flag(mask: np.ndarray, known: np.ndarray | None = None) -> FloatArray:
    out = mask.astype(np.float64)
    if known is not None:
        out[~known] = np.nan
    return out


def _isin(values: ObjectArray, options: frozenset[str]) -> np.ndarray:
    return np.fromiter((v in options for v in values), dtype=bool, count=len(values))


def _known(values: ObjectArray) -> np.ndarray:
    return np.fromiter((v is not None for v in values), dtype=bool, count=len(values))


def _differs(left: ObjectArray, right: ObjectArray) -> FloatArray:
    """1.0 where both are known and differ, 0.0 where equal, NaN where one is missing."""
    known = _known(left) & _known(right)
    return _flag(left != right, known)


SIGNALS: tuple[Signal, ...] = (
    Signal("amount", "number", "amount in minor units of the transaction currency"),
    Signal("amount_base", "number", "amount in minor units of the base currency"),
    Signal("is_card_check", "bool", "zero-amount card verification"),
    Signal("avs_result", "string", "address verification result"),
    Signal("avs_no_match", "bool", "neither street nor postal code matched"),
    Signal("avs_partial", "bool", "only street or only postal code matched"),
    Signal("avs_unavailable", "bool", "no AVS answer (unavailable or not checked)"),
    Signal("cvv_result", "string", "CVV check result code (M, N, P, S, U, X)"),
    Signal("cvv_no_match", "bool", "the CVV did not match"),
    Signal("cvv_unverified", "bool", "the CVV was not verified (P, S, U or not sent)"),
    Signal("three_ds", "string", "3-D Secure outcome"),
    Signal("three_ds_authenticated", "bool", "3-D Secure authenticated the card holder"),
    Signal("three_ds_failed", "bool", "3-D Secure authentication failed"),
    Signal("liability_shift", "bool", "3-D Secure shifted fraud liability to the issuer"),
    Signal("card_ip_country_mismatch", "bool", "card country differs from IP country"),
    Signal("billing_ip_country_mismatch", "bool", "billing country differs from IP country"),
    Signal("card_billing_country_mismatch", "bool", "card country differs from billing country"),
    Signal("shipping_billing_mismatch", "bool", "shipping address differs from billing"),
    Signal("is_prepaid", "bool", "prepaid card"),
    Signal("is_card_not_present", "bool", "e-commerce or mail/telephone order"),
    Signal("local_hour", "number", "hour of day in the card's country (null if unknown)"),
    Signal("is_weekend_local", "bool", "Saturday or Sunday in the card's country"),
    Signal("is_night_local", "bool", "00:00-05:59 in the card's country"),
    Signal("card_country", "string", "card issuing country"),
    Signal("card_brand", "string", "card brand"),
    Signal("card_funding", "string", "card funding type"),
    Signal("card_bin", "string", "card BIN (first 6-8 digits)"),
    Signal("ip_country", "string", "country of the IP address"),
    Signal("merchant_id", "string", "merchant"),
    Signal("currency", "string", "ISO 4217 currency"),
    Signal("channel", "string", "sales channel"),
)

_PARTIAL = frozenset({"postal_only", "street_only"})
_NO_AVS = frozenset({"unavailable", "not_checked"})
_CVV_UNVERIFIED = frozenset({"P", "S", "U", "X"})
_SHIFT = frozenset({"authenticated", "attempted"})
_CNP = frozenset({"ecommerce", "moto"})


def compute_signals(columns: Mapping[str, Any], rates: RatesTable) -> dict[str, Any]:
    """Every signal of :data:`SIGNALS` for a batch, as columns."""
    amount: FloatArray = columns["amount"]
    avs: ObjectArray = columns["avs_result"]
    cvv: ObjectArray = columns["cvv_result"]
    three_ds: ObjectArray = columns["three_ds"]
    card_country: ObjectArray = columns["card_country"]
    ip_country: ObjectArray = columns["ip_country"]
    billing: ObjectArray = columns["billing_country"]
    shipping: ObjectArray = columns["shipping_country"]
    hours, weekdays = local_hour_and_weekday(columns["event_time"], card_country)
    hour_known = ~np.isnan(hours)

    shipping_differs = _differs(shipping, billing)
    postal_differs = _differs(columns["shipping_postal_hash"], columns["billing_postal_hash"])
    # Differs when either part differs; unknown only when neither part is known.
    shipping_mismatch = np.fmax(shipping_differs, postal_differs)

    computed: dict[str, Any] = {
        "amount": amount,
        "amount_base": rates.to_base(amount, columns["currency"]),
        "is_card_check": _flag(columns["kind"] == "card_check"),
        "avs_result": avs,
        "avs_no_match": _flag(avs == "no_match"),
        "avs_partial": _flag(_isin(avs, _PARTIAL)),
        "avs_unavailable": _flag(_isin(avs, _NO_AVS)),
        "cvv_result": cvv,
        "cvv_no_match": _flag(cvv == "N"),
        "cvv_unverified": _flag(_isin(cvv, _CVV_UNVERIFIED)),
        "three_ds": three_ds,
        "three_ds_authenticated": _flag(three_ds == "authenticated"),
        "three_ds_failed": _flag(three_ds == "failed"),
        "liability_shift": _flag(_isin(three_ds, _SHIFT)),
        "card_ip_country_mismatch": _differs(card_country, ip_country),
        "billing_ip_country_mismatch": _differs(billing, ip_country),
        "card_billing_country_mismatch": _differs(card_country, billing),
        "shipping_billing_mismatch": shipping_mismatch,
        "is_prepaid": _flag(columns["card_funding"] == "prepaid"),
        "is_card_not_present": _flag(_isin(columns["channel"], _CNP)),
        "local_hour": hours,
        "is_weekend_local": _flag(weekdays >= 6, hour_known),
        "is_night_local": _flag(hours < 6, hour_known),
        "card_country": card_country,
        "card_brand": columns["card_brand"],
        "card_funding": columns["card_funding"],
        "card_bin": columns["card_bin"],
        "ip_country": ip_country,
        "merchant_id": columns["merchant_id"],
        "currency": columns["currency"],
        "channel": columns["channel"],
    }
    return {signal.name: computed[signal.name] for signal in SIGNALS}
