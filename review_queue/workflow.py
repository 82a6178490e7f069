"""The analysts' workflow: claim, release, approve, decline, escalate, notes, lists.

States::

    open ──claim──▶ open (leased) ──approve──▶ approved            (capture)
      │                  │        ├─approve, amount > four-eyes──▶ awaiting_approval
      │                  │        ├─decline──▶ declined            (void)
      │                  │        └─escalate─▶ escalated
    escalated / awaiting_approval: only leads claim and decide them; nobody approves
    their own escalation or their own approval request.
    any open state ──SLA due──▶ defaulted (the default action; see review_queue.sla)

Every action needs the caller's lease (a claim) except notes and list additions.
Approving or declining a case that is already so resolved answers with the case as it
is (``replayed``): retries are safe, and a transaction is captured or voided at most
once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from access import RequestContext, allows
from audit import AuditEvent, AuditLog
from contracts import Clock, LabelEvent, PaymentCommand, Settings
from db import Database
from review_queue.annotations import check_text, insert_note
from review_queue.commands import enqueue_label, enqueue_settlement
from review_queue.errors import (
    CaseClosed,
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    LeaseHeld,
    LeaseRequired,
    ReviewForbidden,
)
from review_queue.models import ReviewCase
from review_queue.transitions import audit_case, load_case, record_action, snapshot, transition
from review_queue.views import FINAL_STATUSES, LEAD_STATUSES, CaseView

__all__ = ["DECLINE_REASONS", "ActionResult", "DeclineReason", "ReviewWorkflow"]

DeclineReason = Literal["suspected_fraud", "stolen_card", "account_takeover", "policy", "other"]
DECLINE_REASONS: tuple[DeclineReason, ...] = (
    "suspected_fraud",
    "stolen_card",
    "account_takeover",
    "policy",
    "other",
)


@dataclass(frozen=True, slots=True)
class ActionResult:
    case: CaseView
    action: str
    replayed: bool = False
    command: PaymentCommand | None = None
    label: LabelEvent | None = None


_Step = Callable[[Session, ReviewCase, datetime], ActionResult]


class ReviewWorkflow:
    """Case actions over the database, with injected time. Thread-safe; share one."""

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        *,
        settings: Settings,
        lease: timedelta | None = None,
        four_eyes_amount: int | None = None,
    ) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock
        self.settings = settings
        self.lease = lease or timedelta(seconds=settings.review_lease_s)
        self.four_eyes_amount = (
            settings.review_four_eyes_amount if four_eyes_amount is None else four_eyes_amount
        )

    # -- helpers -----------------------------------------------------------------

    def _is_lead(self, ctx: RequestContext) -> bool:
        return allows(ctx.role, "reviews.lead")

    def _require_lead_for(self, case: ReviewCase, ctx: RequestContext) -> None:
        if case.status in LEAD_STATUSES and not self._is_lead(ctx):
            what = "escalated" if case.status == "escalated" else "awaiting a second approval"
            raise ReviewForbidden(
                f"case {case.id} is {what}: only a lead may act on it", rule="lead_only"
            )

    def _require_lease(self, case: ReviewCase, ctx: RequestContext, now: datetime) -> None:
        holder = case.lease_owner
        live = (
            holder is not None and case.lease_expires_at is not None and case.lease_expires_at > now
        )
        if live and holder != ctx.actor:
            raise LeaseHeld(case.id, holder or "")
        if not live:
            raise LeaseRequired(case.id)

    def _denied(
        self, ctx: RequestContext, command: str, case_id: int, exc: ReviewForbidden
    ) -> None:
        with self.database.transaction() as session:
            self.audit.append(
                session,
                AuditEvent(
                    event_type="review.denied",
                    actor=ctx.actor,
                    command=command,
                    target=f"case:{case_id}",
                    outcome="denied",
                    client_ip=ctx.client_ip,
                    idempotency_key=ctx.idempotency_key,
                    trace_id=ctx.trace_id,
                    after={"rule": exc.rule, "role": ctx.role},
                ),
            )

    def _run(self, ctx: RequestContext, command: str, case_id: int, step: _Step) -> ActionResult:
        try:
            with self.database.transaction() as session:
                case = load_case(session, case_id)
                return step(session, case, self.clock.now())
        except ReviewForbidden as exc:
            self._denied(ctx, command, case_id, exc)
            raise

    # -- claims ------------------------------------------------------------------

    def claim(self, case_id: int, ctx: RequestContext) -> ActionResult:
        """Take (or renew) the lease on a case. Exactly one of concurrent claimers wins."""

        def step(session: Session, case: ReviewCase, now: datetime) -> ActionResult:
            if case.status in FINAL_STATUSES:
                raise CaseClosed(case.id, case.status)
            self._require_lead_for(case, ctx)
            before = snapshot(case)
            renewing = case.lease_owner == ctx.actor
            result = session.execute(
                update(ReviewCase)
                .where(
                    ReviewCase.id == case.id,
                    ReviewCase.status == case.status,
                    or_(
                        ReviewCase.lease_owner.is_(None),
                        ReviewCase.lease_expires_at <= now,
                        ReviewCase.lease_owner == ctx.actor,
                    ),
                )
                .values(
                    lease_owner=ctx.actor,
                    lease_expires_at=now + self.lease,
                    version=ReviewCase.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            session.refresh(case)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                if case.lease_owner and case.lease_owner != ctx.actor:
                    raise LeaseHeld(case.id, case.lease_owner)
                raise ConcurrentChange(case.id)
            action = "lease_renewed" if renewing else "claimed"
            record_action(session, case, ctx.actor, action, now, from_status=case.status)
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.claimed",
                command="claim",
                outcome=action,
                before=before,
            )
            return ActionResult(CaseView.of(case), action)

        return self._run(ctx, "claim", case_id, step)

    def release(self, case_id: int, ctx: RequestContext) -> ActionResult:
        """Give the lease back (a lead may release anyone's)."""

        def step(session: Session, case: ReviewCase, now: datetime) -> ActionResult:
            live = case.lease_owner is not None and (case.lease_expires_at or now) > now
            if not live or case.status in FINAL_STATUSES:
                return ActionResult(CaseView.of(case), "released", replayed=True)
            if case.lease_owner != ctx.actor and not self._is_lead(ctx):
                raise LeaseHeld(case.id, case.lease_owner or "")
            before = transition(session, case, lease_owner=None, lease_expires_at=None)
            record_action(session, case, ctx.actor, "released", now, from_status=case.status)
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.released",
                command="release",
                outcome="released",
                before=before,
            )
            return ActionResult(CaseView.of(case), "released")

        return self._run(ctx, "release", case_id, step)

    # -- decisions ---------------------------------------------------------------

    def approve(self, case_id: int, ctx: RequestContext, *, note: str = "") -> ActionResult:
        """Approve: capture, or above the four-eyes amount, ask a lead for the second approval."""
        note = check_text("note", note, required=False)

        def step(session: Session, case: ReviewCase, now: datetime) -> ActionResult:
            if case.status == "approved":
                return ActionResult(CaseView.of(case), "approved", replayed=True)
            if case.status in FINAL_STATUSES:
                raise CaseClosed(case.id, case.status)
            if case.status == "awaiting_approval" and case.approval_requested_by == ctx.actor:
                return ActionResult(CaseView.of(case), "approval_requested", replayed=True)
            self._require_lead_for(case, ctx)
            if ctx.actor in (case.escalated_by, case.approval_requested_by):
                raise ReviewForbidden(
                    "four eyes: you cannot approve your own escalation or approval request",
                    rule="four_eyes",
                )
            self._require_lease(case, ctx, now)
            from_status = case.status
            cleared = {"lease_owner": None, "lease_expires_at": None}
            if case.amount > self.four_eyes_amount and case.status != "awaiting_approval":
                before = transition(
                    session,
                    case,
                    status="awaiting_approval",
                    approval_requested_by=ctx.actor,
                    **cleared,
                )
                insert_note(session, case, ctx.actor, note, now)
                record_action(
                    session, case, ctx.actor, "approval_requested", now, from_status=from_status
                )
                audit_case(
                    self.audit,
                    session,
                    case,
                    ctx,
                    event_type="review.approval_requested",
                    command="approve",
                    outcome="awaiting_approval",
                    before=before,
                )
                return ActionResult(CaseView.of(case), "approval_requested")
            before = transition(
                session,
                case,
                status="approved",
                resolution="capture",
                resolved_by=ctx.actor,
                resolved_at=now,
                **cleared,
            )
            command = enqueue_settlement(
                session, case, "capture", reason="analyst_approved", issued_by=ctx.actor, now=now
            )
            label = enqueue_label(
                session, case, is_fraud=False, category="analyst_approved", now=now
            )
            insert_note(session, case, ctx.actor, note, now)
            record_action(
                session,
                case,
                ctx.actor,
                "approved",
                now,
                from_status=from_status,
                detail={"command_id": command.command_id},
            )
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.approved",
                command="approve",
                outcome="capture",
                before=before,
            )
            return ActionResult(CaseView.of(case), "approved", command=command, label=label)

        return self._run(ctx, "approve", case_id, step)

    def decline(
        self,
        case_id: int,
        ctx: RequestContext,
        *,
        reason: DeclineReason = "suspected_fraud",
        fraud: bool = True,
        note: str = "",
    ) -> ActionResult:
        """Decline: void the authorisation and label the transaction."""
        note = check_text("note", note, required=False)
        if reason not in DECLINE_REASONS:
            raise InvalidInput("reason", f"use one of {', '.join(DECLINE_REASONS)}")

        def step(session: Session, case: ReviewCase, now: datetime) -> ActionResult:
            if case.status == "declined":
                return ActionResult(CaseView.of(case), "declined", replayed=True)
            if case.status in FINAL_STATUSES:
                raise CaseClosed(case.id, case.status)
            self._require_lead_for(case, ctx)
            self._require_lease(case, ctx, now)
            from_status = case.status
            before = transition(
                session,
                case,
                status="declined",
                resolution="void",
                resolved_by=ctx.actor,
                resolved_at=now,
                lease_owner=None,
                lease_expires_at=None,
            )
            command = enqueue_settlement(
                session,
                case,
                "void",
                reason=f"analyst_declined:{reason}",
                issued_by=ctx.actor,
                now=now,
            )
            label = enqueue_label(
                session, case, is_fraud=fraud, category="analyst_declined", now=now
            )
            insert_note(session, case, ctx.actor, note, now)
            record_action(
                session,
                case,
                ctx.actor,
                "declined",
                now,
                from_status=from_status,
                detail={"reason": reason, "fraud": fraud, "command_id": command.command_id},
            )
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.declined",
                command="decline",
                outcome="void",
                before=before,
            )
            return ActionResult(CaseView.of(case), "declined", command=command, label=label)

        return self._run(ctx, "decline", case_id, step)

    def escalate(self, case_id: int, ctx: RequestContext, *, note: str) -> ActionResult:
        """Hand the case to a lead, with a note saying why."""
        note = check_text("note", note, required=True)

        def step(session: Session, case: ReviewCase, now: datetime) -> ActionResult:
            if case.status == "escalated" and case.escalated_by == ctx.actor:
                return ActionResult(CaseView.of(case), "escalated", replayed=True)
            if case.status in FINAL_STATUSES:
                raise CaseClosed(case.id, case.status)
            if case.status != "open":
                raise InvalidTransition(case.id, case.status, "escalate")
            self._require_lease(case, ctx, now)
            before = transition(
                session,
                case,
                status="escalated",
                escalated_by=ctx.actor,
                lease_owner=None,
                lease_expires_at=None,
            )
            insert_note(session, case, ctx.actor, note, now)
            record_action(session, case, ctx.actor, "escalated", now, from_status="open")
            audit_case(
                self.audit,
                session,
                case,
                ctx,
                event_type="review.escalated",
                command="escalate",
                outcome="escalated",
                before=before,
            )
            return ActionResult(CaseView.of(case), "escalated")

        return self._run(ctx, "escalate", case_id, step)
