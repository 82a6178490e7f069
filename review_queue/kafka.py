"""Kafka clients configured the way the supported brokers need them.

The embedded broker (Tansu) has no idempotent producer and no transactions, so
producers run with ``enable_idempotence=False`` and consumers commit explicitly
after the database commit (at-least-once; every effect downstream is idempotent).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import Settings
from review_queue.errors import ReviewError

__all__ = ["bootstrap_servers", "make_consumer", "make_producer"]


def bootstrap_servers(settings: Settings) -> str:
    if not settings.kafka_bootstrap:
        raise ReviewError(
            "RISKSTREAM_KAFKA_BOOTSTRAP is not set: point it at the brokers, "
            "or start the embedded stack with `riskstream up`"
        )
    return ",".join(str(endpoint) for endpoint in settings.kafka_bootstrap)


def make_producer(settings: Settings, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        compression_type=settings.producer_compression,
        max_batch_size=settings.broker_max_batch_bytes,
    )


def make_consumer(
    settings: Settings, topic: str, *, group_id: str, client_id: str, max_records: int
) -> AIOKafkaConsumer:
    session_ms = int(settings.broker_session_timeout_s * 1000)
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(settings),
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=session_ms,
        heartbeat_interval_ms=max(100, session_ms // 3),
        max_poll_records=max_records,
    )
