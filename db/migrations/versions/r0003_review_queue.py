"""review queue: decision log, cases, notes, actions, outbox

Revision ID: 0003_review_queue
Revises: 0002_access
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_review_queue"
down_revision: str | None = "0002_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decision_log",
        sa.Column("transaction_id", sa.String(255), nullable=False),
        sa.Column("merchant_id", sa.String(255), nullable=False),
        sa.Column("card_fingerprint", sa.String(255), nullable=False),
        sa.Column("card_brand", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("score", sa.Float()),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(255)),
        sa.Column("rule_set_version", sa.String(255), nullable=False),
        sa.Column("event_time", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_decision_log"),
    )
    op.create_index(
        "ix_decision_log_card_fingerprint_event_time",
        "decision_log",
        ["card_fingerprint", "event_time"],
    )
    op.create_index(
        "ix_decision_log_merchant_id_decided_at", "decision_log", ["merchant_id", "decided_at"]
    )
    op.create_index("ix_decision_log_action_decided_at", "decision_log", ["action", "decided_at"])
    op.create_index("ix_decision_log_decided_at", "decision_log", ["decided_at"])

    op.create_table(
        "review_cases",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("transaction_id", sa.String(255), nullable=False),
        sa.Column("merchant_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255)),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("card_brand", sa.String(32), nullable=False),
        sa.Column("card_bin", sa.String(8), nullable=False),
        sa.Column("card_last4", sa.String(4), nullable=False),
        sa.Column("card_country", sa.String(2), nullable=False),
        sa.Column("card_fingerprint", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("score", sa.Float()),
        sa.Column("reason_codes", sa.Text(), nullable=False),
        sa.Column("primary_reason", sa.String(255), nullable=False),
        sa.Column("event_time", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("auth_expires_at", Timestamp, nullable=False),
        sa.Column("sla_due_at", Timestamp, nullable=False),
        sa.Column("priority_at", Timestamp, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("lease_owner", sa.String(255)),
        sa.Column("lease_expires_at", Timestamp),
        sa.Column("escalated_by", sa.String(255)),
        sa.Column("approval_requested_by", sa.String(255)),
        sa.Column("resolution", sa.String(16)),
        sa.Column("resolved_by", sa.String(255)),
        sa.Column("resolved_at", Timestamp),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_cases"),
        sa.UniqueConstraint("transaction_id", name="uq_review_cases_transaction_id"),
    )
    op.create_index("ix_review_cases_status_priority_at", "review_cases", ["status", "priority_at"])
    op.create_index("ix_review_cases_status_sla_due_at", "review_cases", ["status", "sla_due_at"])
    op.create_index("ix_review_cases_merchant_id", "review_cases", ["merchant_id"])
    op.create_index("ix_review_cases_lease_owner", "review_cases", ["lease_owner"])

    for table, extra in (
        (
            "review_case_notes",
            [
                sa.Column("author", sa.String(255), nullable=False),
                sa.Column("body", sa.Text(), nullable=False),
            ],
        ),
        (
            "review_case_actions",
            [
                sa.Column("actor", sa.String(255), nullable=False),
                sa.Column("action", sa.String(32), nullable=False),
                sa.Column("from_status", sa.String(24)),
                sa.Column("to_status", sa.String(24)),
                sa.Column("detail", sa.Text()),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("id", BigId, nullable=False, autoincrement=True),
            sa.Column("case_id", sa.BigInteger(), nullable=False),
            *extra,
            sa.Column("created_at", Timestamp, nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["review_cases.id"],
                name=f"fk_{table}_case_id_review_cases",
                ondelete="CASCADE",
            ),
        )
        op.create_index(f"ix_{table}_case_id_id", table, ["case_id", "id"])

    op.create_table(
        "outbox",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("message_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("published_at", Timestamp),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_published_at_id", "outbox", ["published_at", "id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("review_case_actions")
    op.drop_table("review_case_notes")
    op.drop_table("review_cases")
    op.drop_table("decision_log")
