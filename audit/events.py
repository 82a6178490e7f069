"""What an audit record says, and how it is hashed.

Canonical form (what auditors re-hash): the record's fields as a JSON object with
sorted keys, no spaces, UTF-8, ``recorded_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
``before``/``after`` as the stored JSON text (or null), and ``prev_hash``; the
record's ``row_hash`` is the SHA-256 hex digest of that text. The first record's
``prev_hash`` is 64 zeros (or, after pruning, the last pruned record's hash).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit.errors import InvalidAuditEvent
from contracts.pci import contains_pan, is_forbidden_field_name, mask_card_data

__all__ = [
    "HASHED_FIELDS",
    "AuditEvent",
    "canonical_json",
    "format_timestamp",
    "row_digest",
    "sanitize",
]

_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")
REDACTED = "[redacted]"

# The columns that go into a record's hash, in addition to prev_hash.
HASHED_FIELDS: tuple[str, ...] = (
    "id",
    "recorded_at",
    "event_type",
    "actor",
    "environment",
    "merchant_id",
    "command",
    "transaction_id",
    "target",
    "amount",
    "currency",
    "outcome",
    "client_ip",
    "idempotency_key",
    "trace_id",
    "before_json",
    "after_json",
    "prev_hash",
)

_LIMITS = {
    "actor": 255,
    "merchant_id": 255,
    "command": 64,
    "transaction_id": 255,
    "target": 255,
    "currency": 3,
    "outcome": 64,
    "client_ip": 64,
    "idempotency_key": 255,
    "trace_id": 64,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """One action to audit. Generic: any package can record its changes.

    ``event_type`` is dotted lower case (``review.approved``, ``list.added``,
    ``rule.changed``, ``model.promoted``). ``before``/``after`` are JSON-ready dicts
    describing the state around the change.
    """

    event_type: str
    actor: str
    merchant_id: str | None = None
    command: str | None = None
    transaction_id: str | None = None
    target: str | None = None
    amount: int | None = None
    currency: str | None = None
    outcome: str | None = None
    client_ip: str | None = None
    idempotency_key: str | None = None
    trace_id: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if len(self.event_type) > 64 or not _EVENT_TYPE.match(self.event_type):
            raise InvalidAuditEvent(
                "event_type", "use dotted lower-case words, e.g. 'review.approved'"
            )
        if not self.actor:
            raise InvalidAuditEvent("actor", "say who acted (a user name or 'system:…')")
        if self.amount is not None and (isinstance(self.amount, bool) or self.amount < 0):
            raise InvalidAuditEvent("amount", "must be a non-negative integer in minor units")


def format_timestamp(value: datetime) -> str:
    """The canonical text of a timestamp: UTC with microseconds and ``Z``."""
    if value.tzinfo is None:
        raise InvalidAuditEvent("recorded_at", "must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sanitize(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with card data masked and secret fields redacted.

    Defensive: callers should never pass card data, but the audit log must not keep it
    even if they do.

    >>> sanitize({"cvv": "123", "note": "ok"})
    {'cvv': '[redacted]', 'note': 'ok'}
    """
    if isinstance(value, str):
        return mask_card_data(value) if contains_pan(value) else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if abs(value) >= 1e12 and (contains_pan(f"{value:.0f}") or contains_pan(repr(value))):
            return REDACTED
        return value
    if isinstance(value, int):
        return REDACTED if contains_pan(str(value)) else value
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        clean: dict[str, Any] = {}
        for key, item in value.items():
            name = sanitize(str(key))
            clean[name] = REDACTED if is_forbidden_field_name(str(key)) else sanitize(item)
        return clean
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [sanitize(item) for item in value]
    return sanitize(str(value))


def clean_text(field: str, value: str | None) -> str | None:
    """Mask card data in a top-level text field and enforce its column length."""
    if value is None:
        return None
    text = sanitize(value)
    limit = _LIMITS[field]
    return str(text)[:limit]


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_digest(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of a record's canonical form (see the module docstring)."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    recorded_at = payload["recorded_at"]
    if isinstance(recorded_at, datetime):
        payload["recorded_at"] = format_timestamp(recorded_at)
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
