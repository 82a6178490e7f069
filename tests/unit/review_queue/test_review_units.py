"""Pure pieces of the review queue: priority, decoding, lists, money, redirects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from access.pages import safe_next_path
from contracts import Decision, MessagePosition, load_settings
from review_queue import InMemoryListWriter, PriorityPolicy, decode_decision, list_name
from review_queue.consumer import Rejected
from review_queue.pages import format_money
from tests.factories import luhn_complete
from tests.review_support import make_decision

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POSITION = MessagePosition(source="stream", topic="decisions", partition=0, offset=7)


def test_auth_window_is_per_brand_with_a_default() -> None:
    settings = load_settings(
        review_auth_window_days_by_brand={"Amex": 10}, review_sla_margin_s=7200
    )
    policy = PriorityPolicy.from_settings(settings)
    assert policy.auth_expires_at("visa", NOW) == NOW + timedelta(days=7)
    assert policy.auth_expires_at("amex", NOW) == NOW + timedelta(days=10)
    assert policy.sla_due_at("visa", NOW) == NOW + timedelta(days=7, hours=-2)


def test_priority_rises_with_risk_amount_and_time() -> None:
    policy = PriorityPolicy()
    due = NOW + timedelta(days=3)
    small = policy.priority_at(due, 0.5, 1_000, "USD")
    large = policy.priority_at(due, 0.5, 1_000_000, "USD")
    risky = policy.priority_at(due, 0.99, 1_000, "USD")
    sooner = policy.priority_at(due - timedelta(days=1), 0.5, 1_000, "USD")
    assert large < small and risky < small and sooner < small
    # amounts are compared in major units: 1,000 JPY is about 10 USD, not 1,000 USD
    assert policy.risk_value(0.5, 1_000, "JPY") > policy.risk_value(0.5, 1_000, "USD")
    assert policy.risk_value(None, 1_000, "USD") == policy.risk_value(0.5, 1_000, "USD")


def test_decode_accepts_decisions_and_rejects_the_rest() -> None:
    decision = make_decision()
    assert isinstance(decode_decision(decision.model_dump_json().encode(), POSITION, NOW), Decision)
    pan = luhn_complete("424242", 16)
    cases = {
        b"{not json": "invalid_json",
        None: "invalid_json",
        json.dumps({"transaction_id": "pi_x", "memo": pan}).encode(): "pci_violation",
        f"broken {pan}".encode(): "pci_violation",
        json.dumps({"transaction_id": "pi_x"}).encode(): "schema",
    }
    for raw, reason in cases.items():
        rejected = decode_decision(raw, POSITION, NOW)
        assert isinstance(rejected, Rejected), raw
        letter = rejected.dead_letter
        assert letter.reason == reason
        assert letter.position.offset == 7
        assert pan not in letter.model_dump_json()
        if reason == "pci_violation":
            assert letter.payload is None


def test_decisions_the_database_would_refuse_are_rejected_up_front() -> None:
    document = json.loads(make_decision().model_dump_json())
    document["card_last4"] = "12345"
    rejected = decode_decision(json.dumps(document).encode(), POSITION, NOW)
    assert isinstance(rejected, Rejected)
    assert rejected.dead_letter.errors[0].loc == "card_last4"


@pytest.mark.asyncio
async def test_in_memory_list_writer_is_idempotent() -> None:
    lists = InMemoryListWriter()
    for _ in range(2):
        await lists.add(
            list_name("block", "card"), "fp_1", owner="anna", reason="r", expires_at=None
        )
    assert list(lists.entries) == [("block_card", "fp_1")]


def test_money_is_formatted_without_floats() -> None:
    assert format_money(12_500, "USD") == "125.00 USD"
    assert format_money(1_234_567, "KWD") == "1,234.567 KWD"
    assert format_money(5, "JPY") == "5 JPY"


def test_login_redirects_stay_on_this_site() -> None:
    for bad in ("https://evil.example/", "//evil.example", "/\\evil", "javascript:x", "/a\nb", ""):
        assert safe_next_path(bad, "/reviews") == "/reviews"
    assert safe_next_path("/reviews/cases/3?x=1", "/reviews") == "/reviews/cases/3?x=1"
