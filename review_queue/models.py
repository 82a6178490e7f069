"""Tables of the review queue: the decision log, cases, notes, actions, the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, BigId, UTCDateTime

__all__ = [
    "CaseAction",
    "CaseNote",
    "DecisionLogEntry",
    "DecisionRuleHit",
    "OutboxMessage",
    "ReviewCase",
]


class DecisionLogEntry(Base):
    """Every decision from the stream, once per transaction, with its full JSON.

    The case page reads a card's recent history from it; dashboards slice it later.
    """

    __tablename__ = "decision_log"
    __table_args__ = (
        Index(None, "card_fingerprint", "event_time"),
        Index(None, "merchant_id", "decided_at"),
        Index(None, "action", "decided_at"),
        Index(None, "decided_at"),
    )

    transaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(255))
    card_fingerprint: Mapped[str] = mapped_column(String(255))
    card_brand: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    mode: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(255))
    rule_set_version: Mapped[str] = mapped_column(String(255))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text)  # the Decision as JSON
    # Slices for dashboards and reports (null on rows logged before revision 0004).
    card_bin: Mapped[str | None] = mapped_column(String(8))
    card_country: Mapped[str | None] = mapped_column(String(2))
    channel: Mapped[str | None] = mapped_column(String(32))
    latency_ms: Mapped[float | None] = mapped_column(Float)


class DecisionRuleHit(Base):
    """Each rule that fired on a logged decision: rule hit rates and precision by label."""

    __tablename__ = "decision_rule_hits"
    __table_args__ = (Index(None, "decided_at"), Index(None, "rule_id", "decided_at"))

    transaction_id: Mapped[str] = mapped_column(
        String(255),
        ForeignKey("decision_log.transaction_id", ondelete="CASCADE"),
        primary_key=True,
    )
    rule_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    shadow: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewCase(Base):
    """A transaction held for review: authorised, not captured, waiting for a person."""

    __tablename__ = "review_cases"
    __table_args__ = (
        Index(None, "status", "priority_at"),
        Index(None, "status", "sla_due_at"),
        Index(None, "merchant_id"),
        Index(None, "lease_owner"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(String(255), unique=True)
    merchant_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    card_brand: Mapped[str] = mapped_column(String(32))
    card_bin: Mapped[str] = mapped_column(String(8))
    card_last4: Mapped[str] = mapped_column(String(4))
    card_country: Mapped[str] = mapped_column(String(2))
    card_fingerprint: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    reason_codes: Mapped[str] = mapped_column(Text)  # "|code|code|" for LIKE filters
    primary_reason: Mapped[str] = mapped_column(String(255))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    auth_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    priority_at: Mapped[datetime] = mapped_column(UTCDateTime())  # see review_queue.priority
    status: Mapped[str] = mapped_column(String(24))
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_by: Mapped[str | None] = mapped_column(String(255))
    approval_requested_by: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(String(16))  # capture | void
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)


class CaseNote(Base):
    __tablename__ = "review_case_notes"
    __table_args__ = (Index(None, "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("review_cases.id", ondelete="CASCADE")
    )
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseAction(Base):
    """The case's timeline: each state change or action, who did it and when."""

    __tablename__ = "review_case_actions"
    __table_args__ = (Index(None, "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("review_cases.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A message to publish, written in the same transaction as the change that caused it.

    ``dedupe_key`` is unique: one settlement command (capture or void) per transaction,
    one analyst label per transaction, whatever happens.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "published_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))  # logical topic name
    message_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
