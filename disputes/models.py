"""Tables of the disputes package: disputes as received, signed deliveries, the label store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, BigId, UTCDateTime

__all__ = ["DisputeRecord", "LabelRecord", "WebhookDelivery"]


class DisputeRecord(Base):
    """Every chargeback, early fraud warning and refund notice, matched or not.

    Unmatched notices (no decision with that transaction id yet) are kept with
    ``matched = false``, shown on the dashboard and matched again later; nothing is
    dropped. Only the processor-neutral fields are stored, never the raw body.
    """

    __tablename__ = "disputes"
    __table_args__ = (
        Index(None, "transaction_id"),
        Index(None, "object_id"),
        Index(None, "matched", "received_at"),
        Index(None, "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str | None] = mapped_column(String(255))
    charge_id: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(64))
    network_reason_code: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    is_fraud: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    processor: Mapped[str] = mapped_column(String(32))
    livemode: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(16))  # webhook | stream
    body_sha256: Mapped[str] = mapped_column(String(64))
    matched: Mapped[bool] = mapped_column(Boolean)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    merchant_id: Mapped[str | None] = mapped_column(String(255))
    label_id: Mapped[str | None] = mapped_column(String(255))


class WebhookDelivery(Base):
    """Signed deliveries already accepted: the same signature twice is a replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "received_at"),)

    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabelRecord(Base):
    """Every label the engine learned (chargebacks, warnings, refunds, analysts, imports).

    The queryable twin of the ``labels`` topic, for dashboards and reports. One row
    per ``label_id``; a transaction can have several labels.
    """

    __tablename__ = "label_log"
    __table_args__ = (Index(None, "transaction_id"), Index(None, "reported_at"))

    label_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(255))
    is_fraud: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    merchant_id: Mapped[str | None] = mapped_column(String(255))
    card_bin: Mapped[str | None] = mapped_column(String(8))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    event_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
