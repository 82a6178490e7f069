"""Records written to the side topics: PCI-violation alerts and dead letters.

Neither ever carries card data. A dead letter keeps the original payload (so a fixed
event can be replayed and nothing accepted is lost) unless the payload held card
data, in which case the payload is dropped and only the alert remains.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from contracts.errors import InvalidEvent, RejectionReason

__all__ = [
    "DeadLetter",
    "ErrorDetail",
    "MessagePosition",
    "PciAlert",
    "PciFindingRecord",
    "dead_letter_for",
    "pci_alert_for",
]


class MessagePosition(BaseModel):
    """Where a message came from: a topic position, or an HTTP request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["stream", "http"]
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


class PciFindingRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    kind: Literal["card_number", "forbidden_field", "secret_key"]


class PciAlert(BaseModel):
    """Card data reached the boundary. Says where, never what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_type: Literal["pci_violation"] = "pci_violation"
    alert_id: str
    findings: tuple[PciFindingRecord, ...]
    transaction_id: str | None
    position: MessagePosition
    detected_at: AwareDatetime


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    loc: str
    code: str
    message: str


class DeadLetter(BaseModel):
    """A message that could not be handled, with the reason and its position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: RejectionReason | Literal["processing_error"]
    errors: tuple[ErrorDetail, ...]
    transaction_id: str | None
    position: MessagePosition
    received_at: AwareDatetime
    payload: str | None  # the original bytes as text; None when they held card data


_FINDING_KINDS: dict[str, Literal["card_number", "forbidden_field", "secret_key"]] = {
    "card_number": "card_number",
    "secret_key": "secret_key",
}


def pci_alert_for(exc: InvalidEvent, position: MessagePosition, now: datetime) -> PciAlert:
    """The alert for a refused event that carried card data (paths only, never values)."""
    return PciAlert(
        alert_id=uuid.uuid4().hex,
        findings=tuple(
            PciFindingRecord(
                path=error.loc,
                kind=_FINDING_KINDS.get(error.code, "forbidden_field"),
            )
            for error in exc.errors
        ),
        transaction_id=exc.transaction_id,
        position=position,
        detected_at=now,
    )


def dead_letter_for(
    exc: InvalidEvent, position: MessagePosition, now: datetime, payload: bytes | None
) -> DeadLetter:
    """The dead letter for a refused event; the payload is dropped if it held card data."""
    keep = exc.reason != "pci_violation" and payload is not None
    return DeadLetter(
        reason=exc.reason,
        errors=tuple(ErrorDetail(loc=e.loc, code=e.code, message=e.message) for e in exc.errors),
        transaction_id=exc.transaction_id,
        position=position,
        received_at=now,
        payload=payload.decode("utf-8", "replace") if keep and payload is not None else None,
    )
