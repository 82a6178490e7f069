"""Faults on purpose: a killed worker, a restarted Redis, a paused broker, Redis down,
workers joining and leaving the group mid-stream.

Each test runs on its own embedded stack (a paused broker must not disturb others).
After each fault: every accepted transaction has exactly one decision (redelivery
repeats it, never changes it), and no velocity counter is counted twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import ACTION_SEVERITY, Settings, load_settings
from riskstream.stack import EmbeddedStack
from tests.factories import BASE_TIME, event_dict, token
from tests.served import free_port
from tests.streams import (
    WorkerProcess,
    create_topics,
    metric_sum,
    produce,
    read_topic,
    scrape_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CARD_EVENTS = 6  # transactions of the probe card, spread through the stream


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[tuple[EmbeddedStack, Settings]]:
    base = load_settings(data_dir=tmp_path / "stack", environment="test")
    stack = EmbeddedStack(base, write_state=False)
    stack.start()
    try:
        settings = stack.settings().replace(
            data_dir=tmp_path / "data", broker_session_timeout_s=6, worker_batch_size=100
        )
        asyncio.run(create_topics(settings))
        yield stack, settings
    finally:
        stack.stop()


def _stream(total: int) -> tuple[list[dict[str, Any]], str]:
    """``total`` events; ``CARD_EVENTS`` of them on one probe card within an hour."""
    card = token("fpProbe", 8)
    events = []
    for i in range(total):
        on_probe = i % (total // CARD_EVENTS) == 0 and i // (total // CARD_EVENTS) < CARD_EVENTS
        events.append(
            event_dict(
                card={"fingerprint": card} if on_probe else {},
                event_time=(BASE_TIME + timedelta(seconds=i * 3600 / total)).isoformat(),
            )
        )
    return events, card


def _messages(events: list[dict[str, Any]]) -> list[tuple[bytes | None, bytes]]:
    return [(e["card"]["fingerprint"].encode(), orjson.dumps(e)) for e in events]


def _decided(settings: Settings, ids: set[str], timeout_s: float = 120) -> list[dict[str, Any]]:
    return asyncio.run(
        read_topic(
            settings,
            settings.topic("decisions"),
            until=lambda records: ids <= {r["transaction_id"] for r in records},
            timeout_s=timeout_s,
        )
    )


def _wait_for(settings: Settings, at_least: int, timeout_s: float = 90) -> None:
    """Return as soon as ``at_least`` distinct transactions are decided."""
    records = asyncio.run(
        read_topic(
            settings,
            settings.topic("decisions"),
            until=lambda r: len({d["transaction_id"] for d in r}) >= at_least,
            timeout_s=timeout_s,
        )
    )
    if len({r["transaction_id"] for r in records}) < at_least:
        raise TimeoutError(f"fewer than {at_least} decisions within {timeout_s}s")


def _check_exactly_one(records: list[dict[str, Any]], events: list[dict[str, Any]]) -> int:
    """Every event decided, each with one decision; returns how many copies were re-sent."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_id.setdefault(record["transaction_id"], []).append(record)
    assert set(by_id) == {e["transaction_id"] for e in events}
    for copies in by_id.values():  # redelivery re-sends the same decision, never another
        assert all(copy == copies[0] for copy in copies)
    return sum(len(copies) - 1 for copies in by_id.values())


def _check_counters(settings: Settings, card: str, worker: WorkerProcess) -> None:
    """A probe transaction on the card after the stream sees exactly its earlier events."""
    probe = event_dict(
        card={"fingerprint": card}, event_time=(BASE_TIME + timedelta(minutes=61)).isoformat()
    )
    asyncio.run(produce(settings, settings.topic("transactions"), _messages([probe])))
    records = _decided(settings, {probe["transaction_id"]})
    decision = next(r for r in records if r["transaction_id"] == probe["transaction_id"])
    assert decision["features"]["card_count_24h"] == CARD_EVENTS, worker.log_text()[-2000:]


def _produce_in_background(
    settings: Settings, events: list[dict[str, Any]], per_second: int = 500
) -> threading.Thread:
    """About ``per_second`` events per second, so faults land while the stream flows."""
    step = max(1, per_second // 5)

    def run() -> None:
        topic = settings.topic("transactions")
        messages = _messages(events)
        for start in range(0, len(messages), step):
            asyncio.run(produce(settings, topic, messages[start : start + step]))
            time.sleep(0.2)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_killed_worker_restarts_without_loss_or_double_counting(
    own_stack: tuple[EmbeddedStack, Settings], tmp_path: Path
) -> None:
    _, settings = own_stack
    events, card = _stream(2000)
    worker = WorkerProcess(settings, tmp_path / "worker")
    worker.start()
    try:
        producer = _produce_in_background(settings, events)
        _wait_for(settings, 500)
        worker.kill()  # SIGKILL mid-stream: in-flight batches are redelivered
        worker.start()
        producer.join()
        records = _decided(settings, {e["transaction_id"] for e in events})
        redelivered = _check_exactly_one(records, events)
        assert redelivered > 0  # the kill did land mid-stream: uncommitted work came back
        _check_counters(settings, card, worker)
    finally:
        worker.stop()


def test_redis_restart_mid_stream(
    own_stack: tuple[EmbeddedStack, Settings], tmp_path: Path
) -> None:
    stack, settings = own_stack
    events, card = _stream(2000)
    worker = WorkerProcess(settings, tmp_path / "worker")
    worker.start()
    try:
        producer = _produce_in_background(settings, events)
        _wait_for(settings, 600)
        stack.stop_redis()
        time.sleep(3)  # the worker holds the stream (RISKSTREAM_REDIS_OUTAGE=wait)
        stack.start_redis_again()
        producer.join()
        records = _decided(settings, {e["transaction_id"] for e in events})
        _check_exactly_one(records, events)
        assert all(r["mode"] != "degraded" for r in records)
        _check_counters(settings, card, worker)
    finally:
        worker.stop()


def test_broker_paused_past_the_session_timeout(
    own_stack: tuple[EmbeddedStack, Settings], tmp_path: Path
) -> None:
    stack, settings = own_stack
    events, card = _stream(1500)
    worker = WorkerProcess(settings, tmp_path / "worker")
    worker.start()
    try:
        producer = _produce_in_background(settings, events[:600])
        producer.join()
        _wait_for(settings, 300)
        assert stack.broker_pid is not None
        os.kill(stack.broker_pid, signal.SIGSTOP)
        time.sleep(settings.broker_session_timeout_s + 4)
        os.kill(stack.broker_pid, signal.SIGCONT)
        asyncio.run(produce(settings, settings.topic("transactions"), _messages(events[600:])))
        records = _decided(settings, {e["transaction_id"] for e in events}, timeout_s=180)
        _check_exactly_one(records, events)
        _check_counters(settings, card, worker)
    finally:
        worker.stop()


def test_fail_closed_while_redis_is_down(
    own_stack: tuple[EmbeddedStack, Settings], tmp_path: Path
) -> None:
    stack, settings = own_stack
    before = [event_dict() for _ in range(50)]
    during = [event_dict() for _ in range(50)]
    worker = WorkerProcess(
        settings,
        tmp_path / "worker",
        RISKSTREAM_REDIS_OUTAGE="fail_closed",
        RISKSTREAM_REDIS_OUTAGE_GRACE_S="1",
    )
    worker.start()
    try:
        asyncio.run(produce(settings, settings.topic("transactions"), _messages(before)))
        _decided(settings, {e["transaction_id"] for e in before})
        stack.stop_redis()
        asyncio.run(produce(settings, settings.topic("transactions"), _messages(during)))
        records = _decided(settings, {e["transaction_id"] for e in during})
        degraded = [
            r for r in records if r["transaction_id"] in {e["transaction_id"] for e in during}
        ]
        assert degraded and all(r["mode"] == "degraded" for r in degraded)
        assert all(ACTION_SEVERITY[r["action"]] >= ACTION_SEVERITY["review"] for r in degraded)
        assert all(r["reasons"][0]["code"] == "degraded_redis_unavailable" for r in degraded)
        stack.start_redis_again()
        after = event_dict()
        asyncio.run(produce(settings, settings.topic("transactions"), _messages([after])))
        records = _decided(settings, {after["transaction_id"]})
        back = next(r for r in records if r["transaction_id"] == after["transaction_id"])
        assert back["mode"] != "degraded"
    finally:
        worker.stop()


def test_two_then_four_workers_rebalance_without_loss_or_double_counting(
    own_stack: tuple[EmbeddedStack, Settings], tmp_path: Path
) -> None:
    """Scale out mid-stream: 2 workers, then 4 (each takes a share), then one leaves."""
    _, settings = own_stack
    assert settings.transactions_partitions >= 8
    events, card = _stream(4000)
    ports = [free_port() for _ in range(4)]
    workers = [
        WorkerProcess(settings, tmp_path / f"worker{i}", RISKSTREAM_WORKER_METRICS_PORT=str(port))
        for i, port in enumerate(ports)
    ]

    def decided_by(port: int) -> float:
        return metric_sum(scrape_until(port, bool, timeout_s=5), "riskstream_decisions_total")

    for worker in workers[:2]:
        worker.start()
    try:
        producer = _produce_in_background(settings, events[:1000])
        _wait_for(settings, 500)
        for worker in workers[2:]:  # join the group while the stream flows
            worker.start()
        producer.join()
        # a slow stream until all four have decided something: the group did rebalance
        slow = _produce_in_background(settings, events[1000:3000], per_second=100)
        deadline = time.monotonic() + 90
        while min(decided_by(port) for port in ports) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        shares = [decided_by(port) for port in ports]
        assert min(shares) > 0, shares
        workers[0].stop()  # a graceful leave: its partitions move to the other three
        slow.join()
        asyncio.run(produce(settings, settings.topic("transactions"), _messages(events[3000:])))
        records = _decided(settings, {e["transaction_id"] for e in events}, timeout_s=180)
        _check_exactly_one(records, events)
        _check_counters(settings, card, workers[1])
        logs = "".join(worker.log_text() for worker in workers)
        assert "Traceback" not in logs, logs[-3000:]
    finally:
        for worker in workers:
            worker.stop()
