"""audit log: hash-chained records and the chain head

Revision ID: 0001_audit_log
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_audit_log"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False, autoincrement=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("merchant_id", sa.String(255)),
        sa.Column("command", sa.String(64)),
        sa.Column("transaction_id", sa.String(255)),
        sa.Column("target", sa.String(255)),
        sa.Column("amount", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("outcome", sa.String(64)),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("trace_id", sa.String(64)),
        sa.Column("before_json", sa.Text()),
        sa.Column("after_json", sa.Text()),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_transaction_id", "audit_log", ["transaction_id"])
    op.create_index("ix_audit_log_recorded_at", "audit_log", ["recorded_at"])
    op.create_index(
        "ix_audit_log_event_type_recorded_at", "audit_log", ["event_type", "recorded_at"]
    )
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("anchor_id", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", Timestamp),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
    )
    genesis = "0" * 64
    op.bulk_insert(
        head,
        [{"id": 1, "last_id": 0, "last_hash": genesis, "anchor_id": 0, "anchor_hash": genesis}],
    )


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_table("audit_log")
