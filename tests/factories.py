"""Factories for test data. Card data is tokens only; card numbers are built at run time."""

from __future__ import annotations

import itertools
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import TransactionEvent
from contracts.hashing import digest

_counter = itertools.count()
BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def token(prefix: str, n: int = 14) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def event_dict(**overrides: Any) -> dict[str, Any]:
    """A valid transaction event as a JSON-ready dict; override any field."""
    n = next(_counter)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "transaction_id": token("pi_"),
        "merchant_id": "acct_TestMerchant1",
        "customer_id": token("cus_"),
        "payment_method": token("pm_"),
        "kind": "purchase",
        "card": {
            "bin": "424242",
            "last4": "4242",
            "brand": "visa",
            "funding": "credit",
            "country": "US",
            "fingerprint": token("fp", 14),
        },
        "amount": 2500,
        "currency": "USD",
        "billing_country": "US",
        "billing_postal_hash": digest("94107", b"test"),
        "shipping_country": "US",
        "shipping_postal_hash": digest("94107", b"test"),
        "ip": "198.51.100.7",
        "ip_country": "US",
        "email_hash": digest(f"user{n}@example.com", b"test"),
        "device_id": token("dev_", 10),
        "avs_result": "match",
        "cvv_result": "M",
        "three_ds": "not_requested",
        "channel": "ecommerce",
        "event_time": (BASE_TIME + timedelta(seconds=n)).isoformat(),
        "metadata": {"order": "A-17"},
    }
    for key, value in overrides.items():
        if key == "card" and isinstance(value, dict):
            doc["card"] = {**doc["card"], **value}
        else:
            doc[key] = value
    return doc


def make_event(**overrides: Any) -> TransactionEvent:
    return TransactionEvent.model_validate(event_dict(**overrides))


def luhn_complete(prefix: str, length: int) -> str:
    """A Luhn-valid card number with ``prefix``, built at run time (never stored)."""
    rng = random.Random()
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        candidate = body + check
        total = 0
        for i, c in enumerate(reversed(candidate)):
            d = int(c)
            if i % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one check digit always completes the number")
