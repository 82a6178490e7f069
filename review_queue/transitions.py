"""Shared steps of every case change: load, conditional update, timeline, audit.

A change is one transaction: ``UPDATE review_cases … WHERE id = ? AND version = ?``
(so two people acting at once cannot both win), then the timeline row, the outbox
messages and the audit record. The audit append comes last on purpose: it locks the
chain head, and taking that lock after the case row keeps lock order the same
everywhere (no deadlocks on PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access import RequestContext
from audit import AuditEvent, AuditLog
from review_queue.errors import CaseNotFound, ConcurrentChange
from review_queue.models import CaseAction, ReviewCase

__all__ = ["SNAPSHOT_FIELDS", "audit_case", "load_case", "record_action", "snapshot", "transition"]

SNAPSHOT_FIELDS = (
    "status",
    "lease_owner",
    "lease_expires_at",
    "escalated_by",
    "approval_requested_by",
    "resolution",
    "resolved_by",
    "resolved_at",
    "version",
)


def snapshot(case: ReviewCase) -> dict[str, Any]:
    """The workflow state of a case, for audit before/after."""
    state: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(case, name)
        state[name] = value.isoformat() if isinstance(value, datetime) else value
    return state


def load_case(session: Session, case_id: int) -> ReviewCase:
    case = session.execute(
        select(ReviewCase).where(ReviewCase.id == case_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if case is None:
        raise CaseNotFound(case_id)
    return case


def transition(session: Session, case: ReviewCase, **changes: Any) -> dict[str, Any]:
    """Apply ``changes`` if nobody changed the case since it was loaded.

    Returns the state before; ``case`` is refreshed to the state after. Raises
    :class:`ConcurrentChange` when another transaction got there first.
    """
    before = snapshot(case)
    result = session.execute(
        update(ReviewCase)
        .where(ReviewCase.id == case.id, ReviewCase.version == case.version)
        .values(**changes, version=case.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChange(case.id)
    session.refresh(case)
    return before


def record_action(
    session: Session,
    case: ReviewCase,
    actor: str,
    action: str,
    now: datetime,
    *,
    from_status: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseAction(
            case_id=case.id,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=case.status,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
            created_at=now,
        )
    )


def audit_case(
    audit: AuditLog,
    session: Session,
    case: ReviewCase,
    ctx: RequestContext,
    *,
    event_type: str,
    command: str,
    outcome: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.append(
        session,
        AuditEvent(
            event_type=event_type,
            actor=ctx.actor,
            command=command,
            merchant_id=case.merchant_id,
            transaction_id=case.transaction_id,
            target=f"case:{case.id}",
            amount=case.amount,
            currency=case.currency,
            outcome=outcome,
            client_ip=ctx.client_ip,
            idempotency_key=ctx.idempotency_key,
            trace_id=ctx.trace_id,
            before=before,
            after=after if after is not None else snapshot(case),
        ),
    )
