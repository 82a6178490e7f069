"""The HTTP application: scoring API today; review queue and dashboards mount here too.

Built per process by `riskstream serve`. The lifespan opens one Redis client and one
Kafka producer and closes them on shutdown (after publishing what is pending).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contracts import BoundaryPolicy, Clock, EventDecoder, Settings, SystemClock
from pipeline.http_api import ScoringApi, error_body
from riskstream.stack import bootstrap
from scoring.build import build_engine, redis_client

__all__ = ["create_http_app"]


def create_http_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The ASGI app; needs resolved Kafka and Redis endpoints in ``settings``."""
    clock = clock or SystemClock()
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = redis_client(settings)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap(settings),
            enable_idempotence=False,  # the embedded broker lacks it; effects are idempotent
            linger_ms=2,
            acks="all",
        )
        await producer.start()

        async def publish(topic: str, key: bytes | None, value: bytes) -> Any:
            return await producer.send(topic, value, key=key)

        api = ScoringApi(
            engine=build_engine(settings, clock, client),
            decoder=EventDecoder(BoundaryPolicy.from_settings(settings)),
            settings=settings,
            clock=clock,
            publish=publish,
        )
        api.mount(app)
        state.update(redis=client, producer=producer, api=api)
        try:
            yield
        finally:
            await api.drain()
            await producer.stop()
            await client.aclose()

    app = FastAPI(
        title="riskstream",
        version="0.1.0",
        summary="Streaming fraud detection and risk scoring for card payments",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the input; ours never does (it may be card data).
        errors = [
            {
                "loc": ".".join(str(p) for p in error.get("loc", ())),
                "code": str(error.get("type", "invalid")),
                "message": str(error.get("msg", "invalid value")),
            }
            for error in exc.errors()
        ]
        return JSONResponse(error_body("schema", "invalid request", errors), status_code=422)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        client = state.get("redis")
        try:
            ready = client is not None and bool(await client.ping())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            ready = False
        return JSONResponse(
            {"status": "ready" if ready else "not ready"}, status_code=200 if ready else 503
        )

    return app
