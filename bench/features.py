"""`riskstream bench features`: our batched feature update vs a naive one vs the ceiling.

Measured side by side in one run, on the same events and the same Redis:

* **ours**: :class:`features.RedisFeatureStore` — one Lua call per batch computing and
  recording every feature of every event;
* **naive**: one awaited round trip per feature (ZADD per entity, then a ZCOUNT or
  ZRANGEBYSCORE per window), the way such features are often first written;
* **ceiling**: what merely talking to Redis costs for the same batch — one pipeline per
  batch with one no-op command (``ECHO`` of the event's entity value) per event and
  entity. No feature logic can beat it.

The feature set is 5 entities × 4 windows (card, customer, device, email: count and
amount sum; IP: count) over 10 min, 1 h, 24 h and 7 d. Memory is read with MEMORY USAGE
from the card keys after the run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
from redis.asyncio import Redis

from contracts import TransactionEvent
from features import FeatureRegistry, RatesTable, RedisFeatureStore, Velocity, events_to_columns
from features.aggregates import ENTITY_COLUMN

__all__ = ["BENCH_WINDOWS", "FeatureBench", "bench_registry", "run_feature_bench"]

BENCH_WINDOWS = ("10m", "1h", "24h", "7d")
EXACT = ("card", "customer", "device", "email")


def bench_registry() -> FeatureRegistry:
    specs = [
        Velocity(entity, measure, window)  # type: ignore[arg-type]
        for entity in EXACT
        for measure in ("count", "amount_sum")
        for window in BENCH_WINDOWS
    ]
    specs += [Velocity("ip", "count", window) for window in BENCH_WINDOWS]
    # Stateful features only: the naive variant and the ceiling compute no payment signals.
    return FeatureRegistry(specs, signals=())


@dataclass(frozen=True, slots=True)
class FeatureBench:
    events: int
    batch_size: int
    features: int
    ours_per_s: float
    naive_per_s: float
    ceiling_per_s: float
    bytes_per_card: float
    ours_vs_naive: float
    ours_vs_ceiling: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _ours(client: Redis, events: Sequence[TransactionEvent], batch: int) -> float:
    store = RedisFeatureStore(
        client, bench_registry(), RatesTable.from_mapping(), namespace="bo" + uuid.uuid4().hex[:6]
    )
    batches = [events_to_columns(events[i : i + batch]) for i in range(0, len(events), batch)]
    started = time.perf_counter()
    for columns in batches:
        await store.compute(columns)
    return len(events) / (time.perf_counter() - started)


async def _naive(client: Redis, events: Sequence[TransactionEvent], windows_ms: list[int]) -> float:
    namespace = "bn" + uuid.uuid4().hex[:6]
    columns = events_to_columns(events)
    rates = RatesTable.from_mapping()
    amounts = rates.to_base(columns["amount"], columns["currency"])
    started = time.perf_counter()
    for row in range(len(events)):
        t = int(columns["event_time"][row])
        txn = columns["transaction_id"][row]
        amount = int(amounts[row])
        for entity in (*EXACT, "ip"):
            value = columns[ENTITY_COLUMN[entity]][row]
            if value is None:
                continue
            key = f"{namespace}:{{{entity}:{value}}}"
            await client.zadd(key, {f"{txn}|{amount}": t}, nx=True)
            for window in windows_ms:
                await client.zcount(key, f"({t - window}", t)
                if entity != "ip":  # amount sums: fetch the window and add up
                    found = await client.zrangebyscore(key, f"({t - window}", t)
                    members = cast(list[bytes], found)
                    sum(int(m.split(b"|")[1]) for m in members)
            await client.pexpire(key, max(windows_ms) * 2)
    return len(events) / (time.perf_counter() - started)


async def _ceiling(client: Redis, events: Sequence[TransactionEvent], batch: int) -> float:
    columns = events_to_columns(events)
    entity_columns = [columns[ENTITY_COLUMN[e]] for e in (*EXACT, "ip")]
    started = time.perf_counter()
    for first in range(0, len(events), batch):
        async with client.pipeline(transaction=False) as pipe:
            for row in range(first, min(first + batch, len(events))):
                for values in entity_columns:
                    if values[row] is not None:
                        pipe.echo(values[row])
            await pipe.execute()
    return len(events) / (time.perf_counter() - started)


async def _bytes_per_card(client: Redis, namespace_prefix: str = "bo") -> float:
    sizes = []
    async for key in client.scan_iter(match=f"{namespace_prefix}*:{{card:*}}:ev", count=1000):
        usage = await client.memory_usage(key)
        if usage:
            sizes.append(usage)
    return float(np.mean(sizes)) if sizes else 0.0


async def run_feature_bench(
    redis_url: str,
    events: Sequence[TransactionEvent],
    *,
    batch_size: int = 500,
    naive_events: int = 2_000,
    progress: Callable[[str], None] = lambda _: None,
) -> FeatureBench:
    """Run the three variants on ``events`` (the naive one on the first ``naive_events``)."""
    client = Redis.from_url(redis_url)
    try:
        windows = sorted({v.seconds * 1000 for v in bench_registry().velocities("card")})
        progress(f"ours: {len(events):,} events in batches of {batch_size}")
        ours = await _ours(client, events, batch_size)
        progress(f"ceiling: {len(events):,} events")
        ceiling = await _ceiling(client, events, batch_size)
        progress(f"naive: {min(naive_events, len(events)):,} events, one round trip per feature")
        naive = await _naive(client, events[:naive_events], windows)
        per_card = await _bytes_per_card(client)
    finally:
        await client.aclose()
    registry = bench_registry()
    return FeatureBench(
        events=len(events),
        batch_size=batch_size,
        features=len(registry.specs),
        ours_per_s=round(ours, 1),
        naive_per_s=round(naive, 1),
        ceiling_per_s=round(ceiling, 1),
        bytes_per_card=round(per_card, 1),
        ours_vs_naive=round(ours / naive, 2),
        ours_vs_ceiling=round(ours / ceiling, 3),
    )


def main() -> None:  # pragma: no cover - a manual entry point: python -m bench.features URL
    import itertools
    import json
    import sys

    from simulator import SimulationConfig, Simulator

    url = sys.argv[1]
    events = [
        t.event
        for t in itertools.islice(
            Simulator(SimulationConfig(seed=3, days=8)).transactions(), 20_000
        )
    ]
    result = asyncio.run(run_feature_bench(url, events, progress=print))
    print(json.dumps(result.as_dict(), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
