"""Recording notices: matched → stored and labelled once; unmatched → kept, matched later."""

from __future__ import annotations

import sqlalchemy as sa

import db
from audit import AuditLog
from contracts import FrozenClock, LabelEvent, Settings
from disputes import (
    DisputeService,
    EventConflict,
    InvalidDispute,
    ReplayedDelivery,
    VerifiedDelivery,
    from_stripe_event,
    record_labels,
)
from review_queue import ReviewService
from tests.dispute_support import dispute_event
from tests.factories import luhn_complete
from tests.review_support import make_decision


def _service(database: db.Database, audit_log: AuditLog, clock: FrozenClock) -> DisputeService:
    return DisputeService(database, audit_log, clock)


def _count(database: db.Database, sql: str, **params: object) -> int:
    with database.transaction() as session:
        return int(session.execute(sa.text(sql), params).scalar_one())


def test_a_matched_dispute_is_stored_labelled_and_audited_once(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock, review_settings: Settings
) -> None:
    decision = make_decision(action="approve", card_bin="41111111")
    ReviewService(database, audit_log, clock, settings=review_settings).ingest([decision])
    service = _service(database, audit_log, clock)
    event = from_stripe_event(dispute_event(decision.transaction_id, at=clock.now()))
    assert event is not None

    first = service.record(event, via="webhook", body_sha256="a" * 64)
    assert (first.status, first.matched, first.category, first.is_fraud) == (
        "recorded", True, "fraud", True,
    )  # fmt: skip
    label = first.label
    assert label is not None
    assert (label.transaction_id, label.merchant_id, label.card_bin, label.source) == (
        decision.transaction_id, decision.merchant_id, "41111111", "chargeback",
    )  # fmt: skip
    assert label.event_time == decision.event_time and label.amount == decision.amount

    again = service.record(event, via="stream", body_sha256="a" * 64)
    assert (again.status, again.label) == ("duplicate", None)
    assert _count(database, "SELECT count(*) FROM disputes") == 1
    assert _count(database, "SELECT count(*) FROM label_log") == 1
    assert _count(database, "SELECT count(*) FROM outbox WHERE topic = 'labels'") == 1
    payload = sa.text("SELECT payload FROM outbox WHERE topic = 'labels'")
    with database.transaction() as session:
        published = LabelEvent.model_validate_json(session.execute(payload).scalar_one())
    assert published == label
    assert (
        _count(database, "SELECT count(*) FROM audit_log WHERE event_type = 'dispute.recorded'")
        == 1
    )
    with database.transaction() as session:
        assert audit_log.verify(session).ok


def test_the_same_event_id_with_another_body_is_a_conflict(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    service = _service(database, audit_log, clock)
    event = from_stripe_event(dispute_event("pi_NotKnownYet1", at=clock.now()))
    assert event is not None
    service.record(event, via="webhook", body_sha256="a" * 64)
    try:
        service.record(event, via="webhook", body_sha256="b" * 64)
    except EventConflict as exc:
        assert exc.status_code == 409
    else:  # pragma: no cover - the assertion message
        raise AssertionError("a different body under the same event id must conflict")


def test_a_replayed_delivery_is_refused_and_leaves_nothing(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    service = _service(database, audit_log, clock)
    event = from_stripe_event(dispute_event("pi_NotKnownYet2", at=clock.now()))
    assert event is not None
    delivery = VerifiedDelivery(int(clock.now().timestamp()), "c" * 64)
    service.record(event, via="webhook", body_sha256="a" * 64, delivery=delivery)
    try:
        service.record(event, via="webhook", body_sha256="a" * 64, delivery=delivery)
    except ReplayedDelivery:
        pass
    else:  # pragma: no cover
        raise AssertionError("the same signed delivery twice must be refused")
    retry = VerifiedDelivery(int(clock.now().timestamp()) + 60, "d" * 64)  # signed afresh
    assert service.record(event, via="webhook", body_sha256="a" * 64, delivery=retry).status == (
        "duplicate"
    )
    assert _count(database, "SELECT count(*) FROM webhook_deliveries") == 2


def test_unmatched_notices_are_kept_then_matched_when_the_decision_arrives(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock, review_settings: Settings
) -> None:
    service = _service(database, audit_log, clock)
    decision = make_decision(action="approve")
    event = from_stripe_event(
        dispute_event(decision.transaction_id, at=clock.now(), reason="product_not_received")
    )
    assert event is not None
    result = service.record(event, via="stream", body_sha256="e" * 64)
    assert (result.matched, result.label, result.category) == (False, None, "service_dispute")
    assert [u.transaction_id for u in service.unmatched()] == [decision.transaction_id]
    assert service.rematch() == 0

    ReviewService(database, audit_log, clock, settings=review_settings).ingest([decision])
    assert service.rematch() == 1
    assert service.unmatched() == []
    with database.transaction() as session:
        row = session.execute(sa.text("SELECT is_fraud, category, source FROM label_log")).one()
    assert (bool(row.is_fraud), row.category, row.source) == (
        False,
        "service_dispute",
        "chargeback",
    )
    assert (
        _count(database, "SELECT count(*) FROM audit_log WHERE event_type = 'dispute.matched'") == 1
    )


def test_card_data_in_a_notice_is_refused(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    pan = luhn_complete("4", 16)
    event = from_stripe_event(dispute_event(f"pi_{pan}", at=clock.now()))
    assert event is not None
    try:
        _service(database, audit_log, clock).record(event, via="stream", body_sha256="f" * 64)
    except InvalidDispute as exc:
        assert pan not in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a card number must never be stored")
    assert _count(database, "SELECT count(*) FROM disputes") == 0


def test_label_store_keeps_each_label_once(database: db.Database, clock: FrozenClock) -> None:
    label = LabelEvent(
        label_id="sim-chargeback-pi_x", transaction_id="pi_x", is_fraud=True, category="fraud",
        source="chargeback", reported_at=clock.now(),
    )  # fmt: skip
    with database.transaction() as session:
        assert record_labels(session, [label, label], clock.now()) == [label]
    with database.transaction() as session:
        assert record_labels(session, [label], clock.now()) == []
