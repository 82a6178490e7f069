"""chargebacks and monitoring: decision slices, rule hits, disputes, deliveries, labels

Revision ID: 0004_chargebacks_monitoring
Revises: 0003_review_queue
Create Date: 2026-11-27
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_chargebacks_monitoring"
down_revision: str | None = "0003_review_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
_BACKFILL_BATCH = 1000


def _backfill_decision_slices() -> None:
    """Fill the new decision_log columns and rule hits from each row's decision JSON."""
    connection = op.get_bind()
    log = sa.table(
        "decision_log",
        sa.column("transaction_id", sa.String),
        sa.column("payload", sa.Text),
        sa.column("decided_at", Timestamp),
        sa.column("card_bin", sa.String),
        sa.column("card_country", sa.String),
        sa.column("channel", sa.String),
        sa.column("latency_ms", sa.Float),
    )
    hits = sa.table(
        "decision_rule_hits",
        sa.column("transaction_id", sa.String),
        sa.column("rule_id", sa.String),
        sa.column("action", sa.String),
        sa.column("shadow", sa.Boolean),
        sa.column("decided_at", Timestamp),
    )
    after = ""
    while True:
        rows = connection.execute(
            sa.select(log.c.transaction_id, log.c.payload, log.c.decided_at)
            .where(log.c.transaction_id > after)
            .order_by(log.c.transaction_id)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        hit_rows = []
        for row in rows:
            decision = json.loads(row.payload)
            connection.execute(
                sa.update(log)
                .where(log.c.transaction_id == row.transaction_id)
                .values(
                    card_bin=str(decision.get("card_bin") or "")[:8] or None,
                    card_country=str(decision.get("card_country") or "")[:2] or None,
                    channel=str(decision.get("channel") or "")[:32] or None,
                    latency_ms=decision.get("latency_ms"),
                )
            )
            seen = set()
            for hit in decision.get("rule_hits") or ():
                rule_id = str(hit.get("rule_id", ""))[:128]
                if rule_id and rule_id not in seen:
                    seen.add(rule_id)
                    hit_rows.append(
                        {
                            "transaction_id": row.transaction_id,
                            "rule_id": rule_id,
                            "action": str(hit.get("action", ""))[:16],
                            "shadow": bool(hit.get("shadow", False)),
                            "decided_at": row.decided_at,
                        }
                    )
        if hit_rows:
            connection.execute(sa.insert(hits), hit_rows)
        after = rows[-1].transaction_id


def upgrade() -> None:
    with op.batch_alter_table("decision_log") as batch:
        batch.add_column(sa.Column("card_bin", sa.String(8)))
        batch.add_column(sa.Column("card_country", sa.String(2)))
        batch.add_column(sa.Column("channel", sa.String(32)))
        batch.add_column(sa.Column("latency_ms", sa.Float()))

    op.create_table(
        "decision_rule_hits",
        sa.Column("transaction_id", sa.String(255), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("decided_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", "rule_id", name="pk_decision_rule_hits"),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["decision_log.transaction_id"],
            name="fk_decision_rule_hits_transaction_id_decision_log",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_decision_rule_hits_decided_at", "decision_rule_hits", ["decided_at"])
    op.create_index(
        "ix_decision_rule_hits_rule_id_decided_at", "decision_rule_hits", ["rule_id", "decided_at"]
    )
    _backfill_decision_slices()

    op.create_table(
        "disputes",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(255), nullable=False),
        sa.Column("transaction_id", sa.String(255)),
        sa.Column("charge_id", sa.String(255)),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("network_reason_code", sa.String(16)),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("is_fraud", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(64)),
        sa.Column("amount", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("processor", sa.String(32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("matched_at", Timestamp),
        sa.Column("merchant_id", sa.String(255)),
        sa.Column("label_id", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
        sa.UniqueConstraint("event_id", name="uq_disputes_event_id"),
    )
    op.create_index("ix_disputes_transaction_id", "disputes", ["transaction_id"])
    op.create_index("ix_disputes_object_id", "disputes", ["object_id"])
    op.create_index("ix_disputes_matched_received_at", "disputes", ["matched", "received_at"])
    op.create_index("ix_disputes_received_at", "disputes", ["received_at"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("signed_at", Timestamp, nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_received_at", "webhook_deliveries", ["received_at"])

    op.create_table(
        "label_log",
        sa.Column("label_id", sa.String(255), nullable=False),
        sa.Column("transaction_id", sa.String(255), nullable=False),
        sa.Column("is_fraud", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("merchant_id", sa.String(255)),
        sa.Column("card_bin", sa.String(8)),
        sa.Column("amount", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("event_time", Timestamp),
        sa.Column("reported_at", Timestamp, nullable=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("label_id", name="pk_label_log"),
    )
    op.create_index("ix_label_log_transaction_id", "label_log", ["transaction_id"])
    op.create_index("ix_label_log_reported_at", "label_log", ["reported_at"])


def downgrade() -> None:
    op.drop_table("label_log")
    op.drop_table("webhook_deliveries")
    op.drop_table("disputes")
    op.drop_table("decision_rule_hits")
    with op.batch_alter_table("decision_log") as batch:
        batch.drop_column("latency_ms")
        batch.drop_column("channel")
        batch.drop_column("card_country")
        batch.drop_column("card_bin")
