"""``POST /v1/webhooks/stripe``: the processor's signed dispute events.

Authentication is the signature (:mod:`disputes.signature`), not a token: the
processor cannot log in. Answers:

* 200 ``{"status": "recorded"}``: stored (``matched`` says whether a decision was
  found; an unmatched notice is kept and matched later) and, if matched, labelled.
* 200 ``{"status": "duplicate"}``: the processor retried an event we have (a retry
  is signed afresh); nothing changes.
* 200 ``{"status": "ignored"}``: a correctly signed event of a type we do not use.
* 400 bad or missing signature, stale or future timestamp, unreadable event.
* 409 ``replayed_delivery``: the very same signed delivery (timestamp and signature)
  came again, i.e. someone re-sent a captured request; ``event_id_conflict``: an
  event id arrived again with a different body.
* 503 the webhook secret is not configured.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from access import error_response
from disputes.errors import (
    DisputeError,
    EventConflict,
    InvalidDispute,
    ReplayedDelivery,
    TimestampOutOfTolerance,
    WebhookNotConfigured,
    WebhookRefused,
)
from disputes.service import DisputeService, body_digest
from disputes.signature import SIGNATURE_HEADER, verify_signature
from disputes.stripe_events import from_stripe_event

__all__ = ["MAX_BODY_BYTES", "WebhookComponents", "create_webhook_router", "install_disputes"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
WEBHOOK_PATH = "/v1/webhooks/stripe"
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,79}$")


@dataclass(frozen=True, slots=True)
class WebhookComponents:
    service: DisputeService
    secret: SecretStr | None
    tolerance_s: int


def install_disputes(
    app: FastAPI, service: DisputeService, *, secret: SecretStr | None, tolerance_s: int
) -> None:
    """Mount the webhook on ``app`` (access control must be installed: errors use it)."""
    if getattr(app.state, "riskstream_access", None) is None:
        raise RuntimeError("install access control first: access.install_access(app, …)")
    app.state.riskstream_disputes = WebhookComponents(service, secret, tolerance_s)
    app.include_router(create_webhook_router())


def _outcome(exc: DisputeError) -> str:
    if isinstance(exc, TimestampOutOfTolerance):
        return "refused_timestamp"
    if isinstance(exc, WebhookRefused):
        return "refused_signature"
    if isinstance(exc, ReplayedDelivery):
        return "replayed"
    if isinstance(exc, EventConflict):
        return "conflict"
    if isinstance(exc, WebhookNotConfigured):
        return "not_configured"
    return "invalid"


def create_webhook_router() -> APIRouter:
    router = APIRouter(tags=["disputes"])

    @router.post(
        WEBHOOK_PATH,
        summary="Receive the card processor's dispute, early-fraud-warning and refund events",
        responses={
            400: {"description": "Bad signature, stale timestamp or unreadable event"},
            409: {"description": "A replayed delivery, or an event id with another body"},
            503: {"description": "The webhook secret is not configured"},
        },
    )
    async def stripe_webhook(request: Request) -> Response:
        components: WebhookComponents = request.app.state.riskstream_disputes
        service = components.service
        try:
            body = await _read_body(request)
            if components.secret is None:
                raise WebhookNotConfigured()
            delivery = verify_signature(
                body,
                request.headers.get(SIGNATURE_HEADER),
                components.secret.get_secret_value(),
                now=service.clock.now(),
                tolerance_s=components.tolerance_s,
            )
            document = _json(body)
            event = from_stripe_event(document)
            if event is None:
                service.observer.webhook_outcome("ignored")
                # echo only what looks like an event type: never free text (card data)
                kind = document.get("type")
                shown = kind if isinstance(kind, str) and _EVENT_TYPE.match(kind) else None
                return JSONResponse({"status": "ignored", "type": shown})
            result = await run_in_threadpool(
                lambda: service.record(
                    event, via="webhook", body_sha256=body_digest(body), delivery=delivery
                )
            )
        except DisputeError as exc:
            outcome = _outcome(exc)
            service.observer.webhook_outcome(outcome)
            log.warning("webhook refused (%s): %s", outcome, exc)
            return error_response(request, exc.status_code, exc.code, str(exc))
        service.observer.webhook_outcome("accepted" if result.status == "recorded" else "duplicate")
        return JSONResponse(
            {
                "status": result.status,
                "event_id": result.event_id,
                "matched": result.matched,
                "transaction_id": result.transaction_id,
                "category": result.category,
                "is_fraud": result.is_fraud,
                "label_id": result.label.label_id if result.label else None,
            }
        )

    return router


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InvalidDispute("body", f"larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidDispute("body", f"larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidDispute("body", "not a JSON document") from None
    if not isinstance(document, dict):
        raise InvalidDispute("body", "expected a JSON object (an event)")
    return document
