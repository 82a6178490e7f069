"""What the review routes share: the service and the list writer, found on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from access import Principal, RequestContext, request_context
from review_queue.annotations import check_text
from review_queue.errors import ReviewError
from review_queue.lists import ListEntity, ListKind, ListWriter, list_name
from review_queue.service import ReviewService, list_value

__all__ = ["ListAddition", "ReviewComponents", "add_to_list", "get_reviews"]


@dataclass(frozen=True, slots=True)
class ReviewComponents:
    service: ReviewService
    list_writer: ListWriter


def get_reviews(request: Request) -> ReviewComponents:
    components = getattr(request.app.state, "riskstream_reviews", None)
    if not isinstance(components, ReviewComponents):
        raise RuntimeError("the review queue is not installed: call install_review_queue(app, …)")
    return components


def context(request: Request, principal: Principal) -> RequestContext:
    return request_context(request, principal)


@dataclass(frozen=True, slots=True)
class ListAddition:
    list_name: str
    entity: ListEntity
    value: str
    expires_at: datetime | None


async def add_to_list(
    components: ReviewComponents,
    case_id: int,
    ctx: RequestContext,
    *,
    kind: ListKind,
    entity: ListEntity,
    reason: str,
    expires_in_days: int | None,
) -> ListAddition:
    """Add the case's card / email / device to a list, then audit it on the case."""
    service = components.service
    reason = check_text("reason", reason, required=True, limit=500)
    detail = await run_in_threadpool(service.detail, case_id)
    value = list_value(detail, entity)
    name = list_name(kind, entity)
    expires_at = service.clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        await components.list_writer.add(
            name, value, owner=ctx.actor, reason=reason, expires_at=expires_at
        )
    except Exception as exc:
        raise ReviewError(f"the {name} list could not be updated: {type(exc).__name__}") from exc
    await run_in_threadpool(
        lambda: service.annotations.record_list_addition(
            case_id,
            ctx,
            list_name=name,
            entity=entity,
            value=value,
            reason=reason,
            expires_at=expires_at,
        )
    )
    return ListAddition(name, entity, value, expires_at)
