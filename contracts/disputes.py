"""Disputes, early fraud warnings and refunds, as they travel on the ``chargebacks`` topic.

A card processor tells the merchant, weeks after the payment, that a cardholder
disputed it (a chargeback), that the issuer reported it as fraud (an early fraud
warning), or that it was refunded. :class:`DisputeEvent` is the processor-neutral form
of each such notice; the ``disputes`` package also accepts the processor's own event
JSON on the topic and through its signed webhook, and turns each into labels.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["DISPUTE_KINDS", "DisputeEvent", "DisputeKind"]

DisputeKind = Literal["chargeback", "early_fraud_warning", "refund"]
DISPUTE_KINDS: tuple[DisputeKind, ...] = ("chargeback", "early_fraud_warning", "refund")

_ID = r"^[A-Za-z0-9_\-]+$"


class DisputeEvent(BaseModel):
    """One notice about an earlier payment. Idempotent by ``event_id``.

    ``object_id`` names the dispute, warning or refund itself (``dp_…``, ``issfr_…``,
    ``re_…``); several events (created, updated, closed) can share it, and it gets at
    most one label. ``transaction_id`` is the payment's id as the engine knows it
    (``pi_…``); ``charge_id`` is the processor's charge id, tried when it is missing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_id: str = Field(min_length=1, max_length=255, pattern=_ID)
    kind: DisputeKind
    object_id: str = Field(min_length=1, max_length=255, pattern=_ID)
    transaction_id: str | None = Field(default=None, min_length=1, max_length=255, pattern=_ID)
    charge_id: str | None = Field(default=None, min_length=1, max_length=255, pattern=_ID)
    # The processor's reason (``fraudulent``, ``product_not_received``, ``made_with_stolen
    # _card``, ``requested_by_customer``…) and, when known, the card network's code
    # (Visa ``10.4``, Mastercard ``4837``).
    reason: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    network_reason_code: str | None = Field(
        default=None, min_length=1, max_length=16, pattern=r"^[A-Za-z0-9.]+$"
    )
    status: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9_]*$")
    amount: int | None = Field(default=None, ge=0, le=10**12)  # minor units
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    processor: str = Field(default="stripe", min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    livemode: bool = False
    occurred_at: AwareDatetime  # when the processor created the notice
