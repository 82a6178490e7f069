"""Decisions in from the real broker, commands and labels out — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from contracts import DeadLetter, FrozenClock, LabelEvent, PaymentCommand, Settings
from db import Database
from review_queue import DecisionIngestor, OutboxPublisher, QueueFilter, ReviewService
from review_queue.kafka import make_producer
from tests.factories import luhn_complete
from tests.review_support import consume, create_topics, ctx, make_decision, produce

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
def settings(stack_settings: Settings, db_url: str) -> Settings:
    # A short session: the second ingestor joins after the first left (the broker waits it out).
    return stack_settings.replace(
        database_url=db_url, review_four_eyes_amount=10**9, broker_session_timeout_s=3
    )


async def _ingest_until(ingestor: DecisionIngestor, done: object, timeout_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not done():  # type: ignore[operator]
        assert loop.time() < deadline, "the ingestor did not catch up in time"
        await ingestor.poll_once()


def _count(database: Database, table: str) -> int:
    with database.transaction() as session:
        return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


async def test_stream_to_cases_and_commands_out(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    await create_topics(settings)
    service = ReviewService.from_settings(settings, clock=clock, database=database)
    review, declined, approved = make_decision(), make_decision(), make_decision(action="approve")
    pan = luhn_complete("400000", 16)
    too_long = json.loads(make_decision().model_dump_json())
    too_long["card_country"] = "USA"
    raw = [
        (review.card_fingerprint, review.model_dump_json().encode()),
        (declined.card_fingerprint, declined.model_dump_json().encode()),
        (approved.card_fingerprint, approved.model_dump_json().encode()),
        (review.card_fingerprint, review.model_dump_json().encode()),  # redelivered
        ("x", b"not json at all"),
        ("x", json.dumps({"transaction_id": "pi_bad", "note": pan}).encode()),
        ("x", json.dumps({"transaction_id": "pi_bad2"}).encode()),
        ("x", json.dumps(too_long).encode()),
    ]
    await produce(settings, "decisions", raw)
    group = f"review-{uuid.uuid4().hex[:8]}"

    def cases() -> int:
        return service.queue(QueueFilter(status="all"), actor="t").total

    async with DecisionIngestor(service, settings, group_id=group) as ingestor:
        await _ingest_until(
            ingestor, lambda: _count(database, "decision_log") == 3 and cases() == 2
        )
    dead = [
        DeadLetter.model_validate_json(m.value)
        for m in await consume(settings, "transactions.dlq", expect=4)
    ]
    assert sorted(d.reason for d in dead) == ["invalid_json", "pci_violation", "schema", "schema"]
    assert all(pan not in d.model_dump_json() for d in dead)
    assert next(d for d in dead if d.reason == "pci_violation").payload is None

    # Offsets were committed after the database commit: a restart reads only what is new.
    await produce(
        settings, "decisions", [(review.card_fingerprint, review.model_dump_json().encode())]
    )
    async with DecisionIngestor(service, settings, group_id=group) as ingestor:
        result = None
        for _ in range(100):
            result = await ingestor.poll_once()
            if result is not None:
                break
    assert result is not None and (result.decisions_recorded, result.duplicates) == (0, 1)
    assert cases() == 2

    ids = {c.transaction_id: c.id for c in service.queue(QueueFilter(), actor="t").items}
    anna = ctx("anna")
    service.workflow.claim(ids[review.transaction_id], anna)
    service.workflow.approve(ids[review.transaction_id], anna)
    service.workflow.claim(ids[declined.transaction_id], anna)
    service.workflow.decline(ids[declined.transaction_id], anna)

    publisher = OutboxPublisher(database, settings, clock)
    producer = make_producer(settings, client_id="test")
    await producer.start()
    try:
        assert await publisher.publish_once(producer) == 4
        assert await publisher.publish_once(producer) == 0
    finally:
        await producer.stop()
    captures = await consume(settings, "captures", expect=1)
    voids = await consume(settings, "voids", expect=1, settle_s=0.5)
    labels = await consume(settings, "labels", expect=2, settle_s=0.5)
    assert [
        (m.key.decode(), PaymentCommand.model_validate_json(m.value).command) for m in captures
    ] == [(review.transaction_id, "capture")]
    assert [PaymentCommand.model_validate_json(m.value).transaction_id for m in voids] == [
        declined.transaction_id
    ]
    verdicts = {
        LabelEvent.model_validate_json(m.value).transaction_id: LabelEvent.model_validate_json(
            m.value
        ).is_fraud
        for m in labels
    }
    assert verdicts == {review.transaction_id: False, declined.transaction_id: True}
    with database.transaction() as session:
        assert service.audit.verify(session).ok
