"""The stream tap: every decision, dead letter and PCI alert, as the fleet produces them.

Reads the ``decisions``, ``transactions.dlq`` and ``alerts.pci`` topics from their end
(no consumer group: it only observes, and commits nothing), counts them in
:class:`monitoring.metrics.StreamMetrics` and hands each decision to the rollout
guard. It never holds up scoring: if it falls behind, only the metrics lag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import Settings, topic_specs
from monitoring.metrics import StreamMetrics
from monitoring.rollouts import DecisionSample
from review_queue.kafka import bootstrap_servers

__all__ = ["StreamTap", "sample_of"]

log = logging.getLogger(__name__)

WATCHED = ("decisions", "transactions.dlq", "alerts.pci")


def sample_of(decision: dict[str, object]) -> DecisionSample | None:
    """The guard's view of a decision's JSON; None when it is not a decision."""
    try:
        decided_at = datetime.fromisoformat(str(decision["decided_at"]).replace("Z", "+00:00"))
        latency = decision.get("latency_ms")
        model = decision.get("model_version")
        return DecisionSample(
            decided_at=decided_at,
            action=str(decision["action"]),
            latency_ms=float(latency) if isinstance(latency, int | float) else 0.0,
            model_version=model if isinstance(model, str) else None,
            rule_set_version=str(decision.get("rule_set_version", "")),
        )
    except (KeyError, ValueError, TypeError):
        return None


class StreamTap:
    """Observes the topics until stopped; ``on_decisions`` gets each batch's samples."""

    def __init__(
        self,
        settings: Settings,
        metrics: StreamMetrics,
        *,
        on_decisions: Callable[[Sequence[DecisionSample]], None] | None = None,
        from_beginning: bool = False,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.on_decisions = on_decisions
        self.from_beginning = from_beginning
        self.topics = {settings.topic(name): name for name in WATCHED}
        self.seen = 0

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers(self.settings),
            enable_auto_commit=False,
            group_id=None,
            client_id="riskstream-monitoring-tap",
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(spec.name, p)
                for spec in topic_specs(self.settings)
                if spec.name in self.topics
                for p in range(spec.partitions)
            ]
            consumer.assign(partitions)
            if self.from_beginning:
                await consumer.seek_to_beginning(*partitions)
            else:
                await consumer.seek_to_end(*partitions)
                for tp in partitions:  # resolve the positions now, not at the first poll
                    await consumer.position(tp)
            if ready is not None:
                ready.set()
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=250, max_records=5000)
                for tp, records in batches.items():
                    self._handle(self.topics.get(tp.topic, ""), [r.value for r in records])
        finally:
            await consumer.stop()

    def _handle(self, logical: str, values: list[bytes | None]) -> None:
        if logical == "decisions":
            samples = []
            decisions = []
            for value in values:
                try:
                    decision = orjson.loads(value or b"null")
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(decision, dict):
                    continue
                sample = sample_of(decision)
                if sample is None:
                    continue
                decisions.append(decision)
                samples.append(sample)
            self.metrics.observe_decisions(decisions)
            self.seen += len(samples)
            if samples and self.on_decisions is not None:
                self.on_decisions(samples)
        elif logical == "transactions.dlq":
            for value in values:
                try:
                    letter = orjson.loads(value or b"null")
                except orjson.JSONDecodeError:
                    continue
                reason = letter.get("reason") if isinstance(letter, dict) else None
                self.metrics.dead_letter(str(reason or "unknown")[:32])
        elif logical == "alerts.pci":
            self.metrics.pci_alert(len(values))
