"""Read the processor's events (Stripe's JSON shape) into :class:`contracts.DisputeEvent`.

Handled event types and what they become:

* ``charge.dispute.created`` / ``.updated`` / ``.closed`` / ``.funds_withdrawn`` /
  ``.funds_reinstated``: a chargeback on the dispute ``dp_…``; reason ``reason``, network
  code from ``payment_method_details.card.network_reason_code``.
* ``radar.early_fraud_warning.created`` / ``.updated``: an early fraud warning
  ``issfr_…``; reason ``fraud_type``.
* ``refund.created`` / ``refund.updated`` / ``charge.refund.updated``: a refund ``re_…``;
  reason ``reason`` (``requested_by_customer`` when empty).
* ``charge.refunded``: a refund of the charge ``ch_…``; reason ``refunded``.

Every other event type is acknowledged and ignored (a webhook endpoint often
subscribes to more than it needs). The transaction is the object's
``payment_intent`` (our ``pi_…`` ids), else its ``charge``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from contracts import DisputeEvent, DisputeKind
from disputes.errors import InvalidDispute

__all__ = ["HANDLED_TYPES", "from_stripe_event", "is_stripe_event", "without_network_references"]

HANDLED_TYPES: dict[str, DisputeKind] = {
    "charge.dispute.created": "chargeback",
    "charge.dispute.updated": "chargeback",
    "charge.dispute.closed": "chargeback",
    "charge.dispute.funds_withdrawn": "chargeback",
    "charge.dispute.funds_reinstated": "chargeback",
    "radar.early_fraud_warning.created": "early_fraud_warning",
    "radar.early_fraud_warning.updated": "early_fraud_warning",
    "refund.created": "refund",
    "refund.updated": "refund",
    "charge.refund.updated": "refund",
    "charge.refunded": "refund",
}
_WORD = re.compile(r"^[a-z0-9_]{1,64}$")


def is_stripe_event(document: object) -> bool:
    return isinstance(document, dict) and document.get("object") == "event"


# Network reference numbers the processor puts in refunds and charges. They are long
# digit runs (an acquirer reference number is 23 digits, a Visa transaction id 15), so
# the card-number scan would refuse nearly every refund event that carries one; they
# are identifiers the networks assign, never card data. Exempt only by key *and* shape.
_REFERENCE_SHAPES: dict[str, re.Pattern[str]] = {
    "reference": re.compile(r"[0-9]{23}"),  # refund destination_details.card (ARN)
    "acquirer_reference_number": re.compile(r"[0-9]{23}"),
    "network_transaction_id": re.compile(r"[0-9]{15}"),
}


def without_network_references(document: object) -> object:
    """``document`` with network reference numbers (by key and exact shape) removed,
    for the card-data scan: a 23-digit ARN holds some Luhn-valid 13-19 digit window
    almost always. Anything else, a card number in any other field, is still found."""
    if isinstance(document, dict):
        return {
            key: without_network_references(value)
            for key, value in document.items()
            if not (
                isinstance(value, str)
                and (shape := _REFERENCE_SHAPES.get(str(key))) is not None
                and shape.fullmatch(value)
            )
        }
    if isinstance(document, list):
        return [without_network_references(item) for item in document]
    return document


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_of(value: object) -> str | None:
    """An id, or the id of an expanded object (``{"id": "ch_…", …}``)."""
    if isinstance(value, dict):
        return _text(value.get("id"))
    return _text(value)


def _word(value: object, default: str) -> str:
    text = _text(value)
    return text if text is not None and _WORD.match(text) else default


def _network_code(obj: dict[str, Any]) -> str | None:
    details = obj.get("payment_method_details")
    card = details.get("card") if isinstance(details, dict) else None
    code = card.get("network_reason_code") if isinstance(card, dict) else None
    return _text(code) or _text(obj.get("network_reason_code"))


def _created(value: object, fallback: object) -> datetime:
    for candidate in (value, fallback):
        if isinstance(candidate, int) and not isinstance(candidate, bool) and candidate > 0:
            return datetime.fromtimestamp(candidate, UTC)
    raise InvalidDispute("created", "expected a unix timestamp")


def from_stripe_event(document: dict[str, Any]) -> DisputeEvent | None:
    """The dispute event, or None for an event type we do not handle.

    Raises:
        InvalidDispute: a handled type without the fields it must have.
    """
    event_type = document.get("type")
    if not isinstance(event_type, str):
        raise InvalidDispute("type", "expected the event type, e.g. 'charge.dispute.created'")
    kind = HANDLED_TYPES.get(event_type)
    if kind is None:
        return None
    data = document.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise InvalidDispute("data.object", "expected the dispute, warning or refund object")
    object_id = _id_of(obj.get("id"))
    if object_id is None:
        raise InvalidDispute("data.object.id", "missing")
    payment_intent = _id_of(obj.get("payment_intent"))
    charge = _id_of(obj.get("charge"))
    if event_type == "charge.refunded":
        charge = object_id
        reason = "refunded"
        amount = obj.get("amount_refunded")
    elif kind == "chargeback":
        reason = _word(obj.get("reason"), "general")
        amount = obj.get("amount")
    elif kind == "early_fraud_warning":
        reason = _word(obj.get("fraud_type"), "misc")
        amount = None
    else:
        reason = _word(obj.get("reason"), "requested_by_customer")
        amount = obj.get("amount")
    if payment_intent is None and charge is None:
        raise InvalidDispute("data.object", "names neither a payment_intent nor a charge")
    currency = _text(obj.get("currency"))
    try:
        return DisputeEvent(
            event_id=str(document.get("id") or ""),
            kind=kind,
            object_id=object_id,
            transaction_id=payment_intent,
            charge_id=charge,
            reason=reason,
            network_reason_code=_network_code(obj) if kind == "chargeback" else None,
            status=_word(obj.get("status"), "") or None,
            amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
            currency=currency.upper() if currency else None,
            processor="stripe",
            livemode=bool(document.get("livemode", False)),
            occurred_at=_created(document.get("created"), obj.get("created")),
        )
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise InvalidDispute(where, first["msg"]) from None
