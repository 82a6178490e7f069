"""The manual review queue: held authorisations decided by a person before they expire.

Decisions with ``action == "review"`` become cases (:mod:`review_queue.consumer`);
analysts claim, approve, decline or escalate them (:mod:`review_queue.workflow`)
through the REST API and the web UI (:mod:`review_queue.app`); unclaimed cases get the
default action at their SLA (:mod:`review_queue.sla`); capture/void commands and
labels leave through the outbox (:mod:`review_queue.outbox`). Every action is audited.
"""

from review_queue.annotations import CaseAnnotations, check_text
from review_queue.api import create_review_router
from review_queue.app import create_app, install_review_queue
from review_queue.commands import label_id_for, settlement_command_id
from review_queue.consumer import DecisionIngestor, decode_decision
from review_queue.errors import (
    CaseClosed,
    CaseNotFound,
    ConcurrentChange,
    InvalidInput,
    InvalidTransition,
    LeaseHeld,
    LeaseRequired,
    ListUnavailable,
    ReviewError,
    ReviewForbidden,
)
from review_queue.ingest import IngestResult, record_decisions
from review_queue.lists import InMemoryListWriter, ListEntity, ListKind, ListWriter, list_name
from review_queue.outbox import OutboxPublisher
from review_queue.pages import create_review_pages
from review_queue.priority import PriorityPolicy
from review_queue.queries import QueueFilter
from review_queue.service import ReviewService
from review_queue.sla import SlaEnforcer, run_sla_sweeper
from review_queue.views import CaseDetail, CaseStatus, CaseView, QueuePage
from review_queue.workers import run_review_workers
from review_queue.workflow import ActionResult, DeclineReason, ReviewWorkflow

__all__ = [
    "ActionResult",
    "CaseAnnotations",
    "CaseClosed",
    "CaseDetail",
    "CaseNotFound",
    "CaseStatus",
    "CaseView",
    "ConcurrentChange",
    "DecisionIngestor",
    "DeclineReason",
    "InMemoryListWriter",
    "IngestResult",
    "InvalidInput",
    "InvalidTransition",
    "LeaseHeld",
    "LeaseRequired",
    "ListEntity",
    "ListKind",
    "ListUnavailable",
    "ListWriter",
    "OutboxPublisher",
    "PriorityPolicy",
    "QueueFilter",
    "QueuePage",
    "ReviewError",
    "ReviewForbidden",
    "ReviewService",
    "ReviewWorkflow",
    "SlaEnforcer",
    "check_text",
    "create_app",
    "create_review_pages",
    "create_review_router",
    "decode_decision",
    "install_review_queue",
    "label_id_for",
    "list_name",
    "record_decisions",
    "run_review_workers",
    "run_sla_sweeper",
    "settlement_command_id",
]
