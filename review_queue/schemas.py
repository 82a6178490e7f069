"""The REST API's request and response bodies (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from review_queue.lists import ListEntity, ListKind
from review_queue.views import CaseDetail, CaseStatus, CaseView, HistoryEntry, TimelineEntry
from review_queue.workflow import ActionResult, DeclineReason

__all__ = [
    "ActionOut",
    "ApproveIn",
    "CaseDetailOut",
    "CaseOut",
    "DeclineIn",
    "EscalateIn",
    "ListAddIn",
    "ListAddOut",
    "NoteIn",
    "NoteOut",
    "QueueOut",
]

NoteText = Field(default="", max_length=4000, description="Optional note (no card numbers).")


class CardOut(BaseModel):
    brand: str
    bin: str
    last4: str
    country: str
    fingerprint: str


class CaseOut(BaseModel):
    id: int
    transaction_id: str
    merchant_id: str
    customer_id: str | None
    amount: int = Field(description="Minor units of `currency`.")
    currency: str
    card: CardOut
    channel: str
    score: float | None
    reasons: list[str]
    primary_reason: str
    status: CaseStatus
    event_time: datetime
    created_at: datetime
    auth_expires_at: datetime
    sla_due_at: datetime = Field(description="When the default action is applied.")
    seconds_left: int = Field(description="Seconds until sla_due_at (negative: overdue).")
    assignee: str | None = Field(description="Who holds a live claim on the case.")
    lease_expires_at: datetime | None
    escalated_by: str | None
    approval_requested_by: str | None
    resolution: Literal["capture", "void"] | None
    resolved_by: str | None
    resolved_at: datetime | None
    version: int

    @classmethod
    def of(cls, case: CaseView, now: datetime) -> CaseOut:
        assignee = case.assignee(now)
        return cls(
            id=case.id,
            transaction_id=case.transaction_id,
            merchant_id=case.merchant_id,
            customer_id=case.customer_id,
            amount=case.amount,
            currency=case.currency,
            card=CardOut(
                brand=case.card_brand,
                bin=case.card_bin,
                last4=case.card_last4,
                country=case.card_country,
                fingerprint=case.card_fingerprint,
            ),
            channel=case.channel,
            score=case.score,
            reasons=list(case.reason_codes),
            primary_reason=case.primary_reason,
            status=case.status,
            event_time=case.event_time,
            created_at=case.created_at,
            auth_expires_at=case.auth_expires_at,
            sla_due_at=case.sla_due_at,
            seconds_left=case.seconds_left(now),
            assignee=assignee,
            lease_expires_at=case.lease_expires_at if assignee else None,
            escalated_by=case.escalated_by,
            approval_requested_by=case.approval_requested_by,
            resolution=case.resolution,  # type: ignore[arg-type]
            resolved_by=case.resolved_by,
            resolved_at=case.resolved_at,
            version=case.version,
        )


class QueueOut(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    transaction_id: str
    merchant_id: str
    action: str
    score: float | None
    amount: int
    currency: str
    event_time: datetime

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryOut:
        return cls.model_validate(entry)


class TimelineOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]
    text: str | None

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineOut:
        return cls(
            at=entry.at,
            actor=entry.actor,
            kind=entry.kind,
            from_status=entry.from_status,
            to_status=entry.to_status,
            detail=entry.detail,
            text=entry.text,
        )


class CaseDetailOut(BaseModel):
    case: CaseOut
    decision: dict[str, Any] = Field(
        description="The decision JSON: reasons, rule hits, feature snapshot, model version."
    )
    history: list[HistoryOut] = Field(description="The card's other recent decisions.")
    timeline: list[TimelineOut]

    @classmethod
    def of(cls, detail: CaseDetail, now: datetime) -> CaseDetailOut:
        return cls(
            case=CaseOut.of(detail.case, now),
            decision=detail.decision,
            history=[HistoryOut.of(h) for h in detail.history],
            timeline=[TimelineOut.of(t) for t in detail.timeline],
        )


class ActionOut(BaseModel):
    action: str
    replayed: bool = Field(description="True when the case already was in this state.")
    command_id: str | None = Field(description="The capture/void command issued, if any.")
    case: CaseOut

    @classmethod
    def of(cls, result: ActionResult, now: datetime) -> ActionOut:
        return cls(
            action=result.action,
            replayed=result.replayed,
            command_id=result.command.command_id if result.command else None,
            case=CaseOut.of(result.case, now),
        )


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = NoteText


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeclineReason = "suspected_fraud"
    fraud: bool = Field(default=True, description="Label the transaction as fraud.")
    note: str = NoteText


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=4000, description="Why a lead should look.")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=4000)


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    author: str
    body: str
    created_at: datetime


class ListAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ListKind
    entity: ListEntity
    reason: str = Field(min_length=1, max_length=500)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ListAddOut(BaseModel):
    list_name: str
    entity: ListEntity
    value: str
    expires_at: datetime | None
