"""The ``chargebacks`` and ``labels`` topics on the real broker: notices become disputes
(matched or kept unmatched), labels reach the ``labels`` topic through the outbox and
the label store; unreadable messages go to the dead-letter topic."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

import db
from audit import AuditLog
from contracts import DisputeEvent, LabelEvent, Settings, SystemClock
from disputes import DisputeService, run_dispute_workers
from review_queue import OutboxPublisher, ReviewService
from tests.dispute_support import body_of, dispute_event
from tests.review_support import make_decision
from tests.streams import create_topics, produce, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def _count(database: db.Database, sql: str) -> int:
    with database.transaction() as session:
        return int(session.execute(sa.text(sql)).scalar_one())


async def test_notices_on_the_topic_become_disputes_and_labels(
    stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings.replace(data_dir=tmp_path / "data")
    await create_topics(settings)
    db.upgrade(settings.resolved_database_url)
    database = db.Database.from_settings(settings)
    clock = SystemClock()
    audit = AuditLog(environment="test", clock=clock)
    decision = make_decision(action="approve")
    ReviewService(database, audit, clock, settings=settings).ingest([decision])
    service = DisputeService(database, audit, clock)
    now = datetime.now(UTC)

    known = body_of(dispute_event(decision.transaction_id, at=now, reason="unrecognized"))
    unknown = DisputeEvent(
        event_id="evt_stream_1", kind="early_fraud_warning", object_id="issfr_1",
        transaction_id="pi_NotScoredHere", reason="made_with_stolen_card", occurred_at=now,
    ).model_dump_json().encode()  # fmt: skip
    ignored = orjson.dumps({"id": "evt_x", "object": "event", "type": "customer.created",
                            "created": 1, "data": {"object": {"id": "cus_1"}}})  # fmt: skip
    await produce(
        settings, settings.topic("chargebacks"),
        [(b"k", known), (b"u", unknown), (None, b"{not json"), (None, ignored), (b"k", known)],
    )  # fmt: skip
    simulator_label = LabelEvent(
        label_id="sim-fraud_report-pi_Other", transaction_id="pi_Other", is_fraud=True,
        category="fraud", source="fraud_report", reported_at=now,
    )  # fmt: skip
    await produce(
        settings, settings.topic("labels"),
        [(b"pi_Other", simulator_label.model_dump_json().encode()), (None, b'{"label_id": 1}')],
    )  # fmt: skip

    stop = asyncio.Event()
    prefix = f"t-{uuid.uuid4().hex[:6]}"
    tasks = [
        asyncio.create_task(run_dispute_workers(service, settings, stop, group_prefix=prefix)),
        asyncio.create_task(OutboxPublisher(database, settings, clock).run(stop)),
    ]
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while (
            _count(database, "SELECT count(*) FROM disputes") < 2
            or _count(database, "SELECT count(*) FROM label_log") < 2
        ) and loop.time() < deadline:
            await asyncio.sleep(0.25)
        dead = await read_topic(
            settings, settings.topic("transactions.dlq"), until=lambda r: len(r) >= 2
        )
        labels = await read_topic(
            settings, settings.topic("labels"),
            until=lambda r: any(x.get("source") == "chargeback" for x in r),
        )  # fmt: skip
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    with database.transaction() as session:
        rows = session.execute(
            sa.text("SELECT transaction_id, kind, matched, category, via FROM disputes ORDER BY id")
        ).all()
    # Partitions are consumed in no particular order: compare as a set.
    assert {(r.transaction_id, r.kind, bool(r.matched), r.category, r.via) for r in rows} == {
        (decision.transaction_id, "chargeback", True, "fraud", "stream"),
        ("pi_NotScoredHere", "early_fraud_warning", False, "fraud", "stream"),
    }
    assert sorted(letter["reason"] for letter in dead) == ["invalid_json", "schema"]
    topics = {settings.topic("chargebacks"), settings.topic("labels")}
    assert {letter["position"]["topic"] for letter in dead} <= topics
    [published] = [x for x in labels if x.get("source") == "chargeback"]
    assert (published["transaction_id"], published["is_fraud"], published["merchant_id"]) == (
        decision.transaction_id, True, decision.merchant_id,
    )  # fmt: skip
    assert _count(database, "SELECT count(*) FROM label_log") == 2  # the dispute's + simulator's
    database.dispose()
