"""Send simulated events to Kafka, optionally paced and with labels as they fall due.

Events are keyed by card fingerprint (the transactions topic is partitioned by card) and
carry exactly ``event.model_dump_json()``. Sends are batched: each chunk's futures are
awaited together, never one send at a time. The producer is plain at-least-once: the
embedded development broker supports neither the idempotent producer nor transactions.

For a demo that runs until stopped, pass ``Simulator.stream()`` (unbounded) with a
``rate_per_s`` and a ``stop`` event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Literal

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts.events import TransactionEvent
from contracts.labels import LabelEvent
from simulator.errors import SinkError
from simulator.labels import LabelQueue
from simulator.records import SimulatedTransaction, label_event

__all__ = ["ProduceResult", "produce"]

Item = SimulatedTransaction | TransactionEvent


@dataclass(frozen=True, slots=True)
class ProduceResult:
    """How many messages went out, and how fast."""

    events: int
    labels: int
    elapsed_s: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


async def _aiter(items: AsyncIterable[Item] | Iterable[Item]) -> AsyncIterator[Item]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def _event_message(event: TransactionEvent) -> tuple[bytes, bytes]:
    return event.card.fingerprint.encode(), event.model_dump_json().encode()


def _label_message(label: LabelEvent) -> tuple[bytes, bytes]:
    return label.transaction_id.encode(), label.model_dump_json().encode()


async def produce(
    bootstrap: str,
    topic: str,
    transactions: AsyncIterable[Item] | Iterable[Item],
    *,
    rate_per_s: float | None = None,
    limit: int | None = None,
    labels_topic: str | None = None,
    stop: asyncio.Event | None = None,
    chunk_size: int = 1_000,
    linger_ms: int = 20,
    acks: Literal[0, 1, "all"] = "all",
    client_id: str = "riskstream-simulator",
) -> ProduceResult:
    """Produce ``transactions`` to ``topic`` and return the counts.

    Args:
        bootstrap: ``host:port[,host:port...]`` of the brokers.
        topic: the transactions topic (key: card fingerprint, value: event JSON).
        transactions: simulated transactions or bare events, sync or async.
        rate_per_s: pace to this many events per second (``None``: as fast as possible).
        limit: stop after this many events.
        labels_topic: also send each simulated transaction's label (key: transaction id,
            value: :class:`contracts.LabelEvent` JSON) once event time passes its
            ``reported_at``. When the input runs out, labels still pending are sent
            last; after ``limit`` or ``stop`` they are not (they lie in the future).
        stop: set it to end the run after the current chunk.
        chunk_size: events sent before their acknowledgements are awaited together.
    """
    if rate_per_s is not None and not rate_per_s > 0:
        raise ValueError("rate_per_s must be > 0 (or None for unpaced)")
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    # Paced runs send small chunks about ten times a second, so the rate is smooth.
    chunk = chunk_size if rate_per_s is None else max(1, min(chunk_size, int(rate_per_s / 10)))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks=acks,
        enable_idempotence=False,
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )
    loop = asyncio.get_running_loop()
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        raise SinkError(f"cannot connect to Kafka at {bootstrap}: {exc}") from exc
    queue: LabelQueue[LabelEvent] | None = LabelQueue() if labels_topic is not None else None
    events = labels = 0
    started = loop.time()
    pending: list[asyncio.Future[object]] = []

    async def send(target: str, key: bytes, value: bytes) -> None:
        pending.append(await producer.send(target, value, key=key))

    async def flush() -> None:
        if pending:
            batch = list(pending)
            pending.clear()
            await asyncio.gather(*batch)

    exhausted = True
    try:
        async for item in _aiter(transactions):
            if (limit is not None and events >= limit) or (stop is not None and stop.is_set()):
                exhausted = False
                break
            event = item.event if isinstance(item, SimulatedTransaction) else item
            if queue is not None and labels_topic is not None:
                for label in queue.due(event.event_time):
                    await send(labels_topic, *_label_message(label))
                    labels += 1
                if isinstance(item, SimulatedTransaction):
                    pending_label = label_event(item)
                    if pending_label is not None:
                        queue.push(pending_label)
            await send(topic, *_event_message(event))
            events += 1
            if events % chunk == 0:
                await flush()
                if rate_per_s is not None:
                    ahead = started + events / rate_per_s - loop.time()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        if exhausted and queue is not None and labels_topic is not None:
            for label in queue.drain():
                await send(labels_topic, *_label_message(label))
                labels += 1
        await flush()
    except KafkaError as exc:
        raise SinkError(f"producing to {topic} at {bootstrap} failed: {exc}") from exc
    finally:
        await producer.stop()
    return ProduceResult(events, labels, loop.time() - started)
