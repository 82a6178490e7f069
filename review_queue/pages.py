"""The analysts' web UI under ``/reviews``: server-rendered pages, forms, a little JS.

Forms post to ``/reviews/cases/{id}/{action}`` with the session's CSRF token and are
answered with a redirect back to the case (post/redirect/get), carrying a notice code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from access import Principal, get_access, require
from contracts.currency import ISO_4217_EXPONENTS
from contracts.pci import contains_pan, contains_secret_key
from review_queue.deps import ReviewComponents, add_to_list, context, get_reviews
from review_queue.errors import InvalidInput, ReviewError, ReviewForbidden
from review_queue.lists import LIST_ENTITIES, LIST_KINDS
from review_queue.queries import QueueFilter, StatusFilter
from review_queue.views import CASE_STATUSES, OPEN_STATUSES, CaseView
from review_queue.workflow import DECLINE_REASONS, ActionResult

__all__ = ["NOTICES", "create_review_pages", "format_money"]

NOTICES: dict[str, tuple[str, str]] = {
    "claimed": ("ok", "You claimed this case."),
    "lease_renewed": ("ok", "Your claim was renewed."),
    "released": ("ok", "The case is back in the queue."),
    "approved": ("ok", "Approved: the capture command was issued."),
    "approval_requested": ("ok", "Approval requested: a lead must give the second approval."),
    "declined": ("ok", "Declined: the void command was issued."),
    "escalated": ("ok", "Escalated to a lead."),
    "note_added": ("ok", "Note added."),
    "list_added": ("ok", "Added to the list."),
    "lease_held": ("error", "Someone else holds this case."),
    "lease_required": ("error", "Claim the case first (your claim may have expired)."),
    "case_closed": ("error", "This case is already decided."),
    "invalid_transition": ("error", "That action is not possible in the case's state."),
    "concurrent_change": ("error", "The case changed meanwhile. Check it and try again."),
    "forbidden_lead_only": ("error", "Only a lead may act on this case now."),
    "forbidden_four_eyes": (
        "error",
        "Four eyes: you cannot approve your own escalation or approval request.",
    ),
    "forbidden_lists": ("error", "Your role may not change lists."),
    "invalid_input": (
        "error",
        "The text was refused: it is empty, too long, or looks like it holds a card number.",
    ),
    "list_value_unavailable": ("error", "This case carries no value for that list."),
    "review_error": ("error", "The action failed."),
}
STATUS_CHOICES: tuple[StatusFilter, ...] = ("active", *CASE_STATUSES, "closed", "all")
AGE_CHOICES: dict[str, tuple[timedelta | None, timedelta | None]] = {
    "": (None, None),
    "lt1h": (None, timedelta(hours=1)),
    "lt24h": (None, timedelta(hours=24)),
    "gt24h": (timedelta(hours=24), None),
    "gt3d": (timedelta(days=3), None),
}


def format_money(amount: int, currency: str) -> str:
    """``12500, "USD"`` → ``"125.00 USD"`` (integer arithmetic, no floats).

    >>> format_money(12500, "USD"), format_money(5000, "JPY")
    ('125.00 USD', '5,000 JPY')
    """
    exponent = ISO_4217_EXPONENTS.get(currency, 2)
    major, minor = divmod(abs(amount), 10**exponent)
    sign = "-" if amount < 0 else ""
    text = f"{sign}{major:,}"
    if exponent:
        text += f".{minor:0{exponent}d}"
    return f"{text} {currency}"


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("review_queue", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.filters["money"] = format_money
    env.filters["duration"] = _duration
    env.filters["iso"] = _iso
    env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if v else "—"
    return Jinja2Templates(env=env)


def _int(value: str | None, low: int, high: int) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    number = int(value.strip())
    return number if low <= number <= high else None


def _clean(value: str | None, limit: int = 64) -> str | None:
    if not value:
        return None
    value = value.strip()[:limit]
    # a filter is echoed into the page: no card numbers, no secret keys
    if not value or contains_pan(value) or contains_secret_key(value):
        return None
    return value if all(ch.isalnum() or ch in "_.:-@" for ch in value) else None


def _queue_filter(request: Request) -> tuple[QueueFilter, dict[str, str]]:
    q = request.query_params
    status = q.get("status", "active")
    chosen: StatusFilter = status if status in STATUS_CHOICES else "active"
    min_age, max_age = AGE_CHOICES.get(q.get("age", ""), (None, None))
    filters = QueueFilter(
        status=chosen,
        merchant_id=_clean(q.get("merchant"), 255),
        amount_min=_int(q.get("amount_min"), 0, 10**15),
        amount_max=_int(q.get("amount_max"), 0, 10**15),
        min_age=min_age,
        max_age=max_age,
        reason=_clean(q.get("reason")),
        assignee=_clean((q.get("assignee") or "").lower()),
        limit=_int(q.get("limit"), 1, 200) or 50,
        offset=_int(q.get("offset"), 0, 1_000_000) or 0,
    )
    shown = {
        "status": chosen,
        "merchant": filters.merchant_id or "",
        "amount_min": "" if filters.amount_min is None else str(filters.amount_min),
        "amount_max": "" if filters.amount_max is None else str(filters.amount_max),
        "age": q.get("age", "") if q.get("age", "") in AGE_CHOICES else "",
        "reason": filters.reason or "",
        "assignee": filters.assignee or "",
    }
    return filters, shown


def _notice(request: Request) -> tuple[str, str] | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def _field(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[: limit + 1] if isinstance(value, str) else ""


PageReader = Annotated[Principal, Depends(require("reviews.read", page=True))]
PageWorker = Annotated[Principal, Depends(require("reviews.read", "reviews.work", page=True))]
Components = Annotated[ReviewComponents, Depends(get_reviews)]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def create_review_pages() -> APIRouter:
    router = APIRouter(prefix="/reviews", include_in_schema=False)
    templates = _templates()

    def base(request: Request, principal: Principal, components: Components) -> dict[str, Any]:
        now = components.service.clock.now()
        return {
            "principal": principal,
            "csrf_token": principal.csrf_token or "",
            "now": now,
            "notice": _notice(request),
            "can_work": principal.can("reviews.work"),
            "can_lead": principal.can("reviews.lead"),
        }

    @router.get("")
    def queue_page(request: Request, principal: PageReader, components: Components) -> Response:
        filters, shown = _queue_filter(request)
        page = components.service.queue(filters, actor=principal.username)
        params = {k: v for k, v in shown.items() if v}

        def page_url(offset: int) -> str:
            return "?" + urlencode({**params, "offset": offset, "limit": filters.limit})

        shown_to = filters.offset + len(page.items)
        return templates.TemplateResponse(
            request,
            "queue.html",
            {
                **base(request, principal, components),
                "page": page,
                "filters": shown,
                "prev_url": page_url(max(0, filters.offset - filters.limit))
                if filters.offset
                else "",
                "next_url": page_url(shown_to) if page.total > shown_to else "",
                "status_choices": STATUS_CHOICES,
                "age_choices": [
                    ("", "any age"),
                    ("lt1h", "< 1 hour"),
                    ("lt24h", "< 24 hours"),
                    ("gt24h", "> 24 hours"),
                    ("gt3d", "> 3 days"),
                ],
            },  # fmt: skip
        )

    @router.get("/cases/{case_id}")
    def case_page(
        case_id: CaseId, request: Request, principal: PageReader, components: Components
    ) -> Response:
        detail = components.service.detail(case_id)
        decision = detail.decision
        features = decision.get("features") if isinstance(decision.get("features"), dict) else {}
        case: CaseView = detail.case
        now = components.service.clock.now()
        return templates.TemplateResponse(
            request,
            "case.html",
            {
                **base(request, principal, components),
                "case": case,
                "assignee": case.assignee(now),
                "is_open": case.status in OPEN_STATUSES,
                "mine": case.assignee(now) == principal.username,
                "decision": decision,
                "features": sorted((features or {}).items()),
                "history": detail.history,
                "timeline": detail.timeline,
                "decline_reasons": DECLINE_REASONS,
                "list_kinds": LIST_KINDS,
                "list_entities": LIST_ENTITIES,
                "can_lists": principal.can("lists.write"),
            },
        )

    @router.post("/cases/{case_id}/{action}")
    async def act(
        case_id: CaseId,
        action: str,
        request: Request,
        principal: PageWorker,
        components: Components,
    ) -> Response:
        form = await request.form()
        ctx = context(request, principal)
        workflow = components.service.workflow
        try:
            if action == "note":
                body = _field(form, "body")
                await run_in_threadpool(components.service.annotations.add_note, case_id, ctx, body)
                code = "note_added"
            elif action == "list":
                if not principal.can("lists.write"):
                    raise await get_access(request).deny(request, principal, "lists.write")
                kind, entity = _field(form, "kind", 16), _field(form, "entity", 16)
                if kind not in LIST_KINDS or entity not in LIST_ENTITIES:
                    raise InvalidInput("list", "choose a list")
                await add_to_list(
                    components, case_id, ctx, kind=kind, entity=entity,
                    reason=_field(form, "reason", 500) or "added from review case",
                    expires_in_days=_int(_field(form, "expires_in_days", 8), 1, 3650),
                )  # fmt: skip
                code = "list_added"
            else:
                result = await _workflow_action(workflow, action, case_id, ctx, form)
                if result is None:
                    return RedirectResponse(f"/reviews/cases/{case_id}", status_code=303)
                code = result.action
        except ReviewForbidden as exc:
            code = f"forbidden_{exc.rule}"
        except ReviewError as exc:
            if exc.code == "case_not_found":
                raise
            code = exc.code if exc.code in NOTICES else "review_error"
        return RedirectResponse(f"/reviews/cases/{case_id}?notice={code}", status_code=303)

    return router


async def _workflow_action(
    workflow: Any, action: str, case_id: int, ctx: Any, form: FormData
) -> ActionResult | None:
    note = _field(form, "note")
    if action == "claim":
        result: ActionResult = await run_in_threadpool(workflow.claim, case_id, ctx)
    elif action == "release":
        result = await run_in_threadpool(workflow.release, case_id, ctx)
    elif action == "approve":
        result = await run_in_threadpool(lambda: workflow.approve(case_id, ctx, note=note))
    elif action == "decline":
        reason = _field(form, "reason", 32)
        if reason not in DECLINE_REASONS:
            reason = "suspected_fraud"
        fraud = form.get("fraud") is not None
        result = await run_in_threadpool(
            lambda: workflow.decline(case_id, ctx, reason=reason, fraud=fraud, note=note)
        )
    elif action == "escalate":
        result = await run_in_threadpool(lambda: workflow.escalate(case_id, ctx, note=note))
    else:
        return None
    return result
