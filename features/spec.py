"""Declarative feature specs: frozen, self-validating, and the only source of feature names.

A spec says *what* a feature is (``Velocity("card", "amount_sum", "1h")``); the
online store (:mod:`features.online`) and the offline twin (:mod:`features.offline`)
say *how* to compute it. Names are generated from the spec, never typed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from features.errors import FeatureSpecError

__all__ = [
    "BUCKETED_ENTITIES",
    "EXACT_ENTITIES",
    "Entity",
    "FeatureType",
    "FirstSeen",
    "FraudShare",
    "Measure",
    "Recency",
    "Velocity",
    "Window",
    "parse_window",
]

# card: fingerprint; customer: customer id; device: device id; ip: address;
# email: email hash; merchant: merchant id; bin: card BIN.
Entity = Literal["card", "customer", "device", "ip", "email", "merchant", "bin"]
ENTITIES: tuple[Entity, ...] = get_args(Entity)

# Exact sliding windows: every event kept (per entity, pruned past the longest window).
EXACT_ENTITIES: frozenset[Entity] = frozenset({"card", "customer", "device", "email"})
# Bounded memory: time-bucketed counters; one IP or merchant can have millions of events.
BUCKETED_ENTITIES: frozenset[Entity] = frozenset({"ip", "merchant", "bin"})

Measure = Literal[
    "count",
    "amount_sum",
    "amount_mean",
    "amount_max",
    "amount_ratio_to_mean",  # this amount / the entity's mean amount in the window
    "amount_zscore",  # (this amount - mean) / std, in base-currency major units
    "distinct_cards",
    "distinct_countries",  # IP countries seen for the entity
    "distinct_emails",
    "distinct_devices",
]
MEASURES: tuple[Measure, ...] = get_args(Measure)

# Which event attribute each distinct measure counts.
DISTINCT_ATTRIBUTE: dict[str, str] = {
    "distinct_cards": "card",
    "distinct_countries": "ip_country",
    "distinct_emails": "email",
    "distinct_devices": "device",
}
# What a bucketed entity can answer: sums of per-bucket counters, and distinct cards.
BUCKETED_MEASURES: frozenset[str] = frozenset(
    {"count", "amount_sum", "amount_mean", "distinct_cards"}
)

FeatureType = Literal["number", "string", "bool"]

_WINDOW = re.compile(r"^([1-9][0-9]{0,3})(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> int:
    """Window length in seconds.

    >>> parse_window("10m"), parse_window("24h"), parse_window("30d")
    (600, 86400, 2592000)
    """
    match = _WINDOW.match(text)
    if not match:
        raise FeatureSpecError(
            f"window {text!r} is not a duration such as '10m', '1h', '24h', '7d' "
            "(a number 1-9999 followed by s, m, h or d)"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


Window = str  # a duration string such as "1h"; see parse_window
# FraudShare's default delay (how late a fraud label arrives); other delays are named.
DEFAULT_LABEL_DELAY: Window = "7d"


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise FeatureSpecError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")


@dataclass(frozen=True, slots=True)
class Velocity:
    """An aggregate over the entity's transactions in a sliding event-time window.

    The window is ``(t - window, t]`` over the events processed before this one; the
    current event itself is never included.
    """

    entity: Entity
    measure: Measure
    window: Window
    seconds: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_entity(self.entity)
        if self.measure not in MEASURES:
            raise FeatureSpecError(
                f"unknown measure {self.measure!r}; expected one of {', '.join(MEASURES)}"
            )
        if self.entity in BUCKETED_ENTITIES and self.measure not in BUCKETED_MEASURES:
            raise FeatureSpecError(
                f"{self.entity} keeps bounded, bucketed state and cannot answer "
                f"{self.measure!r}; use one of {', '.join(sorted(BUCKETED_MEASURES))}"
            )
        attribute = DISTINCT_ATTRIBUTE.get(self.measure)
        if attribute is not None and attribute == self.entity:
            raise FeatureSpecError(f"{self.measure} of a {self.entity} is always 1")
        object.__setattr__(self, "seconds", parse_window(self.window))

    @property
    def name(self) -> str:
        return f"{self.entity}_{self.measure}_{self.window}"

    @property
    def type(self) -> FeatureType:
        return "number"


@dataclass(frozen=True, slots=True)
class Recency:
    """Seconds since the entity's previous transaction (null for its first one)."""

    entity: Entity

    def __post_init__(self) -> None:
        _check_entity(self.entity)
        if self.entity not in EXACT_ENTITIES:
            raise FeatureSpecError(
                f"recency needs exact per-event state; {self.entity} is bucketed"
            )

    @property
    def name(self) -> str:
        return f"{self.entity}_seconds_since_last"

    @property
    def type(self) -> FeatureType:
        return "number"


@dataclass(frozen=True, slots=True)
class FirstSeen:
    """True when ``entity`` meets ``of`` for the first time in its longest window.

    "New merchant for this card" means: none of the card's transactions kept in its
    longest window (30 days by default) was at this merchant. Computed from the exact
    window the entity keeps anyway, so it costs no extra state.
    """

    entity: Literal["card", "customer"]
    of: Literal["merchant", "device", "email", "ip_country"]

    def __post_init__(self) -> None:
        if self.entity not in ("card", "customer"):
            raise FeatureSpecError("first-seen features key on card or customer")
        if self.of not in ("merchant", "device", "email", "ip_country"):
            raise FeatureSpecError(f"cannot track first sight of {self.of!r}")

    @property
    def name(self) -> str:
        return f"{self.entity}_new_{self.of}"

    @property
    def type(self) -> FeatureType:
        return "bool"


@dataclass(frozen=True, slots=True)
class FraudShare:
    """Share of the entity's transactions later labelled fraud, from delayed labels.

    Counts transactions with event time in ``(t - delay - window, t - delay]`` and,
    among them, those whose fraud label was known (processed) before this event.
    Never uses a label from the future.

    ``measure="share"`` (the default) is the fraud count over the transaction count;
    ``measure="lagged_count"`` is the transaction count alone — how much history the
    share stands on (one fraud in one payment or in fifty). Both read the same state.
    """

    entity: Literal["merchant", "bin"]
    window: Window
    delay: Window = DEFAULT_LABEL_DELAY
    measure: Literal["share", "lagged_count"] = "share"
    seconds: int = field(init=False, compare=False, repr=False)
    delay_seconds: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.entity not in ("merchant", "bin"):
            raise FeatureSpecError("fraud share is kept per merchant or per BIN")
        if self.measure not in ("share", "lagged_count"):
            raise FeatureSpecError(
                f"fraud share measure {self.measure!r} is not one of share, lagged_count"
            )
        object.__setattr__(self, "seconds", parse_window(self.window))
        object.__setattr__(self, "delay_seconds", parse_window(self.delay))

    @property
    def name(self) -> str:
        """``merchant_fraud_share_7d``; a delay other than 7 days is in the name too
        (``merchant_fraud_share_7d_delay14d``), so shares of the same window and
        different delays can sit side by side and no name hides its delay."""
        measure = "lagged_count" if self.measure == "lagged_count" else "fraud_share"
        base = f"{self.entity}_{measure}_{self.window}"
        if self.delay_seconds == parse_window(DEFAULT_LABEL_DELAY):
            return base
        return f"{base}_delay{self.delay}"

    @property
    def type(self) -> FeatureType:
        return "number"
