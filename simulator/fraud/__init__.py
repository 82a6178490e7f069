"""Fraud patterns. Each one is a class with ``materialize(episode, rng)``; see
:class:`~simulator.fraud.base.FraudPattern`. Pattern objects belong to one run (some
keep state, such as the cards a point of compromise has harvested)."""

from __future__ import annotations

from simulator.config import PatternName
from simulator.fraud.base import Episode, FraudContext, FraudPattern, Outcome
from simulator.fraud.cashout import AccountTakeover, AvsCvvMismatch, StolenCard
from simulator.fraud.merchants import MerchantFraud, PointOfCompromise
from simulator.fraud.schedule import ArrivalSchedule
from simulator.fraud.testing import BinAttack, CardTesting

__all__ = [
    "AccountTakeover",
    "ArrivalSchedule",
    "AvsCvvMismatch",
    "BinAttack",
    "CardTesting",
    "Episode",
    "FraudContext",
    "FraudPattern",
    "MerchantFraud",
    "Outcome",
    "PointOfCompromise",
    "StolenCard",
    "build_patterns",
]


def build_patterns(ctx: FraudContext) -> dict[PatternName, FraudPattern]:
    """Fresh pattern objects for one run, keyed by pattern name."""
    patterns: tuple[FraudPattern, ...] = (
        CardTesting(ctx),
        BinAttack(ctx),
        StolenCard(ctx),
        AccountTakeover(ctx),
        AvsCvvMismatch(ctx),
        PointOfCompromise(ctx),
        MerchantFraud(ctx),
    )
    return {pattern.name: pattern for pattern in patterns}
