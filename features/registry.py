"""The feature registry: the one list of features the model, the rules and the UI read.

The model's input columns, the rules' symbol table and the review UI's feature
labels all come from a :class:`FeatureRegistry`; nothing else lists feature names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from features.errors import FeatureSpecError
from features.signals import SIGNALS, Signal
from features.spec import (
    BUCKETED_ENTITIES,
    EXACT_ENTITIES,
    Entity,
    FeatureType,
    FirstSeen,
    FraudShare,
    Recency,
    Velocity,
    parse_window,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "FeatureDef",
    "FeatureRegistry",
    "Spec",
    "default_registry",
    "first_path_registry",
]

Spec = Velocity | Recency | FirstSeen | FraudShare
Kind = Literal["signal", "velocity", "recency", "first_seen", "fraud_share"]

DEFAULT_WINDOWS: tuple[str, ...] = ("10m", "1h", "24h", "7d", "30d")

# Raw amount in the transaction currency is for rules only: the model gets amount_base.
_NOT_MODEL_INPUTS = frozenset({"amount"})


@dataclass(frozen=True, slots=True)
class FeatureDef:
    name: str
    type: FeatureType
    kind: Kind
    description: str
    model_input: bool


def _describe(spec: Spec) -> str:
    if isinstance(spec, Velocity):
        what = spec.measure.replace("_", " ")
        return f"{what} of this {spec.entity}'s transactions in the last {spec.window}"
    if isinstance(spec, Recency):
        return f"seconds since this {spec.entity}'s previous transaction"
    if isinstance(spec, FirstSeen):
        what = spec.of.replace("_", " ")
        return f"first time in its longest window this {spec.entity} is seen with this {what}"
    if spec.measure == "lagged_count":
        return (
            f"number of this {spec.entity}'s transactions over {spec.window} ending "
            f"{spec.delay} ago (what its fraud share over that window counts from)"
        )
    return (
        f"share of this {spec.entity}'s transactions labelled fraud, over {spec.window} "
        f"ending {spec.delay} ago, from labels known at the time"
    )


def _kind(spec: Spec) -> Kind:
    if isinstance(spec, Velocity):
        return "velocity"
    if isinstance(spec, Recency):
        return "recency"
    if isinstance(spec, FirstSeen):
        return "first_seen"
    return "fraud_share"


class FeatureRegistry:
    """An ordered, validated set of feature specs plus the payment signals."""

    def __init__(
        self,
        specs: Iterable[Spec],
        *,
        signals: Sequence[Signal] = SIGNALS,
        lateness: str = "10m",
        dedupe_horizon: str = "15m",
        distinct_cap: int = 1000,
    ) -> None:
        self.specs: tuple[Spec, ...] = tuple(specs)
        self.signals: tuple[Signal, ...] = tuple(signals)
        self.lateness_s = parse_window(lateness)
        self.dedupe_horizon_s = parse_window(dedupe_horizon)
        if distinct_cap < 10:
            raise FeatureSpecError("distinct_cap must be at least 10")
        self.distinct_cap = distinct_cap
        definitions: list[FeatureDef] = [
            FeatureDef(
                s.name,
                s.type,
                "signal",
                s.description,
                s.type != "string" and s.name not in _NOT_MODEL_INPUTS,
            )
            for s in self.signals
        ]
        definitions += [
            FeatureDef(spec.name, spec.type, _kind(spec), _describe(spec), True)
            for spec in self.specs
        ]
        seen: set[str] = set()
        for definition in definitions:
            if definition.name in seen:
                raise FeatureSpecError(f"feature {definition.name!r} is defined twice")
            seen.add(definition.name)
        self.definitions: tuple[FeatureDef, ...] = tuple(definitions)
        self._by_name = {d.name: d for d in definitions}
        for spec in self.specs:
            if isinstance(spec, FraudShare) and spec.entity not in BUCKETED_ENTITIES:
                raise FeatureSpecError(f"{spec.name}: fraud share needs a bucketed entity")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.definitions)

    @property
    def model_features(self) -> tuple[str, ...]:
        """The model's input columns, in order."""
        return tuple(d.name for d in self.definitions if d.model_input)

    @property
    def version(self) -> str:
        """A short hash of the names and types: changes whenever the feature set does."""
        text = ";".join(f"{d.name}:{d.type}" for d in self.definitions)
        text += f";lateness={self.lateness_s};cap={self.distinct_cap}"
        return "fs-" + hashlib.sha256(text.encode()).hexdigest()[:10]

    def symbols(self) -> dict[str, FeatureType]:
        """The rules' symbol table: every feature name with its type."""
        return {d.name: d.type for d in self.definitions}

    def describe(self, name: str) -> FeatureDef:
        try:
            return self._by_name[name]
        except KeyError:
            raise FeatureSpecError(f"no feature named {name!r}") from None

    def velocities(self, entity: Entity) -> tuple[Velocity, ...]:
        return tuple(s for s in self.specs if isinstance(s, Velocity) and s.entity == entity)

    def fraud_shares(self, entity: Entity) -> tuple[FraudShare, ...]:
        return tuple(s for s in self.specs if isinstance(s, FraudShare) and s.entity == entity)

    def recencies(self) -> tuple[Recency, ...]:
        return tuple(s for s in self.specs if isinstance(s, Recency))

    def first_seen(self) -> tuple[FirstSeen, ...]:
        return tuple(s for s in self.specs if isinstance(s, FirstSeen))

    def entities(self) -> tuple[Entity, ...]:
        """Entities with stateful features, exact ones first (a stable order)."""
        used: set[Entity] = {spec.entity for spec in self.specs}
        order: tuple[Entity, ...] = ("card", "customer", "device", "email", "ip", "merchant", "bin")
        return tuple(e for e in order if e in used)

    @staticmethod
    def is_exact(entity: Entity) -> bool:
        return entity in EXACT_ENTITIES


def first_path_registry() -> FeatureRegistry:
    """The first scoring path's features: per-card and per-customer count and sum, 1 h / 24 h."""
    specs: list[Spec] = [
        Velocity(entity, measure, window)
        for entity in ("card", "customer")
        for measure in ("count", "amount_sum")
        for window in ("1h", "24h")
    ]
    return FeatureRegistry(specs)


def default_registry(windows: Sequence[str] = DEFAULT_WINDOWS) -> FeatureRegistry:
    """The full default feature set over ``windows`` (10 m, 1 h, 24 h, 7 d, 30 d)."""
    seconds = sorted(windows, key=parse_window)
    short = [w for w in seconds if parse_window(w) <= 86400]  # up to a day
    longest = seconds[-1]
    specs: list[Spec] = []
    for entity in ("card", "customer"):
        specs += [Velocity(entity, "count", w) for w in seconds]
        specs += [Velocity(entity, "amount_sum", w) for w in seconds]
        specs += [
            Velocity(entity, "amount_mean", longest),
            Velocity(entity, "amount_max", longest),
            Velocity(entity, "amount_ratio_to_mean", longest),
            Velocity(entity, "amount_zscore", longest),
        ]
    specs += [Velocity("card", "distinct_countries", w) for w in short]
    specs += [Velocity("card", "distinct_emails", w) for w in short]
    specs += [Velocity("card", "distinct_devices", w) for w in short]
    specs += [Velocity("customer", "distinct_cards", w) for w in short]
    specs += [Velocity("customer", "distinct_devices", w) for w in short]
    specs += [Velocity("device", "count", w) for w in short]
    specs += [Velocity("device", "distinct_cards", w) for w in short]
    specs += [Velocity("device", "distinct_emails", w) for w in short]
    specs += [Velocity("email", "count", w) for w in short]
    specs += [Velocity("email", "distinct_cards", w) for w in short]
    specs += [Velocity("ip", "count", w) for w in short]
    specs += [Velocity("ip", "distinct_cards", w) for w in short]
    specs += [Velocity("merchant", "count", w) for w in short]
    specs += [Velocity("merchant", "amount_mean", w) for w in short]
    specs += [Velocity("bin", "count", w) for w in short]
    specs += [Velocity("bin", "distinct_cards", w) for w in short]
    specs += [Recency(entity) for entity in ("card", "customer", "device", "email")]
    specs += [
        FirstSeen("card", "merchant"),
        FirstSeen("card", "ip_country"),
        FirstSeen("customer", "device"),
        FirstSeen("customer", "email"),
    ]
    specs += [FraudShare("merchant", w) for w in ("1d", "7d", "30d")]
    specs += [FraudShare("bin", w) for w in ("7d", "30d")]
    return FeatureRegistry(specs)
