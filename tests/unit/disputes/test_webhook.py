"""POST /v1/webhooks/stripe on the composed HTTP app: signed events in, one label out;
wrong signatures, stale timestamps and replays refused; unknown payments kept unmatched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from pydantic import SecretStr

import db
from audit import AuditLog
from contracts import FrozenClock, LabelEvent, Settings
from review_queue import ReviewService
from riskstream.http import create_http_app
from tests.dispute_support import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    body_of,
    dispute_event,
    stripe_signature,
)
from tests.review_support import make_decision

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def webhook(
    review_settings: Settings, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    settings = review_settings.replace(webhook_secret=SecretStr(WEBHOOK_SECRET))
    app = create_http_app(settings, clock=clock, review_workers=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 443))
    async with httpx.AsyncClient(transport=transport, base_url="http://riskstream.test") as client:
        yield client


def _rows(database: db.Database, sql: str) -> list[sa.Row[object]]:
    with database.transaction() as session:
        return list(session.execute(sa.text(sql)).all())


async def _post(client: httpx.AsyncClient, body: bytes, header: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def test_signed_dispute_gets_200_and_one_label_and_bad_deliveries_are_refused(
    webhook: httpx.AsyncClient,
    database: db.Database,
    audit_log: AuditLog,
    clock: FrozenClock,
    review_settings: Settings,
) -> None:
    decision = make_decision(action="approve")
    ReviewService(database, audit_log, clock, settings=review_settings).ingest([decision])
    event = dispute_event(decision.transaction_id, at=clock.now(), reason="fraudulent")
    body = body_of(event)
    now = int(clock.now().timestamp())
    signed = stripe_signature(body, WEBHOOK_SECRET, now)

    accepted = await _post(webhook, body, signed)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() | {"label_id": None} == {
        "status": "recorded", "event_id": event["id"], "matched": True,
        "transaction_id": decision.transaction_id, "category": "fraud", "is_fraud": True,
        "label_id": None,
    }  # fmt: skip
    labels = _rows(database, "SELECT label_id, transaction_id, is_fraud, source FROM label_log")
    assert [(r.transaction_id, bool(r.is_fraud), r.source) for r in labels] == [
        (decision.transaction_id, True, "chargeback")
    ]
    assert accepted.json()["label_id"] == labels[0].label_id
    outbox = _rows(database, "SELECT payload FROM outbox WHERE topic = 'labels'")
    assert len(outbox) == 1
    label = LabelEvent.model_validate_json(outbox[0].payload)
    assert (label.merchant_id, label.card_bin, label.event_time) == (
        decision.merchant_id, decision.card_bin, decision.event_time,
    )  # fmt: skip

    # The same signed request again: a replay.
    replayed = await _post(webhook, body, signed)
    assert replayed.status_code == 409
    assert replayed.json()["error"]["code"] == "replayed_delivery"

    # Signed with another secret, or the body changed after signing.
    wrong = stripe_signature(body, "whsec_not_the_endpoint_secret", now)
    assert (await _post(webhook, body, wrong)).json()["error"]["code"] == "signature_mismatch"
    tampered = body.replace(b'"fraudulent"', b'"duplicate"')
    refused = await _post(webhook, tampered, signed)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "signature_mismatch")
    assert (await _post(webhook, body, None)).json()["error"]["code"] == "signature_missing"

    # Correctly signed, but six minutes ago: stale.
    stale = stripe_signature(body, WEBHOOK_SECRET, now - 360)
    response = await _post(webhook, body, stale)
    assert (response.status_code, response.json()["error"]["code"]) == (
        400, "timestamp_out_of_tolerance",
    )  # fmt: skip

    # The processor's retry is signed afresh: acknowledged, nothing changes.
    clock.advance(timedelta(seconds=30))
    retry = await _post(webhook, body, stripe_signature(body, WEBHOOK_SECRET, now + 30))
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate")

    assert len(_rows(database, "SELECT label_id FROM label_log")) == 1
    assert len(_rows(database, "SELECT id FROM disputes")) == 1
    assert len(_rows(database, "SELECT id FROM outbox WHERE topic = 'labels'")) == 1


async def test_a_dispute_for_an_unknown_transaction_is_stored_unmatched(
    webhook: httpx.AsyncClient, database: db.Database, clock: FrozenClock
) -> None:
    event = dispute_event("pi_NeverScoredHere", at=clock.now(), reason="product_not_received")
    body = body_of(event)
    response = await _post(
        webhook, body, stripe_signature(body, WEBHOOK_SECRET, int(clock.now().timestamp()))
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["matched"]) == ("recorded", False)
    rows = _rows(database, "SELECT transaction_id, matched, category, label_id FROM disputes")
    assert [(r.transaction_id, bool(r.matched), r.category, r.label_id) for r in rows] == [
        ("pi_NeverScoredHere", False, "service_dispute", None)
    ]
    assert _rows(database, "SELECT label_id FROM label_log") == []


async def test_ignored_types_unreadable_bodies_and_a_missing_secret(
    webhook: httpx.AsyncClient, review_settings: Settings, clock: FrozenClock
) -> None:
    now = int(clock.now().timestamp())
    other = body_of({"id": "evt_other", "object": "event", "type": "customer.created",
                     "created": now, "data": {"object": {"id": "cus_1"}}})  # fmt: skip
    ignored = await _post(webhook, other, stripe_signature(other, WEBHOOK_SECRET, now))
    assert (ignored.status_code, ignored.json()["status"]) == (200, "ignored")
    junk = b"not json"
    bad = await _post(webhook, junk, stripe_signature(junk, WEBHOOK_SECRET, now))
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_event")
    huge = b"{" + b" " * 300_000 + b"}"
    assert (
        await _post(webhook, huge, stripe_signature(huge, WEBHOOK_SECRET, now))
    ).status_code == 400

    app = create_http_app(review_settings, clock=clock, review_workers=False)  # no secret
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://riskstream.test") as client:
        response = await _post(client, other, stripe_signature(other, WEBHOOK_SECRET, now))
    assert (response.status_code, response.json()["error"]["code"]) == (
        503,
        "webhook_not_configured",
    )
