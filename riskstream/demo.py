"""`riskstream demo`: the whole engine on the embedded stack, with a live summary.

1. Use the running stack (`riskstream up`, or configured servers) or start one.
2. Train a first model on simulated history if there is no champion yet.
3. Start `riskstream worker` as a child process.
4. Stream the simulator's continuation of that history to `transactions` at a steady
   rate, read `decisions`, and print decisions by action, throughput and end-to-end
   latency (event sent → decision received) every two seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import click
import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts import ACTIONS, Settings
from riskstream.cli_support import progress_printer
from riskstream.models_cli import model_store, train_first_model
from riskstream.stack import (
    EmbeddedStack,
    StackError,
    bootstrap,
    child_env,
    resolve_services,
    stop_process,
)
from simulator import SimulatedTransaction, SimulationConfig, Simulator

__all__ = ["run_demo"]

HISTORY_DAYS = 45.0
WARMUP_EVENTS = 20


@dataclass
class Stats:
    sent: dict[str, float] = field(default_factory=dict)  # transaction id -> send time
    actions: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    decided: int = 0
    started: float = 0.0

    def reset(self) -> None:
        self.sent.clear()
        self.actions.clear()
        self.latencies_ms.clear()
        self.decided = 0
        self.started = time.monotonic()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        mix = "  ".join(f"{a} {self.actions.get(a, 0):,}" for a in ACTIONS)
        if self.latencies_ms:
            p50, p99 = np.percentile(self.latencies_ms, [50, 99])
            latency = f"e2e p50 {p50:.0f} ms  p99 {p99:.0f} ms"
        else:
            latency = "e2e latency n/a"
        return (
            f"[{elapsed:5.1f}s] sent {len(self.sent):,}  decided {self.decided:,} "
            f"({self.decided / elapsed:,.0f}/s) | {mix} | {latency}"
        )


def _continuation(seed: int) -> Iterator[SimulatedTransaction]:
    """The simulated world after the training history ends (same customers, merchants)."""
    config = SimulationConfig(seed=seed, days=HISTORY_DAYS)
    return itertools.dropwhile(
        lambda t: t.event.event_time < config.end, Simulator(config).stream()
    )


async def _consume(settings: Settings, stats: Stats, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap(settings), enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        topic = settings.topic("decisions")
        partitions = [TopicPartition(topic, p) for p in range(settings.decisions_partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    decision = orjson.loads(record.value or b"{}")
                    sent = stats.sent.get(decision.get("transaction_id", ""))
                    if sent is None:
                        continue  # an older run's decision
                    stats.decided += 1
                    stats.actions[decision["action"]] += 1
                    stats.latencies_ms.append((now - sent) * 1000.0)
    finally:
        await consumer.stop()


async def _produce(
    settings: Settings,
    events: Iterator[SimulatedTransaction],
    stats: Stats,
    rate: float,
    stop: asyncio.Event,
    limit: int | None = None,
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(settings), enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    topic = settings.topic("transactions")
    tick = 0.05
    sent = 0
    try:
        started = time.monotonic()
        while not stop.is_set() and (limit is None or sent < limit):
            due = int((time.monotonic() - started) * rate) + 1 - sent
            if limit is not None:
                due = min(due, limit - sent)
            futures = []
            for item in itertools.islice(events, max(due, 0)):
                event = item.event
                stats.sent[event.transaction_id] = time.monotonic()
                futures.append(
                    await producer.send(
                        topic, event.model_dump_json().encode(), key=event.card.fingerprint.encode()
                    )
                )
                sent += 1
            if futures:
                await asyncio.gather(*futures)
            await asyncio.sleep(tick)
    finally:
        await producer.stop()


async def _run(settings: Settings, seconds: float | None, rate: float, seed: int) -> Stats:
    stats = Stats()
    events = _continuation(seed)
    next(events)  # generate the history once, before the clock starts
    stop_consumer = asyncio.Event()
    consumer = asyncio.create_task(_consume(settings, stats, stop_consumer))
    await asyncio.sleep(0.5)
    report = progress_printer()
    report("waiting for the worker to join the group…")
    warmup_stop = asyncio.Event()
    await _produce(settings, events, stats, 100.0, warmup_stop, limit=WARMUP_EVENTS)
    deadline = time.monotonic() + 120
    while stats.decided < WARMUP_EVENTS and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    if stats.decided < WARMUP_EVENTS:
        raise StackError("the worker gave no decisions within 120 s; see its log")
    report(f"worker ready; streaming {rate:g} events/s")
    stats.reset()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
    producer = asyncio.create_task(_produce(settings, events, stats, rate, stop))
    end = None if seconds is None else time.monotonic() + seconds
    while not stop.is_set() and (end is None or time.monotonic() < end):
        await asyncio.sleep(2.0 if end is None else max(0.0, min(2.0, end - time.monotonic())))
        click.echo(stats.line())
    stop.set()
    await producer
    drain_until = time.monotonic() + 10
    while stats.decided < len(stats.sent) and time.monotonic() < drain_until:
        await asyncio.sleep(0.2)
    stop_consumer.set()
    await consumer
    return stats


def run_demo(settings: Settings, *, seconds: float | None, rate: float, seed: int) -> int:
    """Run the demo; returns the process exit code."""
    stack: EmbeddedStack | None = None
    report = progress_printer()
    try:
        try:
            settings = resolve_services(settings)
            report("using the running stack")
        except StackError:
            report("starting the embedded stack (Tansu broker + Valkey)")
            stack = EmbeddedStack(settings)
            stack.start()
            settings = stack.settings()
        if model_store(settings).alias("champion") is None:
            report("no model yet: training a first one on simulated history")
            train_first_model(settings, seed=seed, days=HISTORY_DAYS, promote=True)
        log_path = settings.data_dir / "logs" / "demo-worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log_file:
            worker = subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "riskstream.cli", "worker"],
                env=child_env(settings),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        report(f"worker started (pid {worker.pid}, log {log_path})")
        try:
            stats = asyncio.run(_run(settings, seconds, rate, seed))
        finally:
            stop_process(worker)
        click.echo("")
        click.echo("summary")
        click.echo(stats.line())
        mix = {a: stats.actions.get(a, 0) for a in ACTIONS}
        click.echo("decisions by action: " + ", ".join(f"{a}={n}" for a, n in mix.items()))
        return 0 if stats.decided else 1
    finally:
        if stack is not None:
            report("stopping the embedded stack")
            stack.stop()
