"""The rollout guard with a stepped clock: rollback on a mix shift or slow scoring, audited."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest
import sqlalchemy as sa

import db
from audit import AuditLog
from contracts import FrozenClock, RolloutAlert, RolloutComponent
from models import LocalModelStore, ModelMeta
from monitoring import RollbackFailed
from monitoring.guard import GuardConfig, RolloutGuard
from monitoring.rollouts import DecisionSample, ModelRollout, RulesRollout, Version

CONFIG = GuardConfig(window=timedelta(minutes=5), min_decisions=40, latency_budget_ms=100.0)


class FakeRollout:
    component: RolloutComponent = "model"

    def __init__(self, version: str) -> None:
        self.serving = Version(version, version)
        self.rolled_back: list[str] = []

    def current(self) -> Version | None:
        return self.serving

    def belongs(self, sample: DecisionSample, new: Version, old: Version | None,
                since: datetime) -> bool:  # fmt: skip
        return sample.model_version == new.name

    def accept(self, version: Version) -> None:
        return None

    def rollback(self, bad: Version, previous: Version | None) -> Version | None:
        self.rolled_back.append(bad.key)
        self.serving = previous or bad
        return previous


def samples(clock: FrozenClock, version: str, n: int, *, declines: int = 0, reviews: int = 0,
            latency_ms: float = 10.0) -> list[DecisionSample]:  # fmt: skip
    out = []
    for i in range(n):
        action = "decline" if i < declines else "review" if i < declines + reviews else "approve"
        at = clock.now() - timedelta(seconds=n - i)
        out.append(DecisionSample(at, action, latency_ms, version, "rules-1"))
    return out


def _guard(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock, rollout: FakeRollout
) -> tuple[RolloutGuard, list[RolloutAlert]]:
    alerts: list[RolloutAlert] = []

    async def sink(alert: RolloutAlert) -> None:
        alerts.append(alert)

    guard = RolloutGuard([rollout], CONFIG, clock, database=database, audit=audit_log, alerts=sink)
    guard.start()
    return guard, alerts


def test_a_model_that_declines_everything_is_rolled_back_and_audited(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    rollout = FakeRollout("m-good")
    guard, alerts = _guard(database, audit_log, clock, rollout)
    guard.observe(samples(clock, "m-good", 200, declines=6, reviews=4))
    rollout.serving = Version("m-bad", "m-bad")
    assert asyncio.run(guard.check()) == []  # the change is noticed; nothing judged yet
    clock.advance(timedelta(seconds=20))
    guard.observe(samples(clock, "m-bad", 39, declines=39))
    assert asyncio.run(guard.check()) == []  # below min_decisions
    clock.advance(timedelta(seconds=1))
    guard.observe(samples(clock, "m-bad", 5, declines=5))
    [event] = asyncio.run(guard.check())

    assert (event.outcome, event.bad_version, event.restored_version) == (
        "rolled_back", "m-bad", "m-good",
    )  # fmt: skip
    assert rollout.rolled_back == ["m-bad"]
    assert event.decided_at - event.change_seen_at <= CONFIG.window
    assert event.reasons == ("decline share 100.0 % vs 3.0 % before (bound ±10 points)",)
    assert event.observed["decisions"] == 44 and event.baseline["decline_share"] == 0.03
    [alert] = alerts
    assert (alert.alert_type, alert.component, alert.restored_version) == (
        "rollout_rolled_back", "model", "m-good",
    )  # fmt: skip
    with database.transaction() as session:
        row = session.execute(
            sa.text(
                "SELECT actor, target, outcome, after_json FROM audit_log "
                "WHERE event_type = 'rollout.rolled_back'"
            )  # fmt: skip
        ).one()
        assert audit_log.verify(session).ok
    assert (row.actor, row.target, row.outcome) == (
        "system:rollout_guard", "model:m-bad", "rolled_back",
    )  # fmt: skip
    after = json.loads(row.after_json)
    assert after["version"] == "m-good" and "decline share 100.0 %" in after["reasons"][0]
    assert asyncio.run(guard.check()) == []  # the restored version is not watched again


def test_a_healthy_version_is_accepted_after_its_window(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    rollout = FakeRollout("m-1")
    guard, alerts = _guard(database, audit_log, clock, rollout)
    guard.observe(samples(clock, "m-1", 100, declines=3))
    rollout.serving = Version("m-2", "m-2")
    asyncio.run(guard.check())
    clock.advance(timedelta(minutes=2))
    guard.observe(samples(clock, "m-2", 100, declines=5, reviews=2))
    assert asyncio.run(guard.check()) == []
    clock.advance(timedelta(minutes=3))
    [event] = asyncio.run(guard.check())
    assert (event.outcome, event.bad_version) == ("accepted", "m-2")
    assert rollout.rolled_back == [] and alerts == []
    assert guard.known["model"] == Version("m-2", "m-2")


def test_slow_scoring_breaks_the_latency_budget(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock
) -> None:
    rollout = FakeRollout("m-1")
    guard, _ = _guard(database, audit_log, clock, rollout)
    rollout.serving = Version("m-2", "m-2")  # no baseline at all: only the budget applies
    asyncio.run(guard.check())
    guard.observe(samples(clock, "m-2", 50, declines=25, latency_ms=400.0))
    [event] = asyncio.run(guard.check())
    assert event.outcome == "rolled_back"
    [reason] = event.reasons
    assert re.fullmatch(r"p95 latency 4\d\d ms over the 100 ms budget", reason), reason


def _save_model(store: LocalModelStore, version: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2))
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_threads": 1},
        lgb.Dataset(x, (x[:, 0] > 0).astype(int), feature_name=["a", "b"]),
        num_boost_round=2,
    )
    store.save(
        booster.model_to_string(),
        ModelMeta(version, ("a", "b"), "fs", "2026-01-01T00:00:00+00:00", ("x", "y")),
    )


def test_model_rollback_moves_the_alias_back_only_if_still_bad(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path / "models")
    for version in ("m-1", "m-2", "m-3"):
        _save_model(store, version)
    store.promote("m-1")
    store.promote("m-2")
    rollout = ModelRollout(store)
    assert rollout.current() == Version("m-2", "m-2")
    assert rollout.rollback(Version("m-2", "m-2"), None) == Version("m-1", "m-1")
    assert store.alias("champion") == "m-1"
    store.promote("m-3")
    with pytest.raises(RollbackFailed, match="not 'm-2'"):
        rollout.rollback(Version("m-2", "m-2"), None)
    assert store.alias("champion") == "m-3"


def test_rules_rollback_restores_the_last_accepted_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"

    def validate(text: str) -> str:
        if "broken" in text:
            raise ValueError("does not load")
        return text.split('"')[1]

    path.write_text('version = "r-1"\n')
    rollout = RulesRollout(path, validate, tmp_path / "rejected", settle=timedelta(0))
    first = rollout.current()
    assert first is not None and first.name == "r-1"
    path.write_text('version = "broken"\n')
    assert rollout.current() == first  # workers would refuse it too: no change
    path.write_text('version = "r-2"\nextra = 1\n')
    bad = rollout.current()
    assert bad is not None and bad.name == "r-2"
    restored = rollout.rollback(bad, first)
    assert restored == first and path.read_text() == 'version = "r-1"\n'
    [archived] = (tmp_path / "rejected").iterdir()
    assert archived.read_text() == 'version = "r-2"\nextra = 1\n'
