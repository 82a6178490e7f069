"""Helpers for the monitoring integration tests: a served app, simulated traffic, a bad model."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer

from contracts import Settings
from models import Calibration, LocalModelStore, read_meta
from riskstream.stack import bootstrap
from simulator import SimulatedTransaction, SimulationConfig, Simulator


def simulated(seed: int, days: float, customers: int = 1500) -> list[SimulatedTransaction]:
    config = SimulationConfig(seed=seed, days=days, n_customers=customers, n_merchants=60)
    return list(Simulator(config).transactions())


async def stream(
    settings: Settings,
    items: Sequence[SimulatedTransaction],
    *,
    rate_per_s: float,
    stop: asyncio.Event | None = None,
    sent: Callable[[int], None] | None = None,
) -> int:
    """Produce the events to ``transactions`` at a steady rate; returns how many were sent."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(settings), enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    topic = settings.topic("transactions")
    count = 0
    started = time.monotonic()
    try:
        while count < len(items) and not (stop is not None and stop.is_set()):
            due = min(len(items), int((time.monotonic() - started) * rate_per_s) + 1)
            futures = []
            for item in items[count:due]:
                event = item.event
                futures.append(
                    await producer.send(
                        topic, event.model_dump_json().encode(), key=event.card.fingerprint.encode()
                    )
                )
            count = max(count, due)
            if futures:
                await asyncio.gather(*futures)
            if sent is not None:
                sent(count)
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()
    return count


def promote_a_model_that_declines_everything(store: LocalModelStore) -> tuple[str, str]:
    """The champion's trees with a calibration that maps every score to 0.99; promoted.

    Returns (good version, bad version).
    """
    good = store.alias("champion")
    if good is None:
        raise RuntimeError("the store has no champion")
    directory = store.path(good)
    meta = read_meta(directory)
    bad = dataclasses.replace(
        meta,
        version=f"{good}-declines-all",
        calibration=Calibration((0.0, 1.0), (0.99, 0.99)),
        description="deliberately bad: every score is 0.99",
    )
    store.save((directory / "model.txt").read_text(), bad)
    store.promote(bad.version)
    return good, bad.version
