"""Produce to and read from the real embedded broker in tests; run workers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts import Settings, topic_specs
from pipeline.admin import ensure_topics
from riskstream.stack import bootstrap, child_env, stop_process


async def create_topics(settings: Settings) -> None:
    await ensure_topics(bootstrap(settings), topic_specs(settings))


async def produce(
    settings: Settings, topic: str, messages: Sequence[tuple[bytes | None, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(settings), enable_idempotence=False)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(
    settings: Settings,
    topic: str,
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout_s: float = 60.0,
) -> list[dict[str, Any]]:
    """Every JSON record of ``topic`` from the start, until ``until(records)`` or timeout."""
    partitions = next(s.partitions for s in topic_specs(settings) if s.name == topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(settings), enable_auto_commit=False)
    await consumer.start()
    records: list[dict[str, Any]] = []
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        deadline = time.monotonic() + timeout_s
        while not until(records) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(orjson.loads(r.value) for r in batch if r.value)
    finally:
        await consumer.stop()
    return records


def worker_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    values = {"RISKSTREAM_WORKER_BATCH_WITHIN_S": "0.05", "RISKSTREAM_LOG_LEVEL": "info"}
    values.update(extra)
    return child_env(settings.replace(data_dir=data_dir), **values)


@contextmanager
def running_worker(settings: Settings, data_dir: Path, **extra: str) -> Iterator[Path]:
    """`riskstream worker` as a child process; yields its log file."""
    log_path = data_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "riskstream.cli", "worker"],
            env=worker_env(settings, data_dir, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log_path
    finally:
        stop_process(process, timeout_s=30)


class WorkerProcess:
    """`riskstream worker` as a child process that tests can kill and start again."""

    def __init__(self, settings: Settings, data_dir: Path, **extra: str) -> None:
        self._settings = settings
        self._data_dir = data_dir
        self._extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self) -> None:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._data_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "riskstream.cli", "worker"],
                env=worker_env(self._settings, self._data_dir, **self._extra),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no offset commit, whatever was in flight is redelivered."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process, timeout_s=30)
        self.process = None

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())


def metric_sum(text: str, name: str) -> float:
    """Sum of every sample of ``name`` (all label sets) in a Prometheus text page."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def scrape_until(port: int, ready: Callable[[str], bool], timeout_s: float = 30.0) -> str:
    """The worker's /metrics page once ``ready(page)`` holds (or at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
                text: str = page.read().decode()
        except OSError:  # not listening yet
            text = ""
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.2)
