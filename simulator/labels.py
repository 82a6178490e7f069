"""Late labels: chargebacks and fraud reports, and the label stream in reported order.

Fraud is labelled after a realistic delay: fraud reports (issuer alerts) after about
1-30 days, chargebacks after about 2-60 days (skewed: most within three weeks). Some
fraud is never reported, card-testing attempts most of all (nobody disputes a
zero-amount check). A small share of legitimate purchases is disputed for a service
reason and labelled ``legit_dispute``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Final, Generic, Protocol, TypeVar

from contracts.events import Channel
from simulator.config import SimulationConfig
from simulator.draft import Draft, from_ms
from simulator.records import Label, LabelReason, LabelSource, SimulatedTransaction
from simulator.sampling import clipped_lognormal

__all__ = ["LabelMaker", "LabelQueue", "labels_in_order", "with_labels"]

_DAY_MS: Final = 86_400_000
_TESTING_REPORT_FACTOR: Final = 0.35  # card tests are rarely reported, and only as alerts
_SERVICE_REASONS: Final[tuple[tuple[LabelReason, float], ...]] = (
    ("product_not_received", 0.35),
    ("not_as_described", 0.25),
    ("duplicate_processing", 0.1),
    ("subscription_canceled", 0.15),
    ("credit_not_processed", 0.15),
)


def _days_ms(days: float) -> int:
    return round(days * _DAY_MS)


@dataclass(frozen=True, slots=True)
class LabelMaker:
    """Decides whether and when a transaction gets labelled."""

    report_rate: float
    legit_dispute_rate: float

    @classmethod
    def of(cls, config: SimulationConfig) -> LabelMaker:
        return cls(config.report_rate, config.legit_dispute_rate)

    @staticmethod
    def chargeback_delay_ms(rng: Random) -> int:
        """Statement cycle plus dispute handling: 2-60 days, median about two weeks."""
        return _days_ms(clipped_lognormal(rng, 13.0, 0.65, 2.0, 60.0))

    @staticmethod
    def fraud_report_delay_ms(rng: Random) -> int:
        """Issuer fraud alerts arrive sooner: 1-30 days, median about four days."""
        return _days_ms(clipped_lognormal(rng, 4.0, 0.8, 1.0, 30.0))

    def episode_reported(self, rng: Random) -> bool:
        """Whether a cardholder ever notices and reports an episode on their card."""
        return rng.random() < self.report_rate

    def fraud(
        self,
        rng: Random,
        draft: Draft,
        *,
        testing: bool = False,
        reason: LabelReason | None = None,
        reported: bool | None = None,
        not_before_ms: int | None = None,
    ) -> Label | None:
        """The fraud label of ``draft`` or ``None`` when it is never reported.

        ``reported`` forces the decision (episodes decide once for all their
        transactions); ``not_before_ms`` holds a label back until the episode's notice
        time so a card's chargebacks arrive together.
        """
        if testing:
            if rng.random() >= self.report_rate * _TESTING_REPORT_FACTOR:
                return None
            source: LabelSource = "fraud_report"
            reason = reason or "card_testing"
        else:
            if reported is None:
                reported = rng.random() < self.report_rate
            if not reported:
                return None
            chargeback = draft.kind == "purchase" and rng.random() < 0.7
            source = "chargeback" if chargeback else "fraud_report"
            if reason is None:
                present = draft.channel is Channel.IN_STORE
                reason = "card_present_fraud" if present else "card_not_present_fraud"
        delay = (
            self.chargeback_delay_ms(rng)
            if source == "chargeback"
            else self.fraud_report_delay_ms(rng)
        )
        at = draft.ts_ms + delay
        if not_before_ms is not None:
            at = max(at, not_before_ms + rng.randrange(0, _DAY_MS))
        return Label(draft.transaction_id, "fraud", reason, from_ms(at), source)

    def legit(self, rng: Random, draft: Draft) -> Label | None:
        """A service dispute on a legitimate purchase, rarely."""
        if draft.kind != "purchase" or rng.random() >= self.legit_dispute_rate:
            return None
        reason = rng.choices(
            [r for r, _ in _SERVICE_REASONS], weights=[w for _, w in _SERVICE_REASONS]
        )[0]
        delay = _days_ms(clipped_lognormal(rng, 20.0, 0.6, 3.0, 90.0))
        at = from_ms(draft.ts_ms + delay)
        return Label(draft.transaction_id, "legit_dispute", reason, at, "chargeback")


def labels_in_order(transactions: Iterable[SimulatedTransaction]) -> list[Label]:
    """Every label of ``transactions``, ordered by ``reported_at`` (then transaction id)."""
    labels = [t.label for t in transactions if t.label is not None]
    labels.sort(key=lambda label: (label.reported_at, label.transaction_id))
    return labels


class _Timed(Protocol):
    @property
    def reported_at(self) -> datetime: ...

    @property
    def transaction_id(self) -> str: ...


L = TypeVar("L", bound=_Timed)


class LabelQueue(Generic[L]):
    """Holds labels back until event time reaches their ``reported_at``."""

    def __init__(self) -> None:
        self._pending: list[tuple[datetime, str, int, L]] = []
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, label: L) -> None:
        entry = (label.reported_at, label.transaction_id, next(self._counter), label)
        heapq.heappush(self._pending, entry)

    def due(self, now: datetime) -> list[L]:
        """Pop every label reported at or before ``now``, in order."""
        released: list[L] = []
        while self._pending and self._pending[0][0] <= now:
            released.append(heapq.heappop(self._pending)[-1])
        return released

    def drain(self) -> list[L]:
        """Pop every label still held, in order."""
        released = [entry[-1] for entry in sorted(self._pending, key=lambda e: e[:3])]
        self._pending.clear()
        return released


def with_labels(
    transactions: Iterable[SimulatedTransaction], *, flush: bool = True
) -> Iterator[SimulatedTransaction | Label]:
    """Interleave labels into the transaction stream as event time passes them.

    A label is yielded just before the first transaction whose event time is at or
    after its ``reported_at``, so a consumer sees the world as it unfolds. With
    ``flush`` the labels still pending when the transactions end are yielded last, in
    order; an unbounded stream never gets there.
    """
    queue: LabelQueue[Label] = LabelQueue()
    for transaction in transactions:
        yield from queue.due(transaction.event.event_time)
        yield transaction
        if transaction.label is not None:
            queue.push(transaction.label)
    if flush:
        yield from queue.drain()
