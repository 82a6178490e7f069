"""The synchronous scoring endpoint: ``POST /v1/score`` returns the decision.

The body is read raw and goes through the same boundary checks as the stream (PCI
guard first), so a card number is refused with 422 and a PCI alert, and never
echoed. The same transaction id returns the same decision without re-counting.

Decisions are published to the ``decisions`` topic too, so the review queue and the
dashboards see HTTP-scored payments: ``review`` decisions (which must become cases)
and PCI alerts are awaited until the broker has them; the rest are published in the
background to keep the endpoint's latency low.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from contracts import (
    Clock,
    Decision,
    EventDecoder,
    InvalidEvent,
    MessagePosition,
    Settings,
    TransactionEvent,
)
from contracts.alerts import pci_alert_for
from pipeline.coalesce import Coalescer
from scoring import ScoringEngine, ScoringUnavailable

__all__ = ["Publisher", "ScoringApi", "error_body"]

log = logging.getLogger(__name__)

# await publish(topic, key, value) -> delivery awaitable
Publisher = Callable[[str, bytes | None, bytes], Awaitable[Awaitable[Any]]]


def error_body(
    kind: str, message: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "errors": errors or []}}


class ScoringApi:
    """Routes for scoring; the edge mounts :attr:`router` and binds the runtime at startup."""

    def __init__(self, *, decoder: EventDecoder, settings: Settings, clock: Clock) -> None:
        self._coalescer: Coalescer | None = None
        self._publish: Publisher | None = None
        self._decoder = decoder
        self._clock = clock
        self._decisions_topic = settings.topic("decisions")
        self._pci_topic = settings.topic("alerts.pci")
        self._background: set[asyncio.Future[Any]] = set()
        self.router = APIRouter()
        self.router.add_api_route(
            "/v1/score",
            self.score,
            methods=["POST"],
            response_model=Decision,
            summary="Score one authorization attempt",
            responses={
                422: {"description": "Invalid event: field-level errors, never the value"},
                503: {"description": "Scoring temporarily unavailable: retry"},
            },
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": TransactionEvent.model_json_schema()}
                    },
                }
            },
        )

    def bind(self, engine: ScoringEngine, publish: Publisher) -> None:
        """Attach the scoring engine and the Kafka publisher (opened at startup)."""
        # requests that arrive while a batch is scored go together as the next batch
        self._coalescer = Coalescer(engine.score_encoded, before_batch=engine.refresh)
        self._publish = publish

    async def score(self, request: Request) -> Response:
        coalescer, publish = self._coalescer, self._publish
        if coalescer is None or publish is None:
            return JSONResponse(
                error_body("unavailable", "scoring is starting; retry"),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        raw = await request.body()
        try:
            event = self._decoder.decode(raw)
        except InvalidEvent as exc:
            if exc.reason == "pci_violation":
                await self._alert(exc, request, publish)
            return JSONResponse(
                error_body(
                    exc.reason,
                    "the event was refused; see errors for each field",
                    [e.as_dict() for e in exc.errors],
                ),
                status_code=422,
            )
        try:
            scored = await coalescer.score(event)
        except ScoringUnavailable:
            log.warning("scoring unavailable for an HTTP request")
            return JSONResponse(
                error_body("unavailable", "scoring is temporarily unavailable; retry"),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        delivery = await publish(
            self._decisions_topic, scored.card_fingerprint.encode(), scored.payload
        )
        if scored.action == "review":
            await delivery
        else:
            self._track(delivery)
        return Response(scored.payload, media_type="application/json")

    def _track(self, delivery: Awaitable[Any]) -> None:
        future = asyncio.ensure_future(delivery)
        self._background.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[Any]) -> None:
        self._background.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("publishing a decision failed: %s", future.exception())

    async def drain(self) -> None:
        """Wait for background publications (on shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _alert(self, exc: InvalidEvent, request: Request, publish: Publisher) -> None:
        alert = pci_alert_for(exc, MessagePosition(source="http"), self._clock.now())
        log.warning(
            "PCI violation on POST /v1/score from %s: %s (payload dropped)",
            request.client.host if request.client else "unknown",
            ", ".join(f"{e.loc} ({e.code})" for e in exc.errors),
        )
        await (await publish(self._pci_topic, None, alert.model_dump_json().encode()))
