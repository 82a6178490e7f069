"""Decisions into the database: every decision logged once, a case per ``review``.

Pure database logic, called by the stream consumer (:mod:`review_queue.consumer`)
with a batch of decoded decisions. Idempotent by transaction id: a redelivered
decision inserts nothing (``INSERT … ON CONFLICT DO NOTHING`` on both tables) and
audits nothing, so at-least-once delivery opens each case exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from audit import AuditEvent, AuditLog
from contracts import Decision
from contracts.pci import scan_document
from db import insert_ignore
from review_queue.models import DecisionLogEntry, DecisionRuleHit, ReviewCase
from review_queue.priority import PriorityPolicy

__all__ = ["IngestResult", "decision_problems", "reason_codes", "record_decisions"]

INGESTOR = "system:ingestor"
_decisions: Table = DecisionLogEntry.__table__  # type: ignore[assignment]
_cases: Table = ReviewCase.__table__  # type: ignore[assignment]
_hits: Table = DecisionRuleHit.__table__  # type: ignore[assignment]

_MAX_LENGTHS = {
    "transaction_id": 255,
    "merchant_id": 255,
    "customer_id": 255,
    "currency": 3,
    "card_brand": 32,
    "card_bin": 8,
    "card_last4": 4,
    "card_country": 2,
    "card_fingerprint": 255,
    "channel": 32,
    "model_version": 255,
    "rule_set_version": 255,
}
MAX_AMOUNT = 2**63 - 1
MAX_RULE_ID = 128


@dataclass(frozen=True, slots=True)
class IngestResult:
    decisions_recorded: int
    cases_opened: tuple[str, ...]  # transaction ids
    duplicates: int


def decision_problems(decision: Decision) -> list[str]:
    """Why the database would refuse this decision (empty: fine). Never names values."""
    problems = []
    for name, limit in _MAX_LENGTHS.items():
        value = getattr(decision, name)
        if value is None:
            continue
        if not value or len(value) > limit:
            problems.append(f"{name}: must be 1-{limit} characters")
        elif any(ord(ch) < 32 for ch in value):
            problems.append(f"{name}: control characters are not allowed")
    if not 0 <= decision.amount <= MAX_AMOUNT:
        problems.append("amount: must be a non-negative integer in minor units")
    for index, hit in enumerate(decision.rule_hits):
        if not 0 < len(hit.rule_id) <= MAX_RULE_ID or any(ord(ch) < 32 for ch in hit.rule_id):
            problems.append(
                f"rule_hits.{index}.rule_id: must be 1-{MAX_RULE_ID} printable characters"
            )
    findings = scan_document(decision.model_dump(mode="json"))
    problems.extend(f"{finding.path}: carries card data ({finding.kind})" for finding in findings)
    return problems


def reason_codes(decision: Decision) -> list[str]:
    """The decision's reason codes and acting rule hits, in order, without repeats."""
    codes: list[str] = []
    for code in [r.code for r in decision.reasons] + [
        h.reason_code for h in decision.rule_hits if not h.shadow
    ]:
        if code and code not in codes:
            codes.append(code)
    return codes


def _primary_reason(decision: Decision) -> str:
    if decision.reasons:
        reason = decision.reasons[0]
        return (reason.text or reason.code)[:255]
    hits = [h for h in decision.rule_hits if not h.shadow]
    if hits:
        return f"rule {hits[0].rule_id}"[:255]
    return "held for review"


def _log_row(decision: Decision, now: datetime) -> dict[str, Any]:
    return {
        "transaction_id": decision.transaction_id,
        "merchant_id": decision.merchant_id,
        "card_fingerprint": decision.card_fingerprint,
        "card_brand": decision.card_brand,
        "action": decision.action,
        "score": decision.score,
        "amount": decision.amount,
        "currency": decision.currency,
        "mode": decision.mode,
        "model_version": decision.model_version,
        "rule_set_version": decision.rule_set_version,
        "event_time": decision.event_time.astimezone(UTC),
        "decided_at": decision.decided_at.astimezone(UTC),
        "recorded_at": now,
        "payload": decision.model_dump_json(),
        "card_bin": decision.card_bin,
        "card_country": decision.card_country,
        "channel": decision.channel,
        "latency_ms": decision.latency_ms,
    }


def _hit_rows(decision: Decision) -> list[dict[str, Any]]:
    seen: set[str] = set()
    rows = []
    for hit in decision.rule_hits:
        if hit.rule_id in seen:
            continue
        seen.add(hit.rule_id)
        rows.append(
            {
                "transaction_id": decision.transaction_id,
                "rule_id": hit.rule_id,
                "action": hit.action,
                "shadow": hit.shadow,
                "decided_at": decision.decided_at.astimezone(UTC),
            }
        )
    return rows


def _case_row(decision: Decision, policy: PriorityPolicy, now: datetime) -> dict[str, Any]:
    authorised_at = decision.event_time.astimezone(UTC)
    sla_due_at = policy.sla_due_at(decision.card_brand, authorised_at)
    codes = reason_codes(decision)
    return {
        "transaction_id": decision.transaction_id,
        "merchant_id": decision.merchant_id,
        "customer_id": decision.customer_id,
        "amount": decision.amount,
        "currency": decision.currency,
        "card_brand": decision.card_brand,
        "card_bin": decision.card_bin,
        "card_last4": decision.card_last4,
        "card_country": decision.card_country,
        "card_fingerprint": decision.card_fingerprint,
        "channel": decision.channel,
        "score": decision.score,
        "reason_codes": "|" + "|".join(codes) + "|" if codes else "",
        "primary_reason": _primary_reason(decision),
        "event_time": authorised_at,
        "created_at": now,
        "auth_expires_at": policy.auth_expires_at(decision.card_brand, authorised_at),
        "sla_due_at": sla_due_at,
        "priority_at": policy.priority_at(
            sla_due_at, decision.score, decision.amount, decision.currency
        ),
        "status": "open",
        "version": 1,
    }


def record_decisions(
    session: Session,
    decisions: Sequence[Decision],
    *,
    policy: PriorityPolicy,
    now: datetime,
    audit: AuditLog | None = None,
    positions: Mapping[str, str] | None = None,
) -> IngestResult:
    """Log each decision once and open a case for each new ``review`` decision.

    ``positions`` maps a transaction id to where its message came from (for example
    ``decisions/3@1200``); it becomes the audit record's trace id.
    """
    unique: dict[str, Decision] = {}
    for decision in decisions:
        unique.setdefault(decision.transaction_id, decision)
    new_ids = set(
        insert_ignore(
            session,
            _decisions,
            [_log_row(d, now) for d in unique.values()],
            conflict_columns=["transaction_id"],
            returning=_decisions.c.transaction_id,
        )
    )
    hit_rows = [row for d in unique.values() if d.transaction_id in new_ids for row in _hit_rows(d)]
    if hit_rows:
        insert_ignore(
            session,
            _hits,
            hit_rows,
            conflict_columns=["transaction_id", "rule_id"],
            returning=_hits.c.rule_id,
        )
    reviews = [d for d in unique.values() if d.action == "review"]
    opened = insert_ignore(
        session,
        _cases,
        [_case_row(d, policy, now) for d in reviews],
        conflict_columns=["transaction_id"],
        returning=_cases.c.transaction_id,
    )
    if audit is not None:
        events = [
            _decision_event(d, positions) for d in unique.values() if d.transaction_id in new_ids
        ]
        opened_set = set(opened)
        events.extend(_case_event(d, positions) for d in reviews if d.transaction_id in opened_set)
        audit.append_many(session, events)
    return IngestResult(
        decisions_recorded=len(new_ids),
        cases_opened=tuple(opened),
        duplicates=len(decisions) - len(new_ids),
    )


def _decision_event(decision: Decision, positions: Mapping[str, str] | None) -> AuditEvent:
    return AuditEvent(
        event_type="decision.recorded",
        actor=INGESTOR,
        command="score",
        merchant_id=decision.merchant_id,
        transaction_id=decision.transaction_id,
        amount=decision.amount,
        currency=decision.currency,
        outcome=decision.action,
        trace_id=(positions or {}).get(decision.transaction_id),
        after={
            "score": decision.score,
            "mode": decision.mode,
            "model_version": decision.model_version,
            "rule_set_version": decision.rule_set_version,
            "rule_hits": [h.rule_id for h in decision.rule_hits],
            "decided_at": decision.decided_at,
        },
    )


def _case_event(decision: Decision, positions: Mapping[str, str] | None) -> AuditEvent:
    return AuditEvent(
        event_type="review.case_opened",
        actor=INGESTOR,
        command="open_case",
        merchant_id=decision.merchant_id,
        transaction_id=decision.transaction_id,
        amount=decision.amount,
        currency=decision.currency,
        outcome="open",
        trace_id=(positions or {}).get(decision.transaction_id),
        after={"status": "open", "reasons": reason_codes(decision)},
    )
