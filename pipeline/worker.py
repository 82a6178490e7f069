"""The stream worker: a thin Faust agent around :class:`~pipeline.processor.BatchProcessor`.

Per batch the agent takes up to ``worker_batch_size`` raw messages (``take_events``),
hands them to the processor, and returns. Faust acknowledges a batch only after the
agent body returns and commits offsets only after flushing its producer, so every
decision is on the broker before its input offset is committed: at-least-once
delivery, with idempotent effects (features and decisions keyed by transaction id).

Authoritative state lives in Redis, never in Faust tables: the embedded broker
misreports end offsets, which breaks changelog recovery.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol, cast

import faust
from faust.streams import Stream

from contracts import BoundaryPolicy, Clock, Decision, EventDecoder, Settings, SystemClock
from pipeline import faust_transport
from pipeline.labels import LabelProcessor
from pipeline.processor import BatchProcessor, RawMessage
from scoring.build import build_engine

__all__ = [
    "BatchObserver",
    "create_app",
    "faust_app",
    "raw_messages",
    "run_worker",
    "take_batches",
]

log = logging.getLogger(__name__)


class BatchObserver(Protocol):
    """What the worker reports per batch (``monitoring.ScoringMetrics`` is one)."""

    def observe_stage(self, stage: str, seconds: float, events: int) -> None: ...

    def observe_batch(
        self, decisions: Sequence[Decision], *, dead_letters: int = 0, pci_alerts: int = 0
    ) -> None: ...


def faust_app(settings: Settings) -> faust.App:
    """A Faust app configured the way riskstream runs it against Kafka or Tansu."""
    if not settings.kafka_bootstrap:
        raise ValueError("settings.kafka_bootstrap is not set; resolve the services first")
    session = settings.broker_session_timeout_s
    faust_transport.register()
    return faust.App(
        settings.worker_group,
        broker=[f"{faust_transport.SCHEME}://{endpoint}" for endpoint in settings.kafka_bootstrap],
        value_serializer="raw",
        key_serializer="raw",
        broker_session_timeout=session,
        broker_rebalance_timeout=session,
        broker_heartbeat_interval=max(session / 5, 0.5),
        broker_max_poll_records=settings.worker_batch_size,
        stream_buffer_maxsize=settings.worker_batch_size * 4,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=False,  # topics are created up front with their partitions
        topic_disable_leader=True,
        web_enabled=False,
        store="memory://",
        datadir=str(settings.data_dir / "faust"),
        producer_linger=0.005,
        producer_compression_type=settings.producer_compression,
        producer_max_batch_size=settings.broker_max_batch_bytes,
    )


def take_batches(stream: faust.StreamT[bytes], settings: Settings) -> Any:
    """Batches of raw events (``take_events``), acknowledged after the agent handles them."""
    # take_events is on the concrete Stream; Faust's StreamT protocol omits it.
    concrete = cast(Stream[bytes], stream)
    return concrete.take_events(settings.worker_batch_size, within=settings.worker_batch_within_s)


def raw_messages(events: Any) -> list[RawMessage]:
    return [
        RawMessage(e.value, e.message.topic, e.message.partition, e.message.offset) for e in events
    ]


def create_app(
    settings: Settings, *, clock: Clock | None = None, observer: BatchObserver | None = None
) -> faust.App:
    """The Faust app for ``riskstream worker``; needs ``settings.kafka_bootstrap``.

    ``observer`` hears each scoring stage's time and each batch's outcome (the worker's
    Prometheus metrics); it runs inline, so it must be cheap.
    """
    clock = clock or SystemClock()
    app = faust_app(settings)
    transactions = app.topic(
        settings.topic("transactions"),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.transactions_partitions,
    )
    labels = app.topic(settings.topic("labels"), key_serializer="raw", value_serializer="raw")
    state: dict[str, Any] = {}

    async def send(topic: str, key: bytes | None, value: bytes) -> Any:
        return await app.producer.send(topic, key, value, None, None, None)

    def processor() -> BatchProcessor:
        # Built inside the worker's event loop: the Redis client binds to it.
        if "processor" not in state:
            engine = build_engine(settings, clock)
            if observer is not None:
                engine.stages.listeners.append(observer.observe_stage)
            state["processor"] = BatchProcessor(
                engine=engine,
                decoder=EventDecoder(BoundaryPolicy.from_settings(settings)),
                settings=settings,
                clock=clock,
                send=send,
            )
        built: BatchProcessor = state["processor"]
        return built

    def label_processor() -> LabelProcessor:
        if "labels" not in state:
            state["labels"] = LabelProcessor(
                features=processor().engine.features, settings=settings, clock=clock, send=send
            )
        built: LabelProcessor = state["labels"]
        return built

    @app.agent(labels, name="labels")
    async def count_labels(stream: faust.StreamT[bytes]) -> None:
        handler = label_processor()
        async for events in take_batches(stream, settings):
            await handler.process(raw_messages(events))

    @app.agent(transactions, name="score")
    async def score(stream: faust.StreamT[bytes]) -> None:
        handler = processor()
        async for events in take_batches(stream, settings):
            result = await handler.process(raw_messages(events))
            if observer is not None:
                observer.observe_batch(
                    result.decisions,
                    dead_letters=result.dead_letters,
                    pci_alerts=result.pci_alerts,
                )

    return app


def run_worker(settings: Settings, *, observer: BatchObserver | None = None) -> None:
    """Run the worker until SIGINT/SIGTERM (blocks)."""
    app = create_app(settings, observer=observer)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
