"""The rows a recorded notice writes: the dispute, its label, its audit record.

Pure helpers of :mod:`disputes.service`, kept apart so the service reads as the flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from audit import AuditEvent
from contracts import DisputeEvent, LabelEvent
from disputes.reasons import Classification
from review_queue.models import DecisionLogEntry

__all__ = [
    "ACTOR",
    "Match",
    "audit_event",
    "dispute_row",
    "event_of",
    "find_decision",
    "label_for",
    "label_id_for",
]

ACTOR = "system:disputes"
_decisions: Table = DecisionLogEntry.__table__  # type: ignore[assignment]
_KIND_PREFIX = {"chargeback": "cb", "early_fraud_warning": "efw", "refund": "rf"}
_BIN_LENGTHS = (6, 7, 8)


def label_id_for(event: DisputeEvent) -> str:
    """One label per dispute, warning or refund, whatever events it goes through."""
    return f"lbl_{_KIND_PREFIX[event.kind]}_{event.object_id}"[:255]


@dataclass(frozen=True, slots=True)
class Match:
    """The decision a notice is about."""

    transaction_id: str
    merchant_id: str
    card_bin: str | None
    card_fingerprint: str
    amount: int
    currency: str
    event_time: datetime


def find_decision(session: Session, candidates: Sequence[str | None]) -> Match | None:
    for candidate in candidates:
        if not candidate:
            continue
        row = session.execute(
            select(
                _decisions.c.transaction_id,
                _decisions.c.merchant_id,
                _decisions.c.card_bin,
                _decisions.c.card_fingerprint,
                _decisions.c.amount,
                _decisions.c.currency,
                _decisions.c.event_time,
                _decisions.c.payload,
            ).where(_decisions.c.transaction_id == candidate)
        ).one_or_none()
        if row is None:
            continue
        card_bin = row.card_bin
        if card_bin is None:  # logged before the column existed: read it from the decision
            card_bin = orjson.loads(row.payload).get("card_bin")
        return Match(
            row.transaction_id,
            row.merchant_id,
            card_bin if isinstance(card_bin, str) and len(card_bin) in _BIN_LENGTHS else None,
            row.card_fingerprint,
            row.amount,
            row.currency,
            row.event_time,
        )
    return None


def label_for(
    event: DisputeEvent, classification: Classification, match: Match, now: datetime
) -> LabelEvent:
    bin_ok = match.card_bin is not None and match.card_bin.isdigit()
    return LabelEvent(
        label_id=label_id_for(event),
        transaction_id=match.transaction_id,
        is_fraud=classification.is_fraud,
        category=classification.category,
        source=classification.source,
        merchant_id=match.merchant_id,
        card_bin=match.card_bin if bin_ok else None,
        card_fingerprint=match.card_fingerprint,
        amount=match.amount,
        currency=match.currency,
        event_time=match.event_time,
        reported_at=now,
    )


def dispute_row(
    event: DisputeEvent,
    classification: Classification,
    match: Match | None,
    label: LabelEvent | None,
    via: str,
    body_sha256: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "object_id": event.object_id,
        "transaction_id": match.transaction_id if match else event.transaction_id,
        "charge_id": event.charge_id,
        "reason": event.reason,
        "network_reason_code": event.network_reason_code,
        "category": classification.category,
        "is_fraud": classification.is_fraud,
        "status": event.status,
        "amount": event.amount,
        "currency": event.currency,
        "processor": event.processor,
        "livemode": event.livemode,
        "occurred_at": event.occurred_at.astimezone(UTC),
        "received_at": now,
        "via": via,
        "body_sha256": body_sha256,
        "matched": match is not None,
        "matched_at": now if match else None,
        "merchant_id": match.merchant_id if match else None,
        "label_id": label.label_id if label else None,
    }


def event_of(row: Any) -> DisputeEvent:
    return DisputeEvent(
        event_id=row.event_id,
        kind=row.kind,
        object_id=row.object_id,
        transaction_id=row.transaction_id,
        charge_id=row.charge_id,
        reason=row.reason,
        network_reason_code=row.network_reason_code,
        status=row.status,
        amount=row.amount,
        currency=row.currency,
        processor=row.processor,
        livemode=row.livemode,
        occurred_at=row.occurred_at,
    )


def audit_event(
    event: DisputeEvent,
    classification: Classification,
    match: Match | None,
    label: LabelEvent | None,
    via: str,
) -> AuditEvent:
    return AuditEvent(
        event_type="dispute.matched" if via == "rematch" else "dispute.recorded",
        actor=ACTOR,
        command=f"{event.kind}:{via}"[:64],
        merchant_id=match.merchant_id if match else None,
        transaction_id=match.transaction_id if match else (event.transaction_id or event.charge_id),
        target=event.object_id,
        amount=event.amount,
        currency=event.currency,
        outcome="matched" if match else "unmatched",
        idempotency_key=event.event_id,
        after={
            "category": classification.category,
            "is_fraud": classification.is_fraud,
            "basis": classification.basis,
            "reason": event.reason,
            "network_reason_code": event.network_reason_code,
            "label_id": label.label_id if label else None,
        },
    )
