"""Decode and validate raw events at the boundary: PCI guard, schema, policy.

Order matters: the PCI scan runs on the decoded document *before* the schema, so card
data is reported as a PCI violation wherever it hides (an unknown field, metadata, a
misspelt key) and the schema's error text never gets a chance to quote it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import ValidationError

from contracts.errors import FieldError, InvalidEvent
from contracts.events import TransactionEvent
from contracts.pci import (
    contains_pan,
    contains_secret_key,
    is_forbidden_field_name,
    raw_may_hold_card_data,
    scan_document,
)
from contracts.policy import BoundaryPolicy

__all__ = ["EventDecoder", "safe_transaction_id"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")
_FINDING_MESSAGES = {
    "card_number": "card numbers are never accepted; send the payment-method token",
    "forbidden_field": "card numbers, CVVs and expiry dates are never accepted; remove this field",
    "secret_key": "secret keys are never accepted; remove it (and rotate the key)",
}


def _loc(parts: tuple[int | str, ...]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text or "$"


def safe_transaction_id(document: object) -> str | None:
    """The document's transaction id when it is a plain token free of card data."""
    if not isinstance(document, dict):
        return None
    value = document.get("transaction_id")
    if (
        isinstance(value, str)
        and _SAFE_ID.match(value)
        and not contains_pan(value)
        and not contains_secret_key(value)
    ):
        return value
    return None


class EventDecoder:
    """Turns raw bytes into a :class:`TransactionEvent` or raises :class:`InvalidEvent`."""

    def __init__(self, policy: BoundaryPolicy) -> None:
        self._policy = policy

    def decode(self, raw: bytes | str) -> TransactionEvent:
        try:
            document: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            if contains_pan(text):
                raise InvalidEvent(
                    "pci_violation",
                    (FieldError("$", "card_number", "the payload carries a card number"),),
                ) from None
            if contains_secret_key(text):
                raise InvalidEvent(
                    "pci_violation",
                    (FieldError("$", "secret_key", "the payload carries a secret key"),),
                ) from None
            raise InvalidEvent(
                "invalid_json",
                (FieldError("$", "invalid_json", "the payload is not valid UTF-8 JSON"),),
            ) from None
        raw_bytes = raw.encode() if isinstance(raw, str) else raw
        if not raw_may_hold_card_data(raw_bytes) and isinstance(document, dict):
            return self._validate_clean(document)
        return self.validate(document)

    def _validate_clean(self, document: dict[str, Any]) -> TransactionEvent:
        """The fast path for a payload whose text holds no card-like digit run.

        No value can carry a card number, and a valid event has only known field
        names; so the PCI check left is the free-form metadata keys. Anything that
        fails validation takes the full path, which reports card data first.
        """
        try:
            event = TransactionEvent.model_validate(document)
        except ValidationError:
            return self.validate(document)
        if any(is_forbidden_field_name(key) for key in event.metadata):
            return self.validate(document)
        return self._checked(event)

    def _checked(self, event: TransactionEvent) -> TransactionEvent:
        problems = self._policy.check(event)
        if problems:
            raise InvalidEvent("policy", problems, transaction_id=event.transaction_id)
        return event

    def validate(self, document: Any) -> TransactionEvent:
        """Validate an already-decoded JSON document (card data is looked for first)."""
        findings = scan_document(document)
        if findings:
            raise InvalidEvent(
                "pci_violation",
                tuple(FieldError(f.path, f.kind, _FINDING_MESSAGES[f.kind]) for f in findings),
                transaction_id=safe_transaction_id(document),
            )
        if not isinstance(document, dict):
            raise InvalidEvent(
                "invalid_json",
                (FieldError("$", "not_an_object", "the payload must be a JSON object"),),
            )
        try:
            event = TransactionEvent.model_validate(document)
        except ValidationError as exc:
            raise InvalidEvent(
                "schema",
                tuple(
                    FieldError(_loc(err["loc"]), err["type"], err["msg"])
                    for err in exc.errors(include_url=False, include_input=False)
                ),
                transaction_id=safe_transaction_id(document),
            ) from None
        return self._checked(event)
