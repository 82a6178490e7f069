"""The boundary policy a deployment configures: id patterns, currencies, merchant limits.

Structural rules (types, ISO codes, minor units) are in :mod:`contracts.events`; this
module adds what differs between deployments. It is built once from the settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contracts.currency import minor_unit_exponent
from contracts.errors import FieldError, SettingsError
from contracts.events import TransactionEvent
from contracts.settings import Settings

__all__ = ["DEFAULT_ID_PATTERNS", "BoundaryPolicy", "MerchantLimits"]

# Defaults in the style of the large card processors. Every pattern is anchored and
# bounded, and none admits a quote, space or semicolon.
DEFAULT_ID_PATTERNS: dict[str, str] = {
    "transaction_id": r"^(pi|ch|py)_[A-Za-z0-9]{8,64}$",
    "merchant_id": r"^acct_[A-Za-z0-9]{6,64}$",
    "customer_id": r"^cus_[A-Za-z0-9]{6,64}$",
    "payment_method": r"^(pm|tok|card|src)_[A-Za-z0-9]{6,64}$",
}


@dataclass(frozen=True, slots=True)
class MerchantLimits:
    """What one merchant may charge: enabled currencies and per-currency maximums."""

    currencies: frozenset[str] | None = None  # None: every allow-listed currency
    max_amounts: Mapping[str, int] = field(default_factory=dict)  # minor units per currency


@dataclass(frozen=True, slots=True)
class BoundaryPolicy:
    """Deployment rules checked after the schema, each failure a :class:`FieldError`."""

    id_patterns: Mapping[str, re.Pattern[str]]
    allowed_currencies: frozenset[str]
    # Default maximum in *major* units, scaled by each currency's exponent.
    default_max_major: int = 100_000
    merchants: Mapping[str, MerchantLimits] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        id_patterns: Mapping[str, str] | None = None,
        allowed_currencies: frozenset[str],
        default_max_major: int = 100_000,
        merchants: Mapping[str, MerchantLimits] | None = None,
    ) -> BoundaryPolicy:
        patterns = dict(DEFAULT_ID_PATTERNS)
        patterns.update(id_patterns or {})
        return cls(
            id_patterns={name: re.compile(p) for name, p in patterns.items()},
            allowed_currencies=allowed_currencies,
            default_max_major=default_max_major,
            merchants=dict(merchants or {}),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BoundaryPolicy:
        """The policy a deployment configured: patterns, currencies, merchant limits."""
        patterns = {
            name: value
            for name, value in (
                ("transaction_id", settings.transaction_id_pattern),
                ("merchant_id", settings.merchant_id_pattern),
                ("customer_id", settings.customer_id_pattern),
                ("payment_method", settings.payment_method_pattern),
            )
            if value
        }
        merchants = load_merchant_limits(settings.merchants_file) if settings.merchants_file else {}
        return cls.build(
            id_patterns=patterns,
            allowed_currencies=settings.allowed_currencies,
            default_max_major=settings.default_max_amount_major,
            merchants=merchants,
        )

    def max_amount(self, merchant_id: str, currency: str) -> int:
        """Largest amount (minor units) ``merchant_id`` may charge in ``currency``."""
        limits = self.merchants.get(merchant_id)
        if limits is not None and currency in limits.max_amounts:
            return limits.max_amounts[currency]
        return int(self.default_max_major * 10 ** minor_unit_exponent(currency))

    def check(self, event: TransactionEvent) -> tuple[FieldError, ...]:
        """Return every policy violation of ``event`` (empty when it passes)."""
        errors: list[FieldError] = []
        for name, pattern in self.id_patterns.items():
            value = getattr(event, name)
            if value is not None and not pattern.fullmatch(value):
                errors.append(
                    FieldError(
                        name,
                        "id_pattern_mismatch",
                        f"{name} must match {pattern.pattern}",
                    )
                )
        currency = event.currency
        limits = self.merchants.get(event.merchant_id)
        if currency not in self.allowed_currencies:
            errors.append(
                FieldError(
                    "currency",
                    "currency_not_allowed",
                    f"currency {currency} is not in this deployment's allow-list; "
                    "add it to RISKSTREAM_ALLOWED_CURRENCIES",
                )
            )
            return tuple(errors)
        enabled = limits.currencies if limits is not None else None
        if enabled is not None and currency not in enabled:
            errors.append(
                FieldError(
                    "currency",
                    "currency_not_enabled_for_merchant",
                    f"currency {currency} is not enabled for this merchant",
                )
            )
            return tuple(errors)
        maximum = self.max_amount(event.merchant_id, currency)
        if event.amount > maximum:
            errors.append(
                FieldError(
                    "amount",
                    "amount_above_merchant_maximum",
                    f"amount exceeds this merchant's maximum of {maximum} minor units "
                    f"of {currency}",
                )
            )
        return tuple(errors)


def load_merchant_limits(path: Path) -> dict[str, MerchantLimits]:
    """Read ``{"acct_x": {"currencies": ["EUR"], "max_amounts": {"EUR": 500000}}}``."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"RISKSTREAM_MERCHANTS_FILE {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"RISKSTREAM_MERCHANTS_FILE {path}: expected a JSON object")
    limits: dict[str, MerchantLimits] = {}
    for merchant, entry in raw.items():
        if not isinstance(entry, dict):
            raise SettingsError(f"{path}: {merchant}: expected an object")
        currencies = entry.get("currencies")
        amounts = entry.get("max_amounts", {})
        if not isinstance(amounts, dict) or not all(
            isinstance(v, int) and v >= 0 for v in amounts.values()
        ):
            raise SettingsError(
                f"{path}: {merchant}: max_amounts must map currencies to integer minor units"
            )
        limits[merchant] = MerchantLimits(
            currencies=frozenset(currencies) if currencies is not None else None,
            max_amounts=dict(amounts),
        )
    return limits
