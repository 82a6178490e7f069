"""Reason codes decide fraud vs service; processor events become dispute events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import DisputeEvent
from disputes import InvalidDispute, classify, from_stripe_event, label_id_for

AT = datetime(2026, 11, 20, tzinfo=UTC)


def dispute(**fields: Any) -> DisputeEvent:
    values: dict[str, Any] = {
        "event_id": "evt_1", "kind": "chargeback", "object_id": "dp_1", "reason": "general",
        "occurred_at": AT,
    }  # fmt: skip
    values.update(fields)
    return DisputeEvent(**values)


@pytest.mark.parametrize(
    ("fields", "category", "fraud"),
    [
        ({"reason": "fraudulent"}, "fraud", True),
        ({"reason": "unrecognized"}, "fraud", True),
        ({"reason": "product_not_received"}, "service_dispute", False),
        ({"reason": "duplicate"}, "service_dispute", False),
        ({"reason": "subscription_canceled"}, "service_dispute", False),
        ({"reason": "credit_not_processed"}, "service_dispute", False),
        ({"reason": "general"}, "service_dispute", False),
        ({"reason": "general", "network_reason_code": "10.4"}, "fraud", True),
        ({"reason": "general", "network_reason_code": "4837"}, "fraud", True),
        ({"reason": "fraudulent", "network_reason_code": "13.1"}, "service_dispute", False),
        ({"reason": "fraudulent", "network_reason_code": "99.9"}, "fraud", True),  # unknown code
        ({"kind": "early_fraud_warning", "reason": "made_with_stolen_card"}, "fraud", True),
        ({"kind": "refund", "reason": "requested_by_customer"}, "refund", False),
        ({"kind": "refund", "reason": "fraudulent"}, "fraud", True),
    ],
)
def test_only_fraud_codes_are_fraud(fields: dict[str, Any], category: str, fraud: bool) -> None:
    classification = classify(dispute(**fields))
    assert (classification.category, classification.is_fraud) == (category, fraud)


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str = "evt_1") -> dict[str, Any]:
    return {
        "id": event_id, "object": "event", "type": event_type, "api_version": "2024-06-20",
        "created": int(AT.timestamp()), "livemode": False, "data": {"object": obj},
    }  # fmt: skip


def test_a_dispute_event_reads_its_payment_reason_and_network_code() -> None:
    event = from_stripe_event(
        stripe_event(
            "charge.dispute.created",
            {
                "id": "dp_1Abc", "object": "dispute", "amount": 2500, "currency": "eur",
                "charge": "ch_1Abc", "payment_intent": "pi_1Abc", "reason": "fraudulent",
                "status": "needs_response",
                "payment_method_details": {"card": {"network_reason_code": "10.4"}},
            },
        )
    )  # fmt: skip
    assert event is not None
    assert (event.kind, event.transaction_id, event.charge_id) == (
        "chargeback",
        "pi_1Abc",
        "ch_1Abc",
    )
    assert (event.amount, event.currency, event.network_reason_code) == (2500, "EUR", "10.4")
    assert label_id_for(event) == "lbl_cb_dp_1Abc"


def test_warnings_refunds_and_expanded_ids() -> None:
    warning = from_stripe_event(
        stripe_event(
            "radar.early_fraud_warning.created",
            {"id": "issfr_1", "charge": {"id": "ch_9"}, "payment_intent": None,
             "fraud_type": "unauthorized_use_of_card", "actionable": True},
        )
    )  # fmt: skip
    assert warning is not None
    assert (warning.kind, warning.transaction_id, warning.charge_id) == (
        "early_fraud_warning", None, "ch_9",
    )  # fmt: skip
    refund = from_stripe_event(
        stripe_event("refund.created", {"id": "re_1", "payment_intent": "pi_2", "amount": 100,
                                        "currency": "usd", "reason": None})
    )  # fmt: skip
    assert refund is not None and (refund.kind, refund.reason) == (
        "refund",
        "requested_by_customer",
    )
    refunded = from_stripe_event(
        stripe_event("charge.refunded", {"id": "ch_3", "payment_intent": "pi_3",
                                         "amount_refunded": 700, "currency": "usd"})
    )  # fmt: skip
    assert refunded is not None and (refunded.object_id, refunded.amount) == ("ch_3", 700)


def test_other_types_are_ignored_and_broken_ones_refused() -> None:
    assert from_stripe_event(stripe_event("payment_intent.succeeded", {"id": "pi_1"})) is None
    with pytest.raises(InvalidDispute):
        from_stripe_event(stripe_event("charge.dispute.created", {"id": "dp_1"}))  # no payment
    with pytest.raises(InvalidDispute):
        from_stripe_event({"type": "charge.dispute.created", "data": {"object": "dp_1"}})
    with pytest.raises(InvalidDispute, match="event_id"):
        from_stripe_event(
            stripe_event("charge.dispute.created", {"id": "dp_1", "charge": "ch_1"}, "evt 1;--")
        )
