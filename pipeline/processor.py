"""Turn one batch of raw messages into decisions, dead letters and PCI alerts.

Framework-free on purpose: the Faust agent is a thin loop around :class:`BatchProcessor`,
and tests drive it directly. One bad message never stops the stream: it is routed to
the dead-letter topic with its reason and position, and the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from contracts import (
    Clock,
    Decision,
    EventDecoder,
    InvalidEvent,
    MessagePosition,
    Settings,
    TransactionEvent,
)
from contracts.alerts import dead_letter_for, pci_alert_for
from scoring import Encoded, ScoringEngine, ScoringUnavailable

__all__ = ["BatchProcessor", "BatchResult", "RawMessage", "Send"]

log = logging.getLogger(__name__)

# await send(topic, key, value) schedules the message and returns its delivery future.
Send = Callable[[str, bytes | None, bytes], Awaitable[Awaitable[object]]]


@dataclass(frozen=True, slots=True)
class RawMessage:
    value: bytes | None
    topic: str
    partition: int
    offset: int


@dataclass(slots=True)
class BatchResult:
    scored: list[Encoded] = field(default_factory=list)
    dead_letters: int = 0
    pci_alerts: int = 0

    @property
    def decisions(self) -> list[Decision]:
        return [item.decision for item in self.scored]


class BatchProcessor:
    """decode → score → emit, with retries while Redis is unavailable."""

    def __init__(
        self,
        *,
        engine: ScoringEngine,
        decoder: EventDecoder,
        settings: Settings,
        clock: Clock,
        send: Send,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 5.0,
    ) -> None:
        self.engine = engine
        self._decoder = decoder
        self._clock = clock
        self._send = send
        self._decisions_topic = settings.topic("decisions")
        self._dlq_topic = settings.topic("transactions.dlq")
        self._pci_topic = settings.topic("alerts.pci")
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._outage = settings.redis_outage
        self._outage_grace_s = settings.redis_outage_grace_s
        self._outage_since: float | None = None
        self._clock_s = time.monotonic  # outage length: a duration, not a date

    async def process(self, messages: Sequence[RawMessage]) -> BatchResult:
        result = BatchResult()
        pending: list[Awaitable[object]] = []
        valid: list[TransactionEvent] = []
        rejected: list[tuple[RawMessage, InvalidEvent]] = []
        with self.engine.stages.measure("decode", len(messages)):
            for message in messages:
                try:
                    valid.append(self._decoder.decode(message.value or b""))
                except InvalidEvent as error:
                    rejected.append((message, error))
        for message, invalid in rejected:
            pending += await self._reject(message, invalid, result)
        self.engine.refresh()
        scored = await self._score(valid)
        for item in scored:
            pending.append(
                await self._send(
                    self._decisions_topic, item.card_fingerprint.encode(), item.payload
                )
            )
        result.scored = scored
        # Wait for the broker's acknowledgement before the batch is acknowledged:
        # the input offsets are committed only after every output is durable.
        await asyncio.gather(*pending)
        return result

    async def _score(self, events: list[TransactionEvent]) -> list[Encoded]:
        """Score with Redis; while it is down, wait or decide degraded (the setting)."""
        delay = self._retry_initial_s
        while True:
            try:
                scored = await self.engine.score_encoded(events)
                if self._outage_since is not None:
                    log.warning("Redis is back after %.1fs", self._clock_s() - self._outage_since)
                    self._outage_since = None
                return scored
            except ScoringUnavailable as exc:
                now = self._clock_s()
                if self._outage_since is None:
                    self._outage_since = now
                down_for = now - self._outage_since
                if self._outage != "wait" and down_for >= self._outage_grace_s:
                    log.warning("%s; deciding %d events %s", exc, len(events), self._outage)
                    return await self.engine.score_degraded(events, self._outage)
                log.warning("%s; retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max_s)

    async def _reject(
        self, message: RawMessage, exc: InvalidEvent, result: BatchResult
    ) -> list[Awaitable[object]]:
        now = self._clock.now()
        position = MessagePosition(
            source="stream", topic=message.topic, partition=message.partition, offset=message.offset
        )
        sent: list[Awaitable[object]] = []
        if exc.reason == "pci_violation":
            alert = pci_alert_for(exc, position, now)
            sent.append(await self._send(self._pci_topic, None, alert.model_dump_json().encode()))
            result.pci_alerts += 1
            log.warning(
                "PCI violation at %s[%d]@%d: %s (payload dropped)",
                message.topic,
                message.partition,
                message.offset,
                ", ".join(f"{e.loc} ({e.code})" for e in exc.errors),
            )
        letter = dead_letter_for(exc, position, now, message.value)
        sent.append(await self._send(self._dlq_topic, None, letter.model_dump_json().encode()))
        result.dead_letters += 1
        return sent
