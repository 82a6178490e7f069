"""The read side: the queue with its filters, a case with its context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from review_queue.errors import CaseNotFound
from review_queue.models import CaseAction, CaseNote, DecisionLogEntry, ReviewCase
from review_queue.views import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    CaseDetail,
    CaseView,
    HistoryEntry,
    QueuePage,
    TimelineEntry,
)

__all__ = ["QueueFilter", "StatusFilter", "case_detail", "decision_payload", "list_queue"]

StatusFilter = Literal[
    "active",
    "open",
    "escalated",
    "awaiting_approval",
    "approved",
    "declined",
    "defaulted",
    "closed",
    "all",
]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the analyst asked to see. ``assignee``: a user name, ``me`` or ``unassigned``."""

    status: StatusFilter = "active"
    merchant_id: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    min_age: timedelta | None = None  # created at least this long ago
    max_age: timedelta | None = None  # created at most this long ago
    reason: str | None = None
    assignee: str | None = None
    limit: int = 50
    offset: int = 0


def _status_condition(status: StatusFilter) -> ColumnElement[bool] | None:
    if status == "all":
        return None
    if status == "active":
        return ReviewCase.status.in_(OPEN_STATUSES)
    if status == "closed":
        return ReviewCase.status.in_(FINAL_STATUSES)
    return ReviewCase.status == status


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_queue(session: Session, filters: QueueFilter, *, now: datetime, actor: str) -> QueuePage:
    """Cases matching ``filters``, most urgent first (see :mod:`review_queue.priority`)."""
    conditions: list[ColumnElement[bool]] = []
    status = _status_condition(filters.status)
    if status is not None:
        conditions.append(status)
    if filters.merchant_id:
        conditions.append(ReviewCase.merchant_id == filters.merchant_id)
    if filters.amount_min is not None:
        conditions.append(ReviewCase.amount >= filters.amount_min)
    if filters.amount_max is not None:
        conditions.append(ReviewCase.amount <= filters.amount_max)
    if filters.min_age is not None:
        conditions.append(ReviewCase.created_at <= now - filters.min_age)
    if filters.max_age is not None:
        conditions.append(ReviewCase.created_at >= now - filters.max_age)
    if filters.reason:
        pattern = f"%|{_like_escape(filters.reason)}|%"
        conditions.append(ReviewCase.reason_codes.like(pattern, escape="\\"))
    if filters.assignee:
        live = and_(ReviewCase.lease_owner.is_not(None), ReviewCase.lease_expires_at > now)
        if filters.assignee == "unassigned":
            conditions.append(
                or_(ReviewCase.lease_owner.is_(None), ReviewCase.lease_expires_at <= now)
            )
        else:
            who = actor if filters.assignee == "me" else filters.assignee
            conditions.append(and_(live, ReviewCase.lease_owner == who))
    where = and_(*conditions) if conditions else None
    query = select(ReviewCase)
    count = select(func.count()).select_from(ReviewCase)
    if where is not None:
        query = query.where(where)
        count = count.where(where)
    total = int(session.scalar(count) or 0)
    rows = session.scalars(
        query.order_by(ReviewCase.priority_at, ReviewCase.id)
        .limit(filters.limit)
        .offset(filters.offset)
    ).all()
    return QueuePage(tuple(CaseView.of(r) for r in rows), total, filters.limit, filters.offset)


def decision_payload(session: Session, transaction_id: str) -> dict[str, object]:
    payload = session.scalar(
        select(DecisionLogEntry.payload).where(DecisionLogEntry.transaction_id == transaction_id)
    )
    if payload is None:
        return {}
    document = json.loads(payload)
    return document if isinstance(document, dict) else {}


def case_detail(session: Session, case_id: int, *, history_limit: int = 20) -> CaseDetail:
    """A case with its decision, the card's recent decisions and the timeline."""
    case = session.get(ReviewCase, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    history_rows = session.scalars(
        select(DecisionLogEntry)
        .where(
            DecisionLogEntry.card_fingerprint == case.card_fingerprint,
            DecisionLogEntry.transaction_id != case.transaction_id,
        )
        .order_by(DecisionLogEntry.event_time.desc())
        .limit(history_limit)
    ).all()
    actions = session.scalars(
        select(CaseAction).where(CaseAction.case_id == case_id).order_by(CaseAction.id)
    ).all()
    notes = session.scalars(
        select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)
    ).all()
    timeline = sorted(
        [TimelineEntry.of_action(a) for a in actions] + [TimelineEntry.of_note(n) for n in notes],
        key=lambda entry: entry.at,
    )
    return CaseDetail(
        case=CaseView.of(case),
        decision=decision_payload(session, case.transaction_id),
        history=tuple(HistoryEntry.of(row) for row in history_rows),
        timeline=tuple(timeline),
    )
