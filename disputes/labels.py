"""The label store: every :class:`contracts.LabelEvent` kept once, queryable by transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from contracts import LabelEvent
from db import insert_ignore
from disputes.models import LabelRecord

__all__ = ["record_labels"]

_labels: Table = LabelRecord.__table__  # type: ignore[assignment]


def _row(label: LabelEvent, now: datetime) -> dict[str, Any]:
    return {
        "label_id": label.label_id,
        "transaction_id": label.transaction_id,
        "is_fraud": label.is_fraud,
        "category": label.category,
        "source": label.source,
        "merchant_id": label.merchant_id,
        "card_bin": label.card_bin,
        "amount": label.amount,
        "currency": (label.currency or "")[:3] or None,
        "event_time": label.event_time.astimezone(UTC) if label.event_time else None,
        "reported_at": label.reported_at.astimezone(UTC),
        "recorded_at": now,
    }


def record_labels(
    session: Session, labels: Sequence[LabelEvent], now: datetime
) -> list[LabelEvent]:
    """Insert the labels not seen before (by ``label_id``); returns those that were new."""
    unique: dict[str, LabelEvent] = {}
    for label in labels:
        unique.setdefault(label.label_id, label)
    inserted = set(
        insert_ignore(
            session,
            _labels,
            [_row(label, now) for label in unique.values()],
            conflict_columns=["label_id"],
            returning=_labels.c.label_id,
        )
    )
    return [label for label in unique.values() if label.label_id in inserted]
