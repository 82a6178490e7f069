"""The monitoring workers: the stream tap, the rollout guard, dispute ingestion, gauges.

Run once per deployment, inside `riskstream serve` (default) or alone with
`riskstream monitoring-workers`: the guard acts on the shared model store and rules
file, and the tap's fleet counters would be reported twice by two instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select

from audit import AuditLog
from contracts import Clock, RolloutAlert, Settings
from db import Database
from disputes import DisputeRecord, DisputeService, run_dispute_workers
from models import AliasChange, LocalModelStore
from monitoring.drift import ReferenceStore, population_stability_index
from monitoring.fraud_rates import measure_fraud_rates
from monitoring.guard import GuardConfig, GuardEvent, RolloutGuard
from monitoring.metrics import MonitoringMetrics
from monitoring.queries import score_bins
from monitoring.review_sla import queue_state
from monitoring.rollouts import ModelRollout, Rollout, RulesRollout
from monitoring.tables import Period
from monitoring.tap import StreamTap
from review_queue.kafka import make_producer
from sca import rates_path

__all__ = ["build_guard", "refresh_gauges", "run_monitoring_workers"]

log = logging.getLogger(__name__)


def _rules_validator(settings: Settings) -> Callable[[str], str]:
    from rules import load_ruleset, symbol_table
    from scoring import policy_symbols
    from scoring.build import registry_for

    symbols = symbol_table(policy_symbols(registry_for(settings)))

    def validate(text: str) -> str:
        return load_ruleset(text, symbols).version

    return validate


def build_guard(
    settings: Settings,
    *,
    clock: Clock,
    database: Database,
    audit: AuditLog,
    metrics: MonitoringMetrics | None = None,
    alerts: Callable[[RolloutAlert], Awaitable[None]] | None = None,
    config: GuardConfig | None = None,
    model_rollback: Callable[[], AliasChange] | None = None,
) -> RolloutGuard:
    """The guard over the champion model and, when one is configured, the rules file."""
    store = LocalModelStore(settings.data_dir / "models")
    rollouts: list[Rollout] = [ModelRollout(store, mover=model_rollback)]
    if settings.rules_path is not None:
        rollouts.append(
            RulesRollout(
                settings.rules_path,
                _rules_validator(settings),
                settings.data_dir / "monitoring" / "rejected-rules",
            )
        )

    def on_event(event: GuardEvent) -> None:
        if metrics is not None and event.outcome != "accepted":
            metrics.ops.rollbacks.labels(component=event.component, outcome=event.outcome).inc()

    return RolloutGuard(
        rollouts, config or GuardConfig.from_settings(settings), clock,
        database=database, audit=audit, alerts=alerts, on_event=on_event,
    )  # fmt: skip


def refresh_gauges(
    settings: Settings,
    database: Database,
    clock: Clock,
    metrics: MonitoringMetrics,
    references: ReferenceStore,
    *,
    fraud_rates: bool = True,
) -> None:
    """Queue depth and age, unmatched disputes, today's PSI, the 90-day fraud rate."""
    now = clock.now()
    with database.transaction() as session:
        state = queue_state(session, now)
        unmatched = session.execute(
            select(func.count()).select_from(DisputeRecord).where(DisputeRecord.matched.is_(False))
        ).scalar_one()
        champion = LocalModelStore(settings.data_dir / "models").alias("champion")
        reference = references.find(champion)
        if champion is not None and reference is not None:
            counts = score_bins(session, Period.last_days(now, 1), champion, reference.edges)
            totals = [sum(day[i] for day in counts.values()) for i in range(len(reference.shares))]
            served = sum(totals)
            if served:
                psi = population_stability_index([t / served for t in totals], reference.shares)
                metrics.ops.score_psi.labels(model_version=champion).set(psi)
    metrics.ops.set_review_queue(state.depth, state.oldest_age_s, state.overdue)
    metrics.ops.disputes_unmatched.set(int(unmatched))
    if fraud_rates:
        rates = measure_fraud_rates(database, now)
        rates.write(rates_path(settings.data_dir))
        if rates.acquirer_bps is not None:
            metrics.ops.fraud_rate_bps.set(rates.acquirer_bps)


async def run_monitoring_workers(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock,
    database: Database,
    audit: AuditLog,
    metrics: MonitoringMetrics,
    disputes: DisputeService,
    guard: RolloutGuard | None = None,
    model_rollback: Callable[[], AliasChange] | None = None,
    gauge_interval: timedelta = timedelta(seconds=15),
    fraud_rate_interval: timedelta = timedelta(minutes=10),
    group_prefix: str = "riskstream",
) -> None:
    """Until ``stop``: tap the topics, guard rollouts, ingest disputes, refresh gauges.

    ``guard`` defaults to :func:`build_guard` when ``settings.guard_enabled`` (with
    ``model_rollback`` as the champion's rollback). A task that fails stops the others
    and the error is raised.
    """
    producer = make_producer(settings, client_id="riskstream-monitoring")
    await producer.start()

    async def send_alert(alert: RolloutAlert) -> None:
        await producer.send_and_wait(settings.topic("alerts.ops"), alert.model_dump_json().encode())

    if guard is None and settings.guard_enabled:
        guard = build_guard(
            settings, clock=clock, database=database, audit=audit, metrics=metrics,
            alerts=send_alert, model_rollback=model_rollback,
        )  # fmt: skip
    tap = StreamTap(settings, metrics.stream, on_decisions=guard.observe if guard else None)
    references = ReferenceStore(settings.data_dir)

    async def gauges() -> None:
        last_rates = None
        while not stop.is_set():
            now = clock.now()
            due = last_rates is None or now - last_rates >= fraud_rate_interval
            try:
                await asyncio.to_thread(
                    refresh_gauges, settings, database, clock, metrics, references,
                    fraud_rates=due,
                )  # fmt: skip
                if due:
                    last_rates = now
            except Exception:
                log.exception("refreshing the monitoring gauges failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=gauge_interval.total_seconds())

    tasks = [
        asyncio.create_task(tap.run(stop), name="monitoring-tap"),
        asyncio.create_task(
            run_dispute_workers(disputes, settings, stop, group_prefix=group_prefix),
            name="dispute-workers",
        ),
        asyncio.create_task(gauges(), name="monitoring-gauges"),
    ]
    if guard is not None:
        tasks.append(asyncio.create_task(guard.run(stop), name="rollout-guard"))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
