"""The review queue's components, built once and shared by the API, the UI and workers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Literal

from audit import AuditLog
from contracts import Clock, Decision, Settings
from db import Database
from review_queue.annotations import CaseAnnotations
from review_queue.errors import ListUnavailable
from review_queue.ingest import IngestResult, record_decisions
from review_queue.lists import ListEntity
from review_queue.priority import PriorityPolicy
from review_queue.queries import QueueFilter, case_detail, list_queue
from review_queue.sla import SlaEnforcer
from review_queue.views import CaseDetail, QueuePage
from review_queue.workflow import ReviewWorkflow

__all__ = ["ReviewService", "list_value"]

# The decision field that carries each listable entity's value.
_FIELD_FOR: dict[str, str] = {"email": "email_hash", "device": "device_id"}


def list_value(detail: CaseDetail, entity: ListEntity) -> str:
    """The value a block/allow list entry gets for ``entity``, taken from the case."""
    if entity == "card":
        return detail.case.card_fingerprint
    value = detail.decision.get(_FIELD_FOR[entity])
    if not isinstance(value, str) or not value:
        raise ListUnavailable(entity)
    return value


class ReviewService:
    """Workflow, SLA enforcement, ingestion and queries over one database.

    Args:
        database: the riskstream database (migrated).
        audit: the audit log every action is recorded in.
        clock: injected time.
        settings: review timing, lease, four-eyes amount and default action.
        policy / lease / four_eyes_amount / default_action: override the settings.
    """

    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        *,
        settings: Settings,
        policy: PriorityPolicy | None = None,
        lease: timedelta | None = None,
        four_eyes_amount: int | None = None,
        default_action: Literal["void", "capture"] | None = None,
    ) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock
        self.settings = settings
        self.policy = policy or PriorityPolicy.from_settings(settings)
        self.workflow = ReviewWorkflow(
            database,
            audit,
            clock,
            settings=settings,
            lease=lease,
            four_eyes_amount=four_eyes_amount,
        )
        self.annotations = CaseAnnotations(database, audit, clock)
        self.sla = SlaEnforcer(
            database, audit, clock, settings=settings, default_action=default_action
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock, database: Database | None = None
    ) -> ReviewService:
        audit = AuditLog(
            environment=settings.environment,
            clock=clock,
            retention_days=settings.audit_retention_days,
        )
        return cls(database or Database.from_settings(settings), audit, clock, settings=settings)

    def ingest(
        self, decisions: Sequence[Decision], *, positions: Mapping[str, str] | None = None
    ) -> IngestResult:
        """Record a batch of decisions in one transaction (see :mod:`review_queue.ingest`)."""
        with self.database.transaction() as session:
            return record_decisions(
                session,
                decisions,
                policy=self.policy,
                now=self.clock.now(),
                audit=self.audit,
                positions=positions,
            )

    def queue(self, filters: QueueFilter, *, actor: str) -> QueuePage:
        with self.database.transaction() as session:
            return list_queue(session, filters, now=self.clock.now(), actor=actor)

    def detail(self, case_id: int) -> CaseDetail:
        with self.database.transaction() as session:
            return case_detail(session, case_id)
