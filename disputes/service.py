"""Record a dispute notice: match it to its decision, store it, emit its label.

One database transaction per notice holds everything: the replay marker of a signed
delivery, the dispute row, the label (label store and outbox, published to the
``labels`` topic by the review queue's outbox publisher) and the audit record. So a
notice is either fully recorded or not at all, and redelivery changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from audit import AuditLog
from contracts import Clock, DisputeEvent, LabelEvent
from contracts.pci import scan_document
from db import Database, insert_ignore
from disputes.errors import EventConflict, InvalidDispute, ReplayedDelivery
from disputes.labels import record_labels
from disputes.models import DisputeRecord, WebhookDelivery
from disputes.observer import DisputeObserver, NullObserver
from disputes.reasons import classify
from disputes.rows import (
    audit_event,
    dispute_row,
    event_of,
    find_decision,
    label_for,
    label_id_for,
)
from disputes.signature import VerifiedDelivery
from review_queue.models import OutboxMessage

__all__ = ["DisputeService", "RecordResult", "UnmatchedDispute", "body_digest", "label_id_for"]

log = logging.getLogger(__name__)

LABELS_TOPIC = "labels"
_disputes: Table = DisputeRecord.__table__  # type: ignore[assignment]
_deliveries: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_outbox: Table = OutboxMessage.__table__  # type: ignore[assignment]


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordResult:
    status: Literal["recorded", "duplicate"]
    event_id: str
    matched: bool
    transaction_id: str | None
    category: str
    is_fraud: bool
    label: LabelEvent | None


@dataclass(frozen=True, slots=True)
class UnmatchedDispute:
    event_id: str
    kind: str
    object_id: str
    transaction_id: str | None
    charge_id: str | None
    category: str
    amount: int | None
    currency: str | None
    received_at: datetime


class DisputeService:
    """Records dispute notices from the webhook and the ``chargebacks`` topic.

    Args:
        database: the riskstream database (migrated).
        audit: every recorded notice is audited.
        clock: injected time (``received_at``, a label's ``reported_at``).
        observer: counts outcomes (Prometheus through :mod:`monitoring.metrics`).
    """

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        *,
        observer: DisputeObserver | None = None,
    ) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock
        self.observer: DisputeObserver = observer or NullObserver()

    # -- recording ---------------------------------------------------------------

    def record(
        self,
        event: DisputeEvent,
        *,
        via: Literal["webhook", "stream"],
        body_sha256: str,
        delivery: VerifiedDelivery | None = None,
    ) -> RecordResult:
        """Store ``event`` once, matched to its decision, and emit its label if matched.

        Raises:
            ReplayedDelivery: ``delivery`` (a signed webhook delivery) was seen before.
            EventConflict: the event id arrived before with a different body.
            InvalidDispute: a field carries card data.
        """
        if scan_document(event.model_dump(mode="json")):
            raise InvalidDispute("event", "a field carries card data; it is never accepted")
        now = self.clock.now()
        classification = classify(event)
        with self.database.transaction() as session:
            if delivery is not None:
                self._remember_delivery(session, event, delivery, now)
            existing = session.execute(
                select(
                    _disputes.c.body_sha256, _disputes.c.matched, _disputes.c.transaction_id
                ).where(_disputes.c.event_id == event.event_id)
            ).one_or_none()
            if existing is not None:
                if existing.body_sha256 != body_sha256:
                    raise EventConflict(event.event_id)
                return RecordResult(
                    "duplicate", event.event_id, bool(existing.matched), existing.transaction_id,
                    classification.category, classification.is_fraud, None,
                )  # fmt: skip
            match = find_decision(session, [event.transaction_id, event.charge_id])
            label = label_for(event, classification, match, now) if match else None
            inserted = insert_ignore(
                session,
                _disputes,
                [dispute_row(event, classification, match, label, via, body_sha256, now)],
                conflict_columns=["event_id"],
                returning=_disputes.c.id,
            )
            if not inserted:  # a concurrent delivery of the same event won the race
                return RecordResult(
                    "duplicate", event.event_id, match is not None,
                    match.transaction_id if match else event.transaction_id,
                    classification.category, classification.is_fraud, None,
                )  # fmt: skip
            emitted = self._emit(session, label, now) if label is not None else None
            self.audit.append(session, audit_event(event, classification, match, emitted, via))
        self.observer.dispute_recorded(event.kind, classification.category, match is not None)
        if emitted is not None:
            self.observer.labels_recorded(emitted.source, emitted.is_fraud, 1)
        if match is None:
            log.warning(
                "%s %s (%s) matches no decision yet: stored as unmatched",
                event.kind,
                event.object_id,
                event.transaction_id or event.charge_id,
            )
        return RecordResult(
            "recorded", event.event_id, match is not None,
            match.transaction_id if match else (event.transaction_id or event.charge_id),
            classification.category, classification.is_fraud, emitted,
        )  # fmt: skip

    def _remember_delivery(
        self, session: Session, event: DisputeEvent, delivery: VerifiedDelivery, now: datetime
    ) -> None:
        fresh = insert_ignore(
            session,
            _deliveries,
            [
                {
                    "delivery_id": delivery.delivery_id,
                    "event_id": event.event_id,
                    "signed_at": datetime.fromtimestamp(delivery.timestamp, UTC),
                    "received_at": now,
                }
            ],
            conflict_columns=["delivery_id"],
            returning=_deliveries.c.delivery_id,
        )
        if not fresh:
            raise ReplayedDelivery(event.event_id)

    def _emit(self, session: Session, label: LabelEvent, now: datetime) -> LabelEvent | None:
        if not record_labels(session, [label], now):
            return None  # this dispute's label was emitted by an earlier event
        insert_ignore(
            session,
            _outbox,
            [
                {
                    "topic": LABELS_TOPIC,
                    "message_key": label.transaction_id,
                    "payload": label.model_dump_json(),
                    "dedupe_key": f"dispute-label:{label.label_id}"[:255],
                    "created_at": now,
                    "attempts": 0,
                }
            ],
            conflict_columns=["dedupe_key"],
            returning=_outbox.c.id,
        )
        return label

    # -- unmatched notices -------------------------------------------------------

    def rematch(self, *, limit: int = 500) -> int:
        """Match stored unmatched notices whose decision has arrived since; returns how many."""
        now = self.clock.now()
        matched = 0
        with self.database.transaction() as session:
            rows = session.execute(
                select(_disputes)
                .where(_disputes.c.matched.is_(False))
                .order_by(_disputes.c.id)
                .limit(limit)
            ).all()
            for row in rows:
                match = find_decision(session, [row.transaction_id, row.charge_id])
                if match is None:
                    continue
                event = event_of(row)
                classification = classify(event)
                label = label_for(event, classification, match, now)
                emitted = self._emit(session, label, now)
                session.execute(
                    update(_disputes)
                    .where(_disputes.c.id == row.id)
                    .values(
                        matched=True,
                        matched_at=now,
                        transaction_id=match.transaction_id,
                        merchant_id=match.merchant_id,
                        label_id=label.label_id,
                    )
                )
                self.audit.append(
                    session, audit_event(event, classification, match, emitted, "rematch")
                )
                matched += 1
        return matched

    def unmatched(self, *, limit: int = 100) -> list[UnmatchedDispute]:
        with self.database.transaction() as session:
            rows = session.execute(
                select(_disputes)
                .where(_disputes.c.matched.is_(False))
                .order_by(_disputes.c.received_at.desc())
                .limit(limit)
            ).all()
        return [
            UnmatchedDispute(
                r.event_id,
                r.kind,
                r.object_id,
                r.transaction_id,
                r.charge_id,
                r.category,
                r.amount,
                r.currency,
                r.received_at,
            )  # fmt: skip
            for r in rows
        ]

    def prune_deliveries(self, older_than: timedelta) -> int:
        """Forget delivery markers older than ``older_than`` (they fail the tolerance anyway)."""
        cutoff = self.clock.now() - older_than
        with self.database.transaction() as session:
            result = session.execute(delete(_deliveries).where(_deliveries.c.received_at < cutoff))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
