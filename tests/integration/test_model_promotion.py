"""Promote and roll back models while `riskstream worker` streams: no restart, nothing lost.

The worker (a child process on the real embedded broker and Valkey) serves the
champion of a copied model home. `riskstream models promote` (another process, as an
operator runs it) moves the alias mid-stream; the decisions switch to the new
version, a rollback restores the old one, a challenger scores in shadow, and every
event produced gets exactly one decision (redeliveries repeat it unchanged).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import Settings
from features import RatesTable, default_registry
from models import LocalModelStore
from simulator import SimulationConfig
from tests.factories import event_dict
from tests.streams import create_topics, produce, read_topic, running_worker, worker_env
from training.simulated import train_on_simulation

pytestmark = pytest.mark.integration

Records = list[dict[str, Any]]


def _cli(settings: Settings, home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "riskstream.cli", "models", *args, "--no-track", "--actor", "ci"],
        env=worker_env(settings, home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Stream:
    """Produces events in small chunks and reads every decision back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sent: list[str] = []

    def send(self, n: int) -> list[str]:
        events = [event_dict() for _ in range(n)]
        messages = [(e["card"]["fingerprint"].encode(), orjson.dumps(e)) for e in events]
        asyncio.run(produce(self.settings, self.settings.topic("transactions"), messages))
        ids = [e["transaction_id"] for e in events]
        self.sent += ids
        return ids

    def decisions(self, until: Callable[[Records], bool], timeout_s: float = 60) -> Records:
        return asyncio.run(
            read_topic(
                self.settings, self.settings.topic("decisions"), until=until, timeout_s=timeout_s
            )
        )

    def decided(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        wanted = set(ids)
        records = self.decisions(lambda rs: wanted <= {r["transaction_id"] for r in rs})
        return {r["transaction_id"]: r for r in records if r["transaction_id"] in wanted}

    def until_version(self, field: str, version: str | None, rounds: int = 40) -> None:
        """Keep streaming small chunks until a decision carries ``version`` in ``field``."""
        for _ in range(rounds):
            chunk = self.decided(self.send(5))
            if any(d[field] == version for d in chunk.values()):
                return
        raise AssertionError(f"no decision with {field} = {version} after {rounds} chunks")


def test_promote_and_roll_back_while_the_worker_streams(
    stack_settings: Settings, model_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    store = LocalModelStore(home / "models")
    first = store.alias("champion")
    assert first is not None
    second = train_on_simulation(
        SimulationConfig(seed=6, days=30, n_customers=700, n_merchants=80),
        default_registry(),
        RatesTable.from_mapping(),
        store,
        maturity=timedelta(days=7),
    ).fitted.meta.version
    assert second != first
    settings = stack_settings
    asyncio.run(create_topics(settings))
    stream = Stream(settings)

    with running_worker(settings, home) as log_path:
        before = stream.decided(stream.send(30))
        assert {d["model_version"] for d in before.values()} == {first}, log_path.read_text()

        promoted = _cli(settings, home, "promote", second)
        assert f"{first} -> {second}" in promoted
        stream.until_version("model_version", second)
        after = stream.decided(stream.send(30))
        assert {d["model_version"] for d in after.values()} == {second}

        _cli(settings, home, "rollback")
        stream.until_version("model_version", first)
        restored = stream.decided(stream.send(30))
        assert {d["model_version"] for d in restored.values()} == {first}

        _cli(settings, home, "promote", second, "--alias", "challenger")
        stream.until_version("challenger_version", second)
        shadow = stream.decided(stream.send(20))
        assert {d["model_version"] for d in shadow.values()} == {first}
        assert {d["challenger_version"] for d in shadow.values()} == {second}
        assert all(d["challenger_score"] is not None for d in shadow.values())
        assert any(d["challenger_score"] != d["score"] for d in shadow.values())

        everything = stream.decisions(
            lambda rs: set(stream.sent) <= {r["transaction_id"] for r in rs}
        )

    by_id: dict[str, Records] = {}
    for record in everything:
        by_id.setdefault(record["transaction_id"], []).append(record)
    assert set(by_id) == set(stream.sent)  # no message lost
    for copies in by_id.values():  # a redelivery repeats the first decision, never differs
        assert all(copy == copies[0] for copy in copies)
    versions = {r["model_version"] for r in everything}
    assert versions == {first, second}

    audit = subprocess.run(
        [sys.executable, "-m", "riskstream.cli", "audit", "export"],
        env=worker_env(settings, home),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    kinds = [orjson.loads(line)["event_type"] for line in audit.splitlines() if line.strip()]
    assert kinds.count("model.promoted") == 2 and kinds.count("model.rolled_back") == 1
