"""The HTTP application: scoring API, review queue and its UI, behind one access control.

Built per process by `riskstream serve`. Every route authenticates its caller: the
payment pipeline with a service token (``POST /v1/score``), analysts with a token or
the login form's session. The lifespan opens one Redis client and one Kafka
producer, and runs the review queue's workers (decision ingestion, the command
outbox, SLA defaults) unless told not to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

import db
from access import AccessControl, install_access, require
from audit import AuditLog
from contracts import BoundaryPolicy, Clock, EventDecoder, Settings, SystemClock
from pipeline.http_api import ScoringApi
from pipeline.timing import ServerTimingMiddleware
from review_queue import ReviewService, install_review_queue, run_review_workers
from riskstream.lists_wiring import list_manager
from riskstream.monitoring_wiring import build_monitoring
from riskstream.stack import bootstrap
from rules import RedisListStore
from rules.lists_api import ListApiState, install_list_api
from scoring.build import build_engine, redis_client

__all__ = ["RedisListWriter", "create_http_app"]

log = logging.getLogger(__name__)


class RedisListWriter:
    """The review queue's list writer, on the rules' Redis list store."""

    def __init__(self, store: RedisListStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def add(
        self,
        list_name: str,
        value: str,
        *,
        owner: str,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        await self._store.add(
            list_name, value, owner=owner, reason=reason, now=self._clock.now(),
            expires_at=expires_at,
        )  # fmt: skip


class _DeferredLists:
    """Forwards to the Redis list writer once the lifespan has opened Redis."""

    def __init__(self) -> None:
        self.target: RedisListWriter | None = None

    async def add(
        self,
        list_name: str,
        value: str,
        *,
        owner: str,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        if self.target is None:
            raise RuntimeError("the list store is not open yet")
        await self.target.add(list_name, value, owner=owner, reason=reason, expires_at=expires_at)


def create_http_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    review_workers: bool = True,
    monitoring_workers: bool | None = None,
    migrate: bool | None = None,
) -> FastAPI:
    """The ASGI app; needs resolved Kafka and Redis endpoints in ``settings``.

    ``migrate`` (default: outside production) upgrades the database schema at startup;
    production runs `riskstream db upgrade` as its own step. ``monitoring_workers``
    (default: as ``review_workers``) runs the stream tap, the rollout guard and the
    dispute consumers in this process.
    """
    clock = clock or SystemClock()
    if migrate if migrate is not None else settings.environment != "production":
        db.upgrade(settings.resolved_database_url)
    database = db.Database.from_settings(settings)
    audit = AuditLog(
        environment=settings.environment,
        clock=clock,
        retention_days=settings.audit_retention_days,
    )
    service = ReviewService(database, audit, clock, settings=settings)
    # issue 7: dashboard, /metrics, dispute webhook; tap, rollout guard, dispute consumers
    monitoring = build_monitoring(settings, database=database, audit=audit, clock=clock)
    lists = _DeferredLists()
    list_api = ListApiState()  # /v1/lists: audited list changes (issue 4)
    scoring = ScoringApi(
        decoder=EventDecoder(BoundaryPolicy.from_settings(settings)),
        settings=settings,
        clock=clock,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = redis_client(settings)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap(settings),
            enable_idempotence=False,  # the embedded broker lacks it; effects are idempotent
            linger_ms=2,
            acks="all",
            compression_type=settings.producer_compression,
            max_batch_size=settings.broker_max_batch_bytes,
        )
        try:
            engine = build_engine(settings, clock, client)
            await producer.start()
        except BaseException:
            await producer.stop()
            await client.aclose()
            raise

        async def publish(topic: str, key: bytes | None, value: bytes) -> Any:
            return await producer.send(topic, value, key=key)

        scoring.bind(engine, publish)
        engine.stages.listeners.append(monitoring.metrics.scoring.observe_stage)  # /metrics
        store = RedisListStore(client, namespace=settings.redis_namespace)
        lists.target = RedisListWriter(store, clock)
        list_api.manager = list_manager(
            settings, client, clock, database=database, audit=audit, policy=engine.policy
        )
        app.state.redis = client
        stop = asyncio.Event()
        workers = (
            asyncio.create_task(
                run_review_workers(settings, stop, clock=clock, service=service),
                name="review-workers",
            )
            if review_workers
            else None
        )
        monitoring_stop = asyncio.Event()
        monitors = (
            asyncio.create_task(monitoring.run_workers(monitoring_stop), name="monitoring-workers")
            if (review_workers if monitoring_workers is None else monitoring_workers)
            else None
        )
        try:
            yield
        finally:
            stop.set()
            monitoring_stop.set()
            if workers is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(workers, timeout=15)
            if monitors is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(monitors, timeout=15)
            await scoring.drain()
            await producer.stop()
            await client.aclose()
            database.dispose()

    app = FastAPI(
        title="riskstream",
        version="0.1.0",
        summary="Streaming fraud detection and risk scoring for card payments",
        description=(
            "Authenticate with `Authorization: Bearer rs_…` (API tokens; the payment "
            "pipeline's token has the `service` role) or the login form's session."
        ),
        lifespan=lifespan,
    )
    install_access(
        app, AccessControl.from_settings(settings, database=database, clock=clock, audit=audit)
    )
    app.include_router(scoring.router, dependencies=[Depends(require("score"))])
    install_review_queue(app, service, lists)
    install_list_api(app, list_api)  # reads need reviews.read, changes lists.write
    monitoring.install(app)  # /dashboard (reviews.read), /metrics (metrics.read), webhook
    # outermost: the Server-Timing header covers access control and the route itself
    app.add_middleware(ServerTimingMiddleware)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/reviews", status_code=303)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        client = getattr(app.state, "redis", None)
        try:
            ready = client is not None and bool(await client.ping())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            ready = False
        body = {"status": "ready" if ready else "not ready"}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
