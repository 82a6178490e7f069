"""The naive scoring path the stream benchmark compares against (its own process).

The same work as the worker — decode, features, model, rules, publish the decision —
written the way a first version often is: one asyncio task and one Redis round trip
per event, LightGBM's default predict (all threads), one awaited send per decision.

Run as ``python -m bench.naive`` with the RISKSTREAM_* environment of the stack.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import (
    BoundaryPolicy,
    EventDecoder,
    InvalidEvent,
    Settings,
    SystemClock,
    load_settings,
)
from features import events_to_columns
from riskstream.stack import bootstrap
from rules.lang import InMemoryLists
from scoring.build import build_engine

__all__ = ["naive_loop"]


async def naive_loop(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings, SystemClock())
    decoder = EventDecoder(BoundaryPolicy.from_settings(settings))
    consumer = AIOKafkaConsumer(
        settings.topic("transactions"),
        bootstrap_servers=bootstrap(settings),
        group_id=settings.worker_group,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.broker_session_timeout_s * 1000),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(settings), enable_idempotence=False)
    await consumer.start()
    await producer.start()
    target = settings.topic("decisions")
    champion = engine.models.current.champion
    booster = champion._booster if champion is not None else None  # noqa: SLF001

    in_flight = asyncio.Semaphore(32)  # bounded by the Redis connection pool

    async def handle(value: bytes) -> None:
        async with in_flight:
            await score_one(value)

    async def score_one(value: bytes) -> None:
        try:
            event = decoder.decode(value)
        except InvalidEvent:
            return
        columns = events_to_columns([event])
        features = await engine.features.compute(columns)  # one round trip for this event
        score = np.array([np.nan])
        if booster is not None and champion is not None:
            row = np.array([[features[n][0] for n in champion.feature_names]], dtype=np.float64)
            score = np.asarray(booster.predict(row))  # LightGBM's defaults: all threads
        policy = engine.policy.current
        # Managed lists: answered empty (no extra round trip; generous to the naive path).
        lists = InMemoryLists({lookup.list_name: () for lookup in policy.ruleset.required_lists()})
        outcome = policy.decide(policy.batch({**features, "score": score}, 1), lists)
        payload = f'{{"transaction_id":"{event.transaction_id}","action":"{outcome[0].action}"}}'
        await (await producer.send(target, payload.encode(), key=event.card.fingerprint.encode()))

    tasks: set[asyncio.Task[Any]] = set()
    try:
        while not stop.is_set():
            try:
                record = await asyncio.wait_for(consumer.getone(), timeout=0.5)
            except TimeoutError:
                continue
            task = asyncio.create_task(handle(record.value or b""))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await engine.aclose()


def main() -> None:  # pragma: no cover - run by the benchmark as a child process
    settings = load_settings()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await naive_loop(settings, stop)

    asyncio.run(run())


if __name__ == "__main__":  # pragma: no cover
    main()
