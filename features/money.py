"""Normalise amounts to one base currency so sums across currencies mean something.

Velocity sums and amount profiles run on integer minor units of the base currency
(USD by default). Rates are a table, not a live feed: a deployment refreshes it from
its treasury's daily rates (``RatesTable.from_mapping``); the defaults below are
reference rates good enough for risk features, never for settlement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from contracts.currency import ISO_4217_EXPONENTS
from features.columns import FloatArray, ObjectArray
from features.errors import FeatureSpecError

__all__ = ["DEFAULT_RATES_TO_USD", "RatesTable"]

# Units of USD per one major unit of the currency (reference values, 2026).
DEFAULT_RATES_TO_USD: dict[str, float] = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "NZD": 0.61,
    "JPY": 0.0067, "CHF": 1.12, "SEK": 0.095, "NOK": 0.093, "DKK": 0.145, "PLN": 0.25,
    "CZK": 0.043, "HUF": 0.0027, "RON": 0.217, "BGN": 0.552, "SGD": 0.74, "HKD": 0.128,
    "MXN": 0.058, "BRL": 0.19, "INR": 0.012, "ZAR": 0.054, "AED": 0.272, "CNY": 0.138,
    "KRW": 0.00073, "TRY": 0.03, "ILS": 0.27, "THB": 0.028, "MYR": 0.21, "IDR": 0.000063,
    "PHP": 0.0175, "SAR": 0.267, "QAR": 0.275, "KWD": 3.25, "BHD": 2.65, "OMR": 2.6,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RatesTable:
    """Conversion of minor units of any listed currency to base-currency minor units."""

    base: str
    # factor[c] = base minor units per one minor unit of c
    factors: Mapping[str, float]

    @classmethod
    def from_mapping(
        cls, rates_to_usd: Mapping[str, float] | None = None, base: str = "USD"
    ) -> RatesTable:
        rates = dict(DEFAULT_RATES_TO_USD if rates_to_usd is None else rates_to_usd)
        if base not in rates:
            raise FeatureSpecError(f"base currency {base} has no rate in the table")
        base_exp = ISO_4217_EXPONENTS[base]
        factors = {}
        for code, rate in rates.items():
            if code not in ISO_4217_EXPONENTS:
                raise FeatureSpecError(f"rates table lists {code!r}, not an ISO 4217 code")
            if not rate > 0:
                raise FeatureSpecError(f"rate for {code} must be positive")
            major_in_base = rate / rates[base]
            factors[code] = major_in_base * 10**base_exp / 10 ** ISO_4217_EXPONENTS[code]
        return cls(base=base, factors=factors)

    def to_base(self, amounts: FloatArray, currencies: ObjectArray) -> FloatArray:
        """Base-currency minor units, rounded to whole units; NaN for unknown currencies.

        >>> t = RatesTable.from_mapping({"USD": 1.0, "JPY": 0.01})
        >>> t.to_base(np.array([500.0, 1000.0]), np.array(["USD", "JPY"], dtype=object))
        array([ 500., 1000.])
        """
        factors = np.array([self.factors.get(c, np.nan) for c in currencies], dtype=np.float64)
        return np.round(amounts * factors)
