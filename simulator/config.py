"""The simulation spec: a frozen, self-validating description of the world to generate.

``SimulationConfig(seed=7, days=30)`` describes a realistic month (about 47,000
transactions, about 1 % fraud). The same config always produces the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, get_args

from contracts.settings import DEFAULT_CURRENCIES
from simulator.catalog import COUNTRIES, DEFAULT_COUNTRY_MIX, DEFAULT_CURRENCY_MIX, USD_RATES
from simulator.errors import ConfigError

__all__ = ["PATTERN_NAMES", "DEFAULT_START", "PatternMix", "PatternName", "SimulationConfig"]

PatternName = Literal[
    "card_testing",
    "bin_attack",
    "stolen_card",
    "account_takeover",
    "avs_cvv_mismatch",
    "point_of_compromise",
    "merchant_fraud",
]
PATTERN_NAMES: Final[tuple[PatternName, ...]] = get_args(PatternName)

DEFAULT_START: Final = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True, slots=True)
class PatternMix:
    """Relative weight of each fraud pattern in the *fraudulent transactions* (not episodes).

    Weights are normalised; 0 switches a pattern off. See :mod:`simulator.fraud` for what
    each pattern looks like.
    """

    card_testing: float = 0.18
    bin_attack: float = 0.14
    stolen_card: float = 0.26
    account_takeover: float = 0.10
    avs_cvv_mismatch: float = 0.08
    point_of_compromise: float = 0.14
    merchant_fraud: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"patterns.{f.name}", "must be a finite number >= 0")

    @property
    def total(self) -> float:
        return float(sum(getattr(self, name) for name in PATTERN_NAMES))

    def share(self, name: PatternName) -> float:
        """Normalised share of ``name`` (0 when every weight is 0)."""
        total = self.total
        return float(getattr(self, name)) / total if total > 0 else 0.0


def _check_range(name: str, value: object, low: float, high: float, *, integer: bool) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(name, f"expected {'an integer' if integer else 'a number'}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ConfigError(name, f"must be between {low:g} and {high:g}")


def _check_mix(name: str, mix: Sequence[tuple[str, float]], known: Sequence[str]) -> None:
    if not mix:
        raise ConfigError(name, "needs at least one (code, weight) pair")
    seen: set[str] = set()
    for pair in mix:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ConfigError(name, "expected a tuple of (code, weight) pairs")
        code, weight = pair
        if code not in known:
            raise ConfigError(name, f"unknown code {code!r}; supported: {', '.join(sorted(known))}")
        if code in seen:
            raise ConfigError(name, f"{code!r} appears twice")
        seen.add(code)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise ConfigError(name, f"weight of {code!r} must be a number > 0")


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Everything that decides the generated data. Frozen; validated on construction.

    Sizes: ``n_customers`` customers hold about ``cards_per_customer`` cards each, and
    each card makes ``txns_per_card_per_day`` legitimate attempts a day on average.
    Fraud is added on top so that about ``fraud_rate`` of all transactions are
    fraudulent, split between patterns by ``patterns``.
    """

    seed: int = 0
    start: datetime = DEFAULT_START
    days: float = 30.0
    n_customers: int = 2_000
    cards_per_customer: float = 1.3
    n_merchants: int = 300
    txns_per_card_per_day: float = 0.6
    fraud_rate: float = 0.01
    patterns: PatternMix = field(default_factory=PatternMix)
    # Where customers live (and, in the same proportions, where merchants sell from).
    country_mix: tuple[tuple[str, float], ...] = DEFAULT_COUNTRY_MIX
    # What merchants selling across borders price in.
    currency_mix: tuple[tuple[str, float], ...] = DEFAULT_CURRENCY_MIX
    international_merchant_share: float = 0.3
    allowed_currencies: frozenset[str] = DEFAULT_CURRENCIES
    max_amount_major: int = 100_000  # amounts are capped here (the default boundary maximum)
    report_rate: float = 0.85  # share of fraud that is ever reported (card tests: less)
    legit_dispute_rate: float = 0.002  # share of legitimate purchases disputed (service)
    hash_key: bytes = b"riskstream-simulator"  # key for email and postal-code digests

    def __post_init__(self) -> None:
        _check_range("seed", self.seed, 0, 2**63 - 1, integer=True)
        if not isinstance(self.start, datetime) or self.start.tzinfo is None:
            raise ConfigError("start", "must be a timezone-aware datetime (UTC)")
        if self.start.utcoffset() != timedelta(0) or self.start.tzinfo is not UTC:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
        _check_range("days", self.days, 1 / 24, 3650, integer=False)
        _check_range("n_customers", self.n_customers, 1, 5_000_000, integer=True)
        _check_range("cards_per_customer", self.cards_per_customer, 1, 3, integer=False)
        _check_range("n_merchants", self.n_merchants, 20, 1_000_000, integer=True)
        _check_range("txns_per_card_per_day", self.txns_per_card_per_day, 0.01, 50, integer=False)
        _check_range("fraud_rate", self.fraud_rate, 0, 0.5, integer=False)
        if not isinstance(self.patterns, PatternMix):
            raise ConfigError("patterns", "expected a PatternMix")
        if self.fraud_rate > 0 and self.patterns.total <= 0:
            raise ConfigError("patterns", "every weight is 0 but fraud_rate > 0; enable one")
        _check_mix("country_mix", self.country_mix, tuple(COUNTRIES))
        if not isinstance(self.allowed_currencies, frozenset) or not self.allowed_currencies:
            raise ConfigError("allowed_currencies", "expected a non-empty frozenset of codes")
        usable = tuple(c for c in USD_RATES if c in self.allowed_currencies)
        if not usable:
            raise ConfigError(
                "allowed_currencies", f"none is simulated; use some of {', '.join(USD_RATES)}"
            )
        _check_mix("currency_mix", self.currency_mix, usable)
        _check_range(
            "international_merchant_share", self.international_merchant_share, 0, 1, integer=False
        )
        _check_range("max_amount_major", self.max_amount_major, 100, 10**9, integer=True)
        _check_range("report_rate", self.report_rate, 0, 1, integer=False)
        _check_range("legit_dispute_rate", self.legit_dispute_rate, 0, 0.1, integer=False)
        if not isinstance(self.hash_key, bytes) or not self.hash_key:
            raise ConfigError("hash_key", "expected non-empty bytes")

    @property
    def end(self) -> datetime:
        """The first instant after the simulated period."""
        return self.start + timedelta(days=self.days)

    @property
    def expected_legit_per_day(self) -> float:
        """Expected legitimate transactions per day for the configured population."""
        return self.n_customers * self.cards_per_customer * self.txns_per_card_per_day

    def local_currency(self, country: str) -> str:
        """The currency merchants in ``country`` price in (first allowed fallback)."""
        local = COUNTRIES[country].currency
        if local in self.allowed_currencies and local in USD_RATES:
            return local
        return self.currency_mix[0][0]
