"""When a held authorisation expires, when the review is due, and in which order to work.

Timing. An authorisation held for review expires ``auth_window_days`` after the
transaction's event time (per card brand, 7 days by default). The case is *due*
``sla_margin`` before that: at that moment the SLA sweeper applies the default action.

Priority. The queue is ordered by an *effective deadline*, earliest first::

    priority_at = sla_due_at − boost × s × log10(1 + A)

where ``s`` is the risk score (0..1; ``default_score`` when a decision has no model
score) and ``A`` the amount in major units of its currency. Ordering by
``priority_at`` ascending is the same as ordering by the priority
``boost·s·log10(1 + A) − time_left`` descending: a case moves up as its time runs out,
and a riskier or larger case is treated as if its deadline were earlier (with the
default 24 h boost, a 0.9-score 500.00 payment counts as due 2.4 days earlier than
its real due time; a 0.9-score 10.00 payment 0.9 days earlier). The formula depends
on ``now`` only through the shared ``time_left``, so it is stored per case and
indexed, and the queue needs no re-scoring as time passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts import Settings
from contracts.currency import ISO_4217_EXPONENTS

__all__ = ["DEFAULT_BOOST", "PriorityPolicy"]

DEFAULT_BOOST = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PriorityPolicy:
    """The review timing and the priority formula's parameters."""

    auth_window_days: int = 7
    auth_window_days_by_brand: Mapping[str, int] = field(default_factory=dict)
    sla_margin: timedelta = timedelta(hours=1)
    boost: timedelta = DEFAULT_BOOST
    default_score: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings, *, boost: timedelta | None = None) -> PriorityPolicy:
        return cls(
            auth_window_days=settings.review_auth_window_days,
            auth_window_days_by_brand={
                brand.lower(): days
                for brand, days in settings.review_auth_window_days_by_brand.items()
            },
            sla_margin=timedelta(seconds=settings.review_sla_margin_s),
            boost=DEFAULT_BOOST if boost is None else boost,
        )

    def auth_window(self, card_brand: str) -> timedelta:
        days = self.auth_window_days_by_brand.get(card_brand.lower(), self.auth_window_days)
        return timedelta(days=days)

    def auth_expires_at(self, card_brand: str, authorised_at: datetime) -> datetime:
        return authorised_at + self.auth_window(card_brand)

    def sla_due_at(self, card_brand: str, authorised_at: datetime) -> datetime:
        return self.auth_expires_at(card_brand, authorised_at) - self.sla_margin

    def risk_value(self, score: float | None, amount: int, currency: str) -> float:
        """``s × log10(1 + A)``: the part of the priority that does not depend on time.

        >>> round(PriorityPolicy().risk_value(0.9, 50_000, "USD"), 3)
        2.431
        """
        s = self.default_score if score is None else min(max(score, 0.0), 1.0)
        exponent = ISO_4217_EXPONENTS.get(currency, 2)
        major = max(amount, 0) / (10**exponent)
        return s * math.log10(1.0 + major)

    def priority_at(
        self, sla_due_at: datetime, score: float | None, amount: int, currency: str
    ) -> datetime:
        return sla_due_at - self.boost * self.risk_value(score, amount, currency)
