"""What the simulator hands out: transactions with their ground truth, and late labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, get_args

from contracts.events import TransactionEvent
from contracts.labels import LabelEvent
from simulator.config import PatternName
from simulator.errors import SimulatorError

__all__ = [
    "label_event",
    "LABEL_KINDS",
    "LABEL_REASONS",
    "LABEL_SOURCES",
    "Label",
    "LabelKind",
    "LabelReason",
    "LabelSource",
    "SimulatedTransaction",
]

LabelKind = Literal["fraud", "legit_dispute"]
LabelSource = Literal["chargeback", "fraud_report"]
LabelReason = Literal[
    # fraud
    "card_not_present_fraud",
    "card_present_fraud",
    "account_takeover",
    "card_testing",
    # service disputes on legitimate purchases
    "product_not_received",
    "not_as_described",
    "duplicate_processing",
    "subscription_canceled",
    "credit_not_processed",
]
LABEL_KINDS: Final[tuple[LabelKind, ...]] = get_args(LabelKind)
LABEL_SOURCES: Final[tuple[LabelSource, ...]] = get_args(LabelSource)
LABEL_REASONS: Final[tuple[LabelReason, ...]] = get_args(LabelReason)


@dataclass(frozen=True, slots=True)
class Label:
    """A chargeback or fraud report about one transaction, known from ``reported_at`` on.

    ``label="fraud"`` marks a fraudulent transaction; ``"legit_dispute"`` a legitimate
    purchase the cardholder disputed for a service reason (not fraud).
    """

    transaction_id: str
    label: LabelKind
    reason: LabelReason
    reported_at: datetime  # timezone-aware UTC
    source: LabelSource

    def __post_init__(self) -> None:
        if self.reported_at.tzinfo is None:
            raise SimulatorError("Label.reported_at must be timezone-aware (UTC)")
        if self.label not in LABEL_KINDS:
            raise SimulatorError(f"Label.label must be one of {', '.join(LABEL_KINDS)}")
        if self.source not in LABEL_SOURCES:
            raise SimulatorError(f"Label.source must be one of {', '.join(LABEL_SOURCES)}")
        if self.reason not in LABEL_REASONS:
            raise SimulatorError(f"Label.reason must be one of {', '.join(LABEL_REASONS)}")

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form; ``reported_at`` as ISO 8601 with ``Z``."""
        return {
            "transaction_id": self.transaction_id,
            "label": self.label,
            "reason": self.reason,
            "reported_at": self.reported_at.isoformat().replace("+00:00", "Z"),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Label:
        """Inverse of :meth:`to_dict`; raises :class:`SimulatorError` on a bad document."""
        try:
            return cls(
                transaction_id=str(document["transaction_id"]),
                label=document["label"],
                reason=document["reason"],
                reported_at=datetime.fromisoformat(str(document["reported_at"])),
                source=document["source"],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise SimulatorError(f"not a label document: {exc}") from None


@dataclass(frozen=True, slots=True)
class SimulatedTransaction:
    """One generated event with its ground truth and the label it will eventually get.

    ``label`` is ``None`` when nothing is ever reported (legitimate and undisputed, or
    fraud nobody noticed). Its ``reported_at`` lies in the future of ``event_time``: a
    consumer that respects time must not look at it before then.
    """

    event: TransactionEvent
    is_fraud: bool
    pattern: PatternName | None
    episode_id: str | None  # groups the transactions of one fraud episode
    label: Label | None

    @property
    def transaction_id(self) -> str:
        return self.event.transaction_id

    @property
    def event_time(self) -> datetime:
        return self.event.event_time

    @property
    def label_reported_at(self) -> datetime | None:
        return self.label.reported_at if self.label is not None else None


def label_event(transaction: SimulatedTransaction) -> LabelEvent | None:
    """The transaction's label as the engine receives it on the ``labels`` topic.

    It names the merchant, BIN and event time of the original transaction, which the
    feature engine needs to keep delayed-label features point-in-time correct.
    """
    label = transaction.label
    if label is None:
        return None
    event = transaction.event
    fraud = label.label == "fraud"
    return LabelEvent(
        label_id=f"sim-{label.source}-{label.transaction_id}",
        transaction_id=label.transaction_id,
        is_fraud=fraud,
        category="fraud" if fraud else "service_dispute",
        source=label.source,
        merchant_id=event.merchant_id,
        card_bin=event.card.bin,
        card_fingerprint=event.card.fingerprint,
        amount=event.amount,
        currency=event.currency,
        event_time=event.event_time,
        reported_at=label.reported_at,
    )
