"""Capture/void commands and analyst labels, written to the outbox.

Each goes into the ``outbox`` table in the same transaction as the case change that
caused it; :mod:`review_queue.outbox` publishes them. The outbox's unique
``dedupe_key`` makes a second settlement command for a transaction impossible, and
the ids are derived from the transaction id, so consumers can dedupe redeliveries.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Literal

from sqlalchemy import Table
from sqlalchemy.orm import Session

from contracts import LabelEvent, PaymentCommand
from db import insert_ignore
from review_queue.errors import ReviewError
from review_queue.models import OutboxMessage, ReviewCase

__all__ = [
    "SETTLEMENT_TOPICS",
    "SettlementCommand",
    "enqueue_label",
    "enqueue_settlement",
    "label_id_for",
    "settlement_command_id",
]

SettlementCommand = Literal["capture", "void"]
SETTLEMENT_TOPICS: dict[SettlementCommand, str] = {"capture": "captures", "void": "voids"}
LABELS_TOPIC = "labels"
_BIN = re.compile(r"^[0-9]{6,8}$")
_outbox: Table = OutboxMessage.__table__  # type: ignore[assignment]


def _digest(kind: str, transaction_id: str) -> str:
    return hashlib.sha256(f"{kind}:{transaction_id}".encode()).hexdigest()[:32]


def settlement_command_id(transaction_id: str) -> str:
    """The one command id a transaction's capture or void can ever have."""
    return f"cmd_{_digest('settle', transaction_id)}"


def label_id_for(transaction_id: str) -> str:
    """The id of the analyst label for a transaction (one per transaction)."""
    return f"lbl_review_{_digest('label', transaction_id)}"


class DuplicateSettlement(ReviewError):
    status_code = 409
    code = "already_settled"

    def __init__(self, transaction_id: str) -> None:
        super().__init__(f"transaction {transaction_id} already has a capture or void command")


def _enqueue(
    session: Session, topic: str, key: str, dedupe_key: str, payload: str, now: datetime
) -> bool:
    inserted = insert_ignore(
        session,
        _outbox,
        [
            {
                "topic": topic,
                "message_key": key,
                "payload": payload,
                "dedupe_key": dedupe_key,
                "created_at": now,
                "attempts": 0,
            }
        ],
        conflict_columns=["dedupe_key"],
        returning=_outbox.c.id,
    )
    return bool(inserted)


def enqueue_settlement(
    session: Session,
    case: ReviewCase,
    command: SettlementCommand,
    *,
    reason: str,
    issued_by: str,
    now: datetime,
) -> PaymentCommand:
    """Queue the capture or void of ``case``'s authorisation; refuses a second one."""
    message = PaymentCommand(
        command_id=settlement_command_id(case.transaction_id),
        command=command,
        transaction_id=case.transaction_id,
        merchant_id=case.merchant_id,
        amount=case.amount,
        currency=case.currency,
        reason=reason,
        issued_by=issued_by,
        issued_at=now,
    )
    if not _enqueue(
        session,
        SETTLEMENT_TOPICS[command],
        case.transaction_id,
        f"settle:{case.transaction_id}",
        message.model_dump_json(),
        now,
    ):
        raise DuplicateSettlement(case.transaction_id)
    return message


def enqueue_label(
    session: Session,
    case: ReviewCase,
    *,
    is_fraud: bool,
    category: str,
    now: datetime,
) -> LabelEvent | None:
    """Queue the analyst's verdict as a label; None if this transaction already has one."""
    label = LabelEvent(
        label_id=label_id_for(case.transaction_id),
        transaction_id=case.transaction_id,
        is_fraud=is_fraud,
        category=category,
        source="analyst",
        merchant_id=case.merchant_id,
        card_bin=case.card_bin if _BIN.match(case.card_bin) else None,
        card_fingerprint=case.card_fingerprint,
        amount=case.amount,
        currency=case.currency,
        event_time=case.event_time,
        reported_at=now,
    )
    if not _enqueue(
        session,
        LABELS_TOPIC,
        case.transaction_id,
        f"label:{case.transaction_id}",
        label.model_dump_json(),
        now,
    ):
        return None
    return label
