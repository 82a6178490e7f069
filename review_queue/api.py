"""``/v1/reviews``: the review queue's REST API. Every route is authorised server-side."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from access import Principal, require
from review_queue.deps import ReviewComponents, add_to_list, context, get_reviews
from review_queue.queries import QueueFilter, StatusFilter
from review_queue.schemas import (
    ActionOut,
    ApproveIn,
    CaseDetailOut,
    CaseOut,
    DeclineIn,
    EscalateIn,
    ListAddIn,
    ListAddOut,
    NoteIn,
    NoteOut,
    QueueOut,
)

__all__ = ["create_review_router"]

Reader = Annotated[Principal, Depends(require("reviews.read"))]
Worker = Annotated[Principal, Depends(require("reviews.read", "reviews.work"))]
ListEditor = Annotated[Principal, Depends(require("reviews.work", "lists.write"))]
Components = Annotated[ReviewComponents, Depends(get_reviews)]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The review case id.")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API token or session."},
    403: {"description": "The caller's role or the workflow forbids this."},
    404: {"description": "No such case."},
    409: {"description": "The case is claimed by someone else, closed, or changed."},
    422: {"description": "The request is not valid."},
    429: {"description": "Too many requests; see Retry-After."},
}


def _now(components: ReviewComponents) -> datetime:
    return components.service.clock.now()


def create_review_router() -> APIRouter:
    """The ``/v1/reviews`` routes. Needs ``install_review_queue`` (and access) on the app."""
    router = APIRouter(prefix="/v1/reviews", tags=["reviews"], responses=_ERRORS)

    @router.get("", response_model=QueueOut, summary="The review queue, most urgent first")
    def list_cases(
        principal: Reader,
        components: Components,
        status_: Annotated[StatusFilter, Query(alias="status")] = "active",
        merchant_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:\-]{1,255}$")] = None,
        amount_min: Annotated[int | None, Query(ge=0, le=10**15)] = None,
        amount_max: Annotated[int | None, Query(ge=0, le=10**15)] = None,
        min_age_minutes: Annotated[int | None, Query(ge=0, le=527_040)] = None,
        max_age_minutes: Annotated[int | None, Query(ge=0, le=527_040)] = None,
        reason: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")] = None,
        assignee: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9._@:\-]{1,63}$")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> QueueOut:
        filters = QueueFilter(
            status=status_,
            merchant_id=merchant_id,
            amount_min=amount_min,
            amount_max=amount_max,
            min_age=None if min_age_minutes is None else timedelta(minutes=min_age_minutes),
            max_age=None if max_age_minutes is None else timedelta(minutes=max_age_minutes),
            reason=reason,
            assignee=assignee,
            limit=limit,
            offset=offset,
        )
        page = components.service.queue(filters, actor=principal.username)
        now = _now(components)
        return QueueOut(
            items=[CaseOut.of(c, now) for c in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )

    @router.get("/{case_id}", response_model=CaseDetailOut, summary="A case with its context")
    def get_case(case_id: CaseId, principal: Reader, components: Components) -> CaseDetailOut:
        return CaseDetailOut.of(components.service.detail(case_id), _now(components))

    @router.post("/{case_id}/claim", response_model=ActionOut, summary="Claim (or renew) a case")
    def claim(
        case_id: CaseId, request: Request, principal: Worker, components: Components
    ) -> ActionOut:
        result = components.service.workflow.claim(case_id, context(request, principal))
        return ActionOut.of(result, _now(components))

    @router.post("/{case_id}/release", response_model=ActionOut, summary="Give a claim back")
    def release(
        case_id: CaseId, request: Request, principal: Worker, components: Components
    ) -> ActionOut:
        result = components.service.workflow.release(case_id, context(request, principal))
        return ActionOut.of(result, _now(components))

    @router.post(
        "/{case_id}/approve",
        response_model=ActionOut,
        summary="Approve: capture (or request the second approval above the four-eyes amount)",
    )
    def approve(
        case_id: CaseId,
        request: Request,
        principal: Worker,
        components: Components,
        body: ApproveIn | None = None,
    ) -> ActionOut:
        result = components.service.workflow.approve(
            case_id, context(request, principal), note=body.note if body else ""
        )
        return ActionOut.of(result, _now(components))

    @router.post("/{case_id}/decline", response_model=ActionOut, summary="Decline: void")
    def decline(
        case_id: CaseId,
        request: Request,
        principal: Worker,
        components: Components,
        body: DeclineIn | None = None,
    ) -> ActionOut:
        body = body or DeclineIn()
        result = components.service.workflow.decline(
            case_id,
            context(request, principal),
            reason=body.reason,
            fraud=body.fraud,
            note=body.note,
        )
        return ActionOut.of(result, _now(components))

    @router.post("/{case_id}/escalate", response_model=ActionOut, summary="Hand to a lead")
    def escalate(
        case_id: CaseId,
        body: EscalateIn,
        request: Request,
        principal: Worker,
        components: Components,
    ) -> ActionOut:
        result = components.service.workflow.escalate(
            case_id, context(request, principal), note=body.note
        )
        return ActionOut.of(result, _now(components))

    @router.post(
        "/{case_id}/notes",
        response_model=NoteOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add a note",
    )
    def add_note(
        case_id: CaseId, body: NoteIn, request: Request, principal: Worker, components: Components
    ) -> NoteOut:
        note = components.service.annotations.add_note(
            case_id, context(request, principal), body.body
        )
        return NoteOut.model_validate(note)

    @router.post(
        "/{case_id}/lists",
        response_model=ListAddOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add the case's card, email or device to a block or allow list",
    )
    async def add_list_entry(
        case_id: CaseId,
        body: ListAddIn,
        request: Request,
        principal: ListEditor,
        components: Components,
    ) -> ListAddOut:
        added = await add_to_list(
            components,
            case_id,
            context(request, principal),
            kind=body.kind,
            entity=body.entity,
            reason=body.reason,
            expires_in_days=body.expires_in_days,
        )
        return ListAddOut(
            list_name=added.list_name,
            entity=added.entity,
            value=added.value,
            expires_at=added.expires_at,
        )

    return router
