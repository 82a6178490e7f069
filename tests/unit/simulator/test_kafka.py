from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts import LabelEvent, TransactionEvent
from riskstream.stack import EmbeddedStack
from simulator import SimulatedTransaction, Simulator, SinkError, produce
from tests.unit.simulator.conftest import SMALL


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_s": 0.0}, "rate_per_s"),
        ({"limit": -1}, "limit"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
@pytest.mark.asyncio
async def test_bad_arguments_fail_before_connecting(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await produce("127.0.0.1:1", "t", [], **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_no_broker_is_a_sink_error() -> None:
    with pytest.raises(SinkError, match="cannot connect"):
        await produce(f"127.0.0.1:{_closed_port()}", "t", [])


async def _create(bootstrap: str, *topics: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 2, 1) for name in topics])
    finally:
        await admin.close()


async def _consume(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + 60
        while len(received) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                received.extend((r.key, r.value) for r in records)
    finally:
        await consumer.stop()
    return received


@pytest.fixture(scope="module")
def transactions() -> list[SimulatedTransaction]:
    return Simulator(replace(SMALL, days=2, fraud_rate=0.05)).run()


@pytest.mark.integration
@pytest.mark.asyncio
async def test_produce_sends_every_event_keyed_by_card(
    stack: EmbeddedStack, transactions: list[SimulatedTransaction]
) -> None:
    prefix = f"sim{uuid.uuid4().hex[:8]}."
    topic, labels_topic = prefix + "transactions", prefix + "labels"
    await _create(stack.kafka_bootstrap, topic, labels_topic)
    result = await produce(stack.kafka_bootstrap, topic, transactions, labels_topic=labels_topic)
    expected_labels = sum(t.label is not None for t in transactions)
    assert result.events == len(transactions)
    assert result.labels == expected_labels
    received = await _consume(stack.kafka_bootstrap, topic, len(transactions))
    assert len(received) == len(transactions)
    by_id = {t.transaction_id: t for t in transactions}
    for key, value in received:
        event = TransactionEvent.model_validate_json(value)
        assert value == by_id[event.transaction_id].event.model_dump_json().encode()
        assert key == event.card.fingerprint.encode()
    labels = await _consume(stack.kafka_bootstrap, labels_topic, expected_labels)
    assert {LabelEvent.model_validate_json(v).transaction_id for _, v in labels} == {
        t.transaction_id for t in transactions if t.label is not None
    }


@pytest.mark.integration
@pytest.mark.asyncio
async def test_produce_paces_an_unbounded_stream_and_stops(stack: EmbeddedStack) -> None:
    topic = f"sim{uuid.uuid4().hex[:8]}.transactions"
    await _create(stack.kafka_bootstrap, topic)
    stream = Simulator(SMALL).stream()  # never ends on its own
    started = time.monotonic()
    result = await produce(stack.kafka_bootstrap, topic, stream, rate_per_s=400, limit=400)
    elapsed = time.monotonic() - started
    assert result.events == 400
    assert elapsed >= 0.9  # 400 events at 400/s take about a second

    stop = asyncio.Event()

    async def events() -> AsyncIterator[SimulatedTransaction]:
        for index, transaction in enumerate(Simulator(SMALL).stream()):
            if index == 150:
                stop.set()
            yield transaction

    result = await produce(stack.kafka_bootstrap, topic, events(), stop=stop, chunk_size=50)
    assert 150 <= result.events <= 200
