"""Tables of the audit log: the append-only records and the chain head.

The chain head is one row that every append locks (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite transactions already hold the write lock). It remembers the last
record's id and hash, so deleting the newest records is detected too, and the
*anchor*: the id and hash of the last record removed by retention pruning.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, BigId, UTCDateTime

__all__ = ["CHAIN_HEAD_ID", "GENESIS_HASH", "AuditChainHead", "AuditRecord"]

GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1


class AuditRecord(Base):
    """One audited action. Never updated, never deleted except by retention pruning."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "transaction_id"),
        Index(None, "recorded_at"),
        Index(None, "event_type", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255))
    environment: Mapped[str] = mapped_column(String(32))
    merchant_id: Mapped[str | None] = mapped_column(String(255))
    command: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(255))
    target: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    outcome: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    trace_id: Mapped[str | None] = mapped_column(String(64))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row that serialises appends and pins the chain's ends."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_id: Mapped[int] = mapped_column(BigInteger)  # last pruned id; 0 = none
    anchor_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
