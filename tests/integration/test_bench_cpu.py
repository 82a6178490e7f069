"""The benchmark's CPU meter on the real embedded stack: Redis and the broker measured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bench.cpu import CpuMeter, cpu_per_event
from riskstream.stack import EmbeddedStack

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")

# about a quarter of a second of Redis CPU, whatever the machine does meanwhile
_BUSY_SCRIPT = "local x = 0 for i = 1, 30000000 do x = x + i end return 1"


def test_redis_and_broker_cpu_are_read_and_redis_work_shows(stack: EmbeddedStack) -> None:
    assert stack.broker_pid is not None

    async def scenario() -> dict[str, float]:
        client = Redis.from_url(stack.redis_url)
        try:
            meter = CpuMeter(client, {"broker": [stack.broker_pid or 0]})
            before = await meter.read()
            await client.eval(_BUSY_SCRIPT, 0)
            after = await meter.read()
        finally:
            await client.aclose()
        return cpu_per_event(before, after, events=1_000)

    figures = asyncio.run(scenario())
    assert {"broker", "redis", "bench_client", "other", "cores_busy"} <= set(figures)
    assert figures["redis"] >= 50.0  # ≥ 0.05 s of Redis CPU over 1,000 "events"
    assert figures["redis"] > figures["broker"]
