"""Hot reload under load: the policy file changes mid-stream, the worker keeps going.

`riskstream worker` runs as a child process on a copy of the starter pack. Events are
produced continuously; once decisions of the first version flow, the file is replaced
(as a deployment does: write aside, rename) by a version whose allow rule approves
everything (the test events share one IP, so version 1 declines most as card testing).
Decisions must switch version once and for good, and no event may be lost.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts import Settings, topic_specs
from riskstream.stack import bootstrap
from rules import default_policy_path
from tests.factories import event_dict
from tests.streams import create_topics, running_worker

pytestmark = pytest.mark.integration

OLD, NEW = "hot-reload-1", "hot-reload-2"
PROBE = """
[[rule]]
id = "hot_reload_probe"
when = "amount_base >= 0"
action = "approve"
priority = 5000
reason = "hot_reload_probe"
description = "Version 2 approves every transaction (an allow rule overrides the others)."
"""
ENOUGH = 150  # decisions of each version before moving on


def _versioned(text: str, version: str) -> str:
    return re.sub(r'^version = ".*"$', f'version = "{version}"', text, count=1, flags=re.M)


def _replace(path: Path, text: str) -> None:
    staging = path.with_suffix(".staging")
    staging.write_text(text)
    os.replace(staging, path)


class Run:
    """What the test saw: ids sent, first decision per id, versions per partition."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.decisions: dict[str, dict[str, Any]] = {}
        self.by_partition: dict[int, list[str]] = defaultdict(list)

    def count(self, version: str) -> int:
        return sum(1 for d in self.decisions.values() if d["rule_set_version"] == version)


async def _stream_and_swap(settings: Settings, policy: Path, new_text: str) -> Run:
    run = Run()
    topic = settings.topic("transactions")
    decisions = settings.topic("decisions")
    partitions = next(s.partitions for s in topic_specs(settings) if s.name == decisions)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(settings), enable_idempotence=False)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(settings), enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()

    async def produce_continuously() -> None:
        while not stop.is_set():
            events = [event_dict() for _ in range(20)]
            futures = [
                await producer.send(topic, orjson.dumps(e), key=e["card"]["fingerprint"].encode())
                for e in events
            ]
            await asyncio.gather(*futures)
            run.sent.extend(e["transaction_id"] for e in events)
            await asyncio.sleep(0.05)

    producing = asyncio.create_task(produce_continuously())
    try:
        assigned = [TopicPartition(decisions, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        swapped = False
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                for record in records:
                    decision = orjson.loads(record.value)
                    run.by_partition[tp.partition].append(decision["rule_set_version"])
                    run.decisions.setdefault(decision["transaction_id"], decision)
            if not swapped and run.count(OLD) >= ENOUGH:
                _replace(policy, new_text)  # mid-stream: events keep flowing
                swapped = True
            if swapped and not stop.is_set() and run.count(NEW) >= ENOUGH:
                stop.set()
                await producing
            if stop.is_set() and set(run.sent) <= set(run.decisions):
                break
    finally:
        stop.set()
        await producing
        await consumer.stop()
        await producer.stop()
    return run


def test_policy_swaps_mid_stream_and_no_event_is_lost(
    stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings
    asyncio.run(create_topics(settings))
    starter = default_policy_path().read_text()
    policy = tmp_path / "policy.toml"
    policy.write_text(_versioned(starter, OLD))
    new_text = _versioned(starter, NEW) + PROBE

    with running_worker(settings, tmp_path / "worker", RISKSTREAM_RULES_PATH=str(policy)) as log:
        run = asyncio.run(_stream_and_swap(settings, policy, new_text))
    log_text = log.read_text(errors="replace")

    missing = set(run.sent) - set(run.decisions)
    assert not missing, (
        f"{len(missing)} of {len(run.sent)} events got no decision\n{log_text[-3000:]}"
    )
    assert run.count(OLD) >= ENOUGH and run.count(NEW) >= ENOUGH, log_text[-3000:]
    assert f"policy {NEW} loaded (was {OLD})" in log_text

    # Old version first, then only the new one: per partition, and across the worker.
    for versions in run.by_partition.values():
        first_new = versions.index(NEW) if NEW in versions else len(versions)
        assert set(versions[:first_new]) <= {OLD} and set(versions[first_new:]) <= {NEW}
    decided: dict[str, list[datetime]] = defaultdict(list)
    for decision in run.decisions.values():
        decided_at = datetime.fromisoformat(decision["decided_at"].replace("Z", "+00:00"))
        decided[decision["rule_set_version"]].append(decided_at)
    assert max(decided[OLD]) <= min(decided[NEW])

    # The new version's behaviour is visible on every decision it made, and only there.
    for decision in run.decisions.values():
        probe = any(h["rule_id"] == "hot_reload_probe" for h in decision["rule_hits"])
        if decision["rule_set_version"] == NEW:
            assert probe and decision["action"] == "approve"
        else:
            assert not probe
