"""Monitoring and disputes in the HTTP app: what `riskstream serve` mounts and runs.

::

    monitoring = Monitoring.build(settings, database=database, audit=audit, clock=clock)
    monitoring.install(app)            # /metrics, /dashboard, /v1/webhooks/stripe
    task = asyncio.create_task(monitoring.run_workers(stop))   # in the lifespan

Routes and who may use them:

* ``GET /dashboard`` and its CSV exports: ``reviews.read`` (analyst, lead, admin), the
  same roles as the review UI it is served with;
* ``GET /metrics``: ``metrics.read`` (the ``monitor`` role for Prometheus; lead, admin);
* ``POST /v1/webhooks/stripe``: no token; the processor's signature authenticates it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response

from access import Principal, require
from audit import AuditLog
from contracts import Clock, Settings
from db import Database
from disputes import DisputeService, install_disputes
from features.money import RatesTable
from models import AliasChange, LocalModelStore
from monitoring.dashboard import DashboardComponents, install_dashboard
from monitoring.drift import ReferenceStore
from monitoring.guard import RolloutGuard
from monitoring.metrics import MonitoringMetrics
from monitoring.workers import run_monitoring_workers

__all__ = ["Monitoring", "metrics_router"]


def metrics_router(metrics: MonitoringMetrics) -> APIRouter:
    """``GET /metrics`` in Prometheus text format; needs the ``metrics.read`` permission."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    def scrape(_: Principal = Depends(require("metrics.read"))) -> Response:  # noqa: B008
        return Response(metrics.exposition(), media_type=metrics.content_type)

    return router


@dataclass(frozen=True, slots=True)
class Monitoring:
    settings: Settings
    database: Database
    audit: AuditLog
    clock: Clock
    metrics: MonitoringMetrics
    disputes: DisputeService
    dashboard: DashboardComponents
    model_rollback: Callable[[], AliasChange] | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        metrics: MonitoringMetrics | None = None,
        model_rollback: Callable[[], AliasChange] | None = None,
    ) -> Monitoring:
        """``model_rollback`` rolls the champion back for the guard (default: the local
        store's alias only; the edge passes the model lifecycle's rollback)."""
        metrics = metrics or MonitoringMetrics()
        store = LocalModelStore(settings.data_dir / "models")
        return cls(
            settings,
            database,
            audit,
            clock,
            metrics,
            DisputeService(database, audit, clock, observer=metrics.ops),
            DashboardComponents(
                database,
                clock,
                RatesTable.from_mapping(base=settings.base_currency),
                ReferenceStore(settings.data_dir),
                lambda: store.alias("champion"),
            ),
            model_rollback,
        )

    def install(self, app: FastAPI) -> None:
        """Mount the dashboard, ``/metrics`` and the webhook (access control first)."""
        install_dashboard(app, self.dashboard)
        app.include_router(metrics_router(self.metrics))
        install_disputes(
            app,
            self.disputes,
            secret=self.settings.webhook_secret,
            tolerance_s=self.settings.webhook_tolerance_s,
        )

    async def run_workers(
        self,
        stop: asyncio.Event,
        *,
        guard: RolloutGuard | None = None,
        group_prefix: str = "riskstream",
    ) -> None:
        await run_monitoring_workers(
            self.settings, stop, clock=self.clock, database=self.database, audit=self.audit,
            metrics=self.metrics, disputes=self.disputes, guard=guard, group_prefix=group_prefix,
            model_rollback=self.model_rollback,
        )  # fmt: skip
