"""The SLA: a case nobody decided in time gets the default action, exactly once.

A case is due ``review_sla_margin_s`` before its authorisation expires. The sweeper
finds due cases in any open state (claimed or not: the authorisation will not wait)
and applies ``review_default_action`` (void by default). Exactly once: the change is
a conditional update of the case's version, and the outbox refuses a second
settlement command for the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import RequestContext
from audit import AuditLog
from contracts import Clock, Settings
from db import Database
from review_queue.commands import enqueue_settlement
from review_queue.errors import ConcurrentChange
from review_queue.models import ReviewCase
from review_queue.transitions import audit_case, load_case, record_action, transition
from review_queue.views import OPEN_STATUSES, CaseView
from review_queue.workflow import ActionResult

__all__ = ["SLA_ACTOR", "SlaEnforcer", "run_sla_sweeper"]

log = logging.getLogger(__name__)

SLA_ACTOR = "system:sla"


class SlaEnforcer:
    """Applies the default action to due cases."""

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        *,
        settings: Settings,
        default_action: Literal["void", "capture"] | None = None,
    ) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock
        self.default_action: Literal["void", "capture"] = (
            default_action or settings.review_default_action
        )

    def due(self, now: datetime, *, limit: int = 100) -> list[int]:
        """Ids of open cases whose SLA is due at ``now``, most overdue first."""
        with self.database.transaction() as session:
            return list(
                session.scalars(
                    select(ReviewCase.id)
                    .where(ReviewCase.status.in_(OPEN_STATUSES), ReviewCase.sla_due_at <= now)
                    .order_by(ReviewCase.sla_due_at, ReviewCase.id)
                    .limit(limit)
                )
            )

    def apply_default(self, case_id: int) -> ActionResult | None:
        """Apply the default action to one case if it is still open and due; else None."""
        try:
            with self.database.transaction() as session:
                return self._apply(session, case_id)
        except ConcurrentChange:
            return None  # someone decided it meanwhile; the next sweep looks again

    def _apply(self, session: Session, case_id: int) -> ActionResult | None:
        now = self.clock.now()
        case = load_case(session, case_id)
        if case.status not in OPEN_STATUSES or case.sla_due_at > now:
            return None
        from_status = case.status
        before = transition(
            session,
            case,
            status="defaulted",
            resolution=self.default_action,
            resolved_by=SLA_ACTOR,
            resolved_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
        command = enqueue_settlement(
            session, case, self.default_action, reason="sla_expired", issued_by=SLA_ACTOR, now=now
        )
        record_action(
            session,
            case,
            SLA_ACTOR,
            "defaulted",
            now,
            from_status=from_status,
            detail={"command": self.default_action, "command_id": command.command_id},
        )
        audit_case(
            self.audit,
            session,
            case,
            RequestContext.system(SLA_ACTOR),
            event_type="review.defaulted",
            command=self.default_action,
            outcome=self.default_action,
            before=before,
        )
        return ActionResult(CaseView.of(case), "defaulted", command=command)

    def sweep(self, *, limit: int = 100) -> list[ActionResult]:
        """One pass: apply the default action to every due case (up to ``limit``)."""
        results = []
        for case_id in self.due(self.clock.now(), limit=limit):
            result = self.apply_default(case_id)
            if result is not None:
                log.info(
                    "SLA expired on case %d: applied %s", case_id, result.case.resolution or "?"
                )
                results.append(result)
        return results


async def run_sla_sweeper(
    enforcer: SlaEnforcer, stop: asyncio.Event, *, interval_s: float = 30.0
) -> None:
    """Sweep every ``interval_s`` until ``stop`` is set. Database errors are retried."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(enforcer.sweep)
        except Exception:
            log.exception("SLA sweep failed; retrying in %.0fs", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
