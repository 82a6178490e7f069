"""Payment signals: features that need only the transaction itself.

AVS, CVV and 3-D Secure results, country mismatches, funding type, local time. They
are computed on columns (:mod:`features.columns`), so the stream and the offline
twin run this very code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


class _Batch:
    """One batch's columns, with the shared intermediates computed at most once."""

    def __init__(self, columns: Mapping[str, Any], rates: RatesTable) -> None:
        self.c = columns
        self.rates = rates
        self._local: tuple[FloatArray, FloatArray] | None = None

    @property
    def local(self) -> tuple[FloatArray, FloatArray]:
        if self._local is None:
            self._local = local_hour_and_weekday(self.c["event_time"], self.c["card_country"])
        return self._local

    def shipping_mismatch(self) -> FloatArray:
        c = self.c
        country = _differs(c["shipping_country"], c["billing_country"])
        postal = _differs(c["shipping_postal_hash"], c["billing_postal_hash"])
        # Differs when either part differs; unknown only when neither part is known.
        return np.fmax(country, postal)

    def local_flag(self, weekend: bool) -> FloatArray:
        hours, weekdays = self.local
        return _flag(weekdays >= 6 if weekend else hours < 6, ~np.isnan(hours))


def _column(name: str) -> Callable[[_Batch], Any]:
    return lambda b: b.c[name]


_COMPUTE: dict[str, Callable[[_Batch], Any]] = {
    "amount": _column("amount"),
    "amount_base": lambda b: b.rates.to_base(b.c["amount"], b.c["currency"]),
    "is_card_check": lambda b: _flag(b.c["kind"] == "card_check"),
    "avs_result": _column("avs_result"),
    "avs_no_match": lambda b: _flag(b.c["avs_result"] == "no_match"),
    "avs_partial": lambda b: _flag(_isin(b.c["avs_result"], _PARTIAL)),
    "avs_unavailable": lambda b: _flag(_isin(b.c["avs_result"], _NO_AVS)),
    "cvv_result": _column("cvv_result"),
    "cvv_no_match": lambda b: _flag(b.c["cvv_result"] == "N"),
    "cvv_unverified": lambda b: _flag(_isin(b.c["cvv_result"], _CVV_UNVERIFIED)),
    "three_ds": _column("three_ds"),
    "three_ds_authenticated": lambda b: _flag(b.c["three_ds"] == "authenticated"),
    "three_ds_failed": lambda b: _flag(b.c["three_ds"] == "failed"),
    "liability_shift": lambda b: _flag(_isin(b.c["three_ds"], _SHIFT)),
    "card_ip_country_mismatch": lambda b: _differs(b.c["card_country"], b.c["ip_country"]),
    "billing_ip_country_mismatch": lambda b: _differs(b.c["billing_country"], b.c["ip_country"]),
    "card_billing_country_mismatch": lambda b: _differs(
        b.c["card_country"], b.c["billing_country"]
    ),
    "shipping_billing_mismatch": lambda b: b.shipping_mismatch(),
    "is_prepaid": lambda b: _flag(b.c["card_funding"] == "prepaid"),
    "is_card_not_present": lambda b: _flag(_isin(b.c["channel"], _CNP)),
    "local_hour": lambda b: b.local[0],
    "is_weekend_local": lambda b: b.local_flag(weekend=True),
    "is_night_local": lambda b: b.local_flag(weekend=False),
    "card_country": _column("card_country"),
    "card_brand": _column("card_brand"),
    "card_funding": _column("card_funding"),
    "card_bin": _column("card_bin"),
    "ip_country": _column("ip_country"),
    "merchant_id": _column("merchant_id"),
    "currency": _column("currency"),
    "channel": _column("channel"),
}


def compute_signals(
    columns: Mapping[str, Any], rates: RatesTable, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The signals ``names`` (default: all of :data:`SIGNALS`) for a batch, as columns.

    ``amount_base`` is always included: velocity sums run on it.
    """
    wanted = {s.name for s in SIGNALS} if names is None else set(names)
    wanted.add("amount_base")
    batch = _Batch(columns, rates)
    return {s.name: _COMPUTE[s.name](batch) for s in SIGNALS if s.name in wanted}
