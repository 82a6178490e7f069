"""The outbox publisher: commands and labels from the database to Kafka.

Messages were written to the ``outbox`` table in the same transaction as the case
change that caused them. The publisher sends unpublished rows in id order, waits for
the broker's acknowledgement, then marks them published: at-least-once. A crash
between sending and marking re-sends; consumers dedupe by ``command_id`` /
``label_id``. Run one publisher per database (a second one only adds duplicates).
Message key: the transaction id; value: the contract's JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy import select, update

from contracts import Clock, Settings
from db import Database
from review_queue.kafka import make_producer
from review_queue.models import OutboxMessage

__all__ = ["OutboxPublisher", "PendingMessage"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    topic: str
    key: str
    payload: str


class OutboxPublisher:
    """Drains the outbox to the ``captures``, ``voids`` and ``labels`` topics."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        clock: Clock,
        *,
        batch_size: int = 200,
        idle_interval_s: float = 0.5,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.batch_size = batch_size
        self.idle_interval_s = idle_interval_s

    def pending(self, limit: int | None = None) -> list[PendingMessage]:
        with self.database.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.published_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(limit or self.batch_size)
            ).all()
            return [PendingMessage(r.id, r.topic, r.message_key, r.payload) for r in rows]

    def mark_published(self, ids: list[int], now: datetime) -> None:
        with self.database.transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.published_at.is_(None))
                .values(published_at=now, attempts=OutboxMessage.attempts + 1)
            )

    def mark_failed(self, ids: list[int], error: str) -> None:
        with self.database.transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(attempts=OutboxMessage.attempts + 1, last_error=error[:500])
            )

    async def publish_once(self, producer: AIOKafkaProducer) -> int:
        """Send one batch and mark it published; returns how many were sent."""
        batch = await asyncio.to_thread(self.pending)
        if not batch:
            return 0
        try:
            futures = [
                await producer.send(
                    self.settings.topic(message.topic),
                    value=message.payload.encode(),
                    key=message.key.encode(),
                )
                for message in batch
            ]
            await asyncio.gather(*futures)
        except Exception as exc:
            await asyncio.to_thread(
                self.mark_failed, [m.id for m in batch], f"{type(exc).__name__}: {exc}"
            )
            raise
        await asyncio.to_thread(self.mark_published, [m.id for m in batch], self.clock.now())
        return len(batch)

    async def run(self, stop: asyncio.Event, *, producer: AIOKafkaProducer | None = None) -> None:
        """Publish until ``stop`` is set; broker errors are retried with backoff."""
        own = producer is None
        producer = producer or make_producer(self.settings, client_id="riskstream-review-outbox")
        if own:
            await producer.start()
        failures = 0
        try:
            while not stop.is_set():
                try:
                    sent = await self.publish_once(producer)
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("publishing the outbox failed (attempt %d)", failures)
                    sent = 0
                    await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                if sent == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.idle_interval_s)
        finally:
            if own:
                await producer.stop()
