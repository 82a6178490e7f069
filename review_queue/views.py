"""Read-only views of cases, notes and timelines, detached from the database session."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from review_queue.models import CaseAction, CaseNote, DecisionLogEntry, ReviewCase

__all__ = [
    "FINAL_STATUSES",
    "LEAD_STATUSES",
    "OPEN_STATUSES",
    "CaseDetail",
    "CaseStatus",
    "CaseView",
    "HistoryEntry",
    "NoteView",
    "QueuePage",
    "TimelineEntry",
]

CaseStatus = Literal["open", "escalated", "awaiting_approval", "approved", "declined", "defaulted"]
CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)
OPEN_STATUSES: frozenset[str] = frozenset({"open", "escalated", "awaiting_approval"})
LEAD_STATUSES: frozenset[str] = frozenset({"escalated", "awaiting_approval"})
FINAL_STATUSES: frozenset[str] = frozenset({"approved", "declined", "defaulted"})


@dataclass(frozen=True, slots=True)
class CaseView:
    id: int
    transaction_id: str
    merchant_id: str
    customer_id: str | None
    amount: int
    currency: str
    card_brand: str
    card_bin: str
    card_last4: str
    card_country: str
    card_fingerprint: str
    channel: str
    score: float | None
    reason_codes: tuple[str, ...]
    primary_reason: str
    event_time: datetime
    created_at: datetime
    auth_expires_at: datetime
    sla_due_at: datetime
    priority_at: datetime
    status: CaseStatus
    lease_owner: str | None
    lease_expires_at: datetime | None
    escalated_by: str | None
    approval_requested_by: str | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    version: int

    @classmethod
    def of(cls, case: ReviewCase) -> CaseView:
        return cls(
            id=case.id,
            transaction_id=case.transaction_id,
            merchant_id=case.merchant_id,
            customer_id=case.customer_id,
            amount=case.amount,
            currency=case.currency,
            card_brand=case.card_brand,
            card_bin=case.card_bin,
            card_last4=case.card_last4,
            card_country=case.card_country,
            card_fingerprint=case.card_fingerprint,
            channel=case.channel,
            score=case.score,
            reason_codes=tuple(code for code in case.reason_codes.split("|") if code),
            primary_reason=case.primary_reason,
            event_time=case.event_time,
            created_at=case.created_at,
            auth_expires_at=case.auth_expires_at,
            sla_due_at=case.sla_due_at,
            priority_at=case.priority_at,
            status=case.status,  # type: ignore[arg-type]
            lease_owner=case.lease_owner,
            lease_expires_at=case.lease_expires_at,
            escalated_by=case.escalated_by,
            approval_requested_by=case.approval_requested_by,
            resolution=case.resolution,
            resolved_by=case.resolved_by,
            resolved_at=case.resolved_at,
            version=case.version,
        )

    def assignee(self, now: datetime) -> str | None:
        """Who holds the lease now (None when free or expired)."""
        if self.lease_owner and self.lease_expires_at and self.lease_expires_at > now:
            return self.lease_owner
        return None

    def seconds_left(self, now: datetime) -> int:
        """Seconds until the SLA default action (negative once overdue)."""
        return int((self.sla_due_at - now).total_seconds())


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    case_id: int
    author: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, note: CaseNote) -> NoteView:
        return cls(note.id, note.case_id, note.author, note.body, note.created_at)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str  # an action name, or "note"
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # note bodies

    @classmethod
    def of_action(cls, action: CaseAction) -> TimelineEntry:
        detail = json.loads(action.detail) if action.detail else {}
        return cls(
            action.created_at,
            action.actor,
            action.action,
            action.from_status,
            action.to_status,
            detail if isinstance(detail, dict) else {},
        )

    @classmethod
    def of_note(cls, note: CaseNote) -> TimelineEntry:
        return cls(note.created_at, note.author, "note", text=note.body)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One earlier (or later) decision on the same card."""

    transaction_id: str
    merchant_id: str
    action: str
    score: float | None
    amount: int
    currency: str
    event_time: datetime

    @classmethod
    def of(cls, row: DecisionLogEntry) -> HistoryEntry:
        return cls(
            row.transaction_id,
            row.merchant_id,
            row.action,
            row.score,
            row.amount,
            row.currency,
            row.event_time,
        )


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseView
    decision: dict[str, Any]  # the Decision JSON (reasons, rule hits, features …)
    history: tuple[HistoryEntry, ...]
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[CaseView, ...]
    total: int
    limit: int
    offset: int
