"""Processor events and their signatures for the disputes and monitoring tests.

Signatures are computed here with the processor's published scheme (HMAC-SHA256 of
``"<t>.<raw body>"`` keyed with the endpoint secret, lower-case hex), independently
of the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from tests.factories import token  # letters only: hex ids can hold card-like digit runs

WEBHOOK_SECRET = "whsec_test_" + "k3y" * 8
WEBHOOK_PATH = "/v1/webhooks/stripe"


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def dispute_event(
    payment_intent: str,
    *,
    reason: str = "fraudulent",
    at: datetime,
    amount: int = 2500,
    currency: str = "usd",
    event_type: str = "charge.dispute.created",
    event_id: str | None = None,
    dispute_id: str | None = None,
) -> dict[str, Any]:
    """A dispute event in the processor's JSON shape."""
    created = int(at.timestamp())
    return {
        "id": event_id or token("evt_"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {
            "object": {
                "id": dispute_id or token("dp_"),
                "object": "dispute",
                "amount": amount,
                "currency": currency,
                "charge": token("ch_"),
                "payment_intent": payment_intent,
                "reason": reason,
                "status": "needs_response",
                "created": created,
                "is_charge_refundable": False,
                "evidence": {"customer_name": None, "product_description": None},
            }
        },
    }


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, indent=2).encode()  # the processor sends pretty-printed JSON
