"""Labels and payment commands: what flows back once people and processors have spoken.

Labels arrive late (a chargeback takes weeks). Each carries the original
transaction's event time and merchant so that delayed-label features can be kept
point-in-time correct: at event time *t* only labels with ``reported_at <= t`` count.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["LabelEvent", "LabelSource", "PaymentCommand"]

LabelSource = Literal[
    "chargeback", "fraud_report", "early_fraud_warning", "analyst", "refund", "simulator"
]


class LabelEvent(BaseModel):
    """The truth about one transaction, as far as it is known at ``reported_at``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    label_id: str = Field(min_length=1, max_length=255)  # idempotency key
    transaction_id: str = Field(min_length=1, max_length=255)
    is_fraud: bool
    # e.g. "fraud", "service_dispute", "analyst_declined", "analyst_approved"
    category: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    source: LabelSource
    merchant_id: str | None = None
    card_bin: str | None = Field(default=None, pattern=r"^[0-9]{6,8}$")
    card_fingerprint: str | None = None
    amount: int | None = Field(default=None, ge=0)
    currency: str | None = None
    event_time: AwareDatetime | None = None  # the transaction's own event time
    reported_at: AwareDatetime


class PaymentCommand(BaseModel):
    """Capture or void an authorization held for review. Idempotent by ``command_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    command_id: str = Field(min_length=1, max_length=255)
    command: Literal["capture", "void"]
    transaction_id: str
    merchant_id: str
    amount: int = Field(ge=0)
    currency: str
    reason: str
    issued_by: str  # the analyst, or "system:sla" for a default action on expiry
    issued_at: AwareDatetime
