"""Network reference numbers in processor events are not card numbers.

A refund's acquirer reference number (23 digits) nearly always holds a Luhn-valid
13-19 digit window, so the whole-document card scan on the chargebacks topic used to
dead-letter (and drop) refund events. Numbers are built at run time, never stored.
"""

from __future__ import annotations

import json
import random
from typing import Any

from contracts import DisputeEvent
from contracts.pci import luhn_valid, scan_document
from disputes.consumer import Rejected, decode_dispute
from disputes.stripe_events import without_network_references


def _luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        if luhn_valid(prefix + check):
            return prefix + check
    raise AssertionError("unreachable")


def _arn_the_scan_flags(rng: random.Random) -> str:
    while True:
        arn = "".join(rng.choice("0123456789") for _ in range(23))
        if scan_document({"value": arn}):
            return arn


def _refund(card: dict[str, Any], **extra: Any) -> bytes:
    refund = {
        "id": "re_1", "object": "refund", "payment_intent": "pi_2", "amount": 500,
        "currency": "usd", "reason": None,
        "destination_details": {"type": "card", "card": card},
        **extra,
    }  # fmt: skip
    event = {
        "id": "evt_1", "object": "event", "type": "refund.updated", "created": 1_790_000_000,
        "data": {"object": refund},
    }  # fmt: skip
    return json.dumps(event).encode()


def test_a_refund_with_an_acquirer_reference_number_is_decoded() -> None:
    arn = _arn_the_scan_flags(random.Random(3))
    card = {"reference": arn, "reference_status": "available",
            "reference_type": "acquirer_reference_number", "type": "refund"}  # fmt: skip

    decoded = decode_dispute(_refund(card))

    assert isinstance(decoded, DisputeEvent), decoded
    assert (decoded.kind, decoded.object_id, decoded.amount) == ("refund", "re_1", 500)


def test_a_card_number_is_still_refused_in_a_reference_field_or_anywhere_else() -> None:
    pan = _luhn_complete("4" + "".join(random.Random(4).choice("0123456789") for _ in range(14)))
    arn = _arn_the_scan_flags(random.Random(5))
    for raw in (
        _refund({"reference": pan}),  # wrong shape for a reference: scanned
        _refund({"reference": arn + "0"}),  # 24 digits: not an ARN
        _refund({"reference": arn}, description=pan),
        _refund({"reference": arn, "network_transaction_id": pan}),
    ):
        decoded = decode_dispute(raw)
        assert isinstance(decoded, Rejected) and decoded.reason == "pci_violation"
        assert pan not in repr(decoded.errors)


def test_only_reference_keys_with_the_exact_shape_are_removed() -> None:
    arn = _arn_the_scan_flags(random.Random(6))
    tid = "".join(random.Random(7).choice("0123456789") for _ in range(15))
    document = {
        "a": [{"reference": arn, "acquirer_reference_number": arn, "network_transaction_id": tid}],
        "reference": "ref 1", "other": arn,
    }  # fmt: skip

    assert without_network_references(document) == {"a": [{}], "reference": "ref 1", "other": arn}
