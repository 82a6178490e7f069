"""While the worker streams, a model that declines everything is promoted; the rollout
guard (the monitoring workers, as `riskstream serve` runs them) rolls it back within its
window, the audit log records why and an alert goes to ``alerts.ops``."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import db
from audit import AuditLog
from contracts import RolloutAlert, Settings, SystemClock
from models import LocalModelStore
from riskstream.monitoring_wiring import build_monitoring
from tests.monitoring_support import promote_a_model_that_declines_everything, simulated, stream
from tests.streams import create_topics, read_topic, running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio]

WINDOW_S = 60.0


async def _until(predicate: object, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await asyncio.to_thread(predicate):  # type: ignore[arg-type]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def test_a_bad_model_is_rolled_back_within_the_window(
    stack_settings: Settings, model_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    settings = stack_settings.replace(
        data_dir=home, guard_window_s=WINDOW_S, guard_min_decisions=40,
        guard_latency_budget_ms=5_000.0,  # this test is about the mix, not a slow machine
    )  # fmt: skip
    await create_topics(settings)
    db.upgrade(settings.resolved_database_url)
    store = LocalModelStore(home / "models")
    database = db.Database.from_settings(settings)
    clock = SystemClock()
    audit = AuditLog(environment="test", clock=clock)
    monitoring = build_monitoring(settings, database=database, audit=audit, clock=clock)
    items = simulated(seed=11, days=5)
    stop, stop_stream = asyncio.Event(), asyncio.Event()
    workers = asyncio.create_task(
        monitoring.run_workers(stop, group_prefix=f"guard-{uuid.uuid4().hex[:6]}")
    )
    try:
        with running_worker(settings, home) as log_path:
            streaming = asyncio.create_task(
                stream(settings, items, rate_per_s=120, stop=stop_stream)
            )
            stream_metrics = monitoring.metrics.stream.decisions

            def decided() -> float:
                return sum(
                    stream_metrics.value(a, "full")
                    for a in ("approve", "challenge", "review", "decline")
                )

            await _until(lambda: decided() >= 100, 120, "decisions by the good model")
            good, bad = promote_a_model_that_declines_everything(store)
            await _until(lambda: store.alias("champion") == good, WINDOW_S + 30, "the rollback")
            stop_stream.set()
            await streaming
            log_text = log_path.read_text(errors="replace")
    finally:
        stop.set()
        await workers

    with database.transaction() as session:
        row = session.execute(
            sa.text(
                "SELECT actor, target, outcome, after_json FROM audit_log "
                "WHERE event_type = 'rollout.rolled_back'"
            )  # fmt: skip
        ).one()
        move = session.execute(  # the alias move, audited by the model lifecycle
            sa.text(
                "SELECT actor, before_json, after_json FROM audit_log "
                "WHERE event_type = 'model.rolled_back'"
            )  # fmt: skip
        ).one()
        assert audit.verify(session).ok
    database.dispose()
    after = json.loads(row.after_json)
    assert (row.actor, row.target, row.outcome, after["version"]) == (
        "system:rollout_guard", f"model:{bad}", "rolled_back", good,
    ), log_text[-2000:]  # fmt: skip
    assert move.actor == "system:rollout_guard"
    assert (json.loads(move.before_json)["version"], json.loads(move.after_json)["version"]) == (
        bad, good,
    )  # fmt: skip
    assert any(r.startswith("decline share 100.0 %") for r in after["reasons"]), after
    assert after["observed"]["decisions"] >= 40
    assert after["baseline"]["decline_share"] < 0.5
    seen = datetime.fromisoformat(after["change_seen_at"].replace("Z", "+00:00"))
    acted = datetime.fromisoformat(after["decided_at"].replace("Z", "+00:00"))
    assert acted - seen <= timedelta(seconds=WINDOW_S)  # within the guard's window

    alerts = await read_topic(settings, settings.topic("alerts.ops"), until=lambda r: len(r) >= 1)
    alert = RolloutAlert.model_validate(alerts[0])
    assert (alert.alert_type, alert.bad_version, alert.restored_version) == (
        "rollout_rolled_back", bad, good,
    )  # fmt: skip
