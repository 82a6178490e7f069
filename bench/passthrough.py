"""The no-work loops the stream benchmark measures against (each in its own process).

* ``faust``: the same Faust app, consumer settings and batching as the worker
  (take_events + the app's producer), copying each raw message to the output topic —
  the framework's ceiling;
* ``bare``: the same loop with bare aiokafka (getmany + send) — what the framework
  itself costs, by difference.

Run as ``python -m bench.passthrough faust|bare`` with the RISKSTREAM_* environment of
the stack under test; it copies ``transactions`` to ``decisions`` until stopped.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import Settings, load_settings
from pipeline.worker import faust_app, take_batches
from riskstream.stack import bootstrap

__all__ = ["bare_loop", "passthrough_app"]


def passthrough_app(settings: Settings) -> faust.App:
    app = faust_app(settings)
    source = app.topic(settings.topic("transactions"), key_serializer="raw", value_serializer="raw")
    target = settings.topic("decisions")

    @app.agent(source, name="passthrough")
    async def copy(stream: faust.StreamT[bytes]) -> None:
        async for events in take_batches(stream, settings):
            pending = [
                await app.producer.send(target, e.key, e.value, None, None, None) for e in events
            ]
            await asyncio.gather(*pending)

    return app


async def bare_loop(settings: Settings, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        settings.topic("transactions"),
        bootstrap_servers=bootstrap(settings),
        group_id=settings.worker_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.broker_session_timeout_s * 1000),
        max_poll_records=settings.worker_batch_size,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(settings),
        enable_idempotence=False,
        linger_ms=5,
        compression_type=settings.producer_compression,  # as the worker's producer
        max_batch_size=settings.broker_max_batch_bytes,
    )
    await consumer.start()
    await producer.start()
    target = settings.topic("decisions")
    try:
        while not stop.is_set():
            batches: dict[Any, list[Any]] = await consumer.getmany(
                timeout_ms=50, max_records=settings.worker_batch_size
            )
            pending = [
                await producer.send(target, record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:  # pragma: no cover - run by the benchmark as a child process
    settings = load_settings()
    if sys.argv[1:] == ["faust"]:
        worker = faust.Worker(
            passthrough_app(settings), loglevel="warn", quiet=True, redirect_stdouts=False
        )
        worker.execute_from_commandline()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await bare_loop(settings, stop)

    asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    main()
