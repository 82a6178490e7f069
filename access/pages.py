"""The login form and logout, for browsers."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from access.context import trace_id_of
from access.control import SESSION_COOKIE, AccessControl, get_access, require
from access.errors import RateLimited
from access.principal import Principal
from audit import AuditEvent
from contracts.pci import contains_pan

__all__ = ["LOGIN_CSRF_COOKIE", "create_login_router", "safe_next_path"]

LOGIN_CSRF_COOKIE = "rs_login"

_templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("access", "templates"),
        autoescape=select_autoescape(default=True),
    )
)


def safe_next_path(value: str | None, default: str) -> str:
    """Only local absolute paths: no scheme, host, protocol-relative or backslash tricks.

    >>> safe_next_path("//evil.example/x", "/reviews"), safe_next_path("/reviews/7", "/")
    ('/reviews', '/reviews/7')
    """
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 32 for ch in value)
        or len(value) > 512
        or contains_pan(value)  # never echo a card number back into the form
    ):
        return default
    return value


def _render_login(
    request: Request,
    access: AccessControl,
    *,
    status: int = 200,
    error: str | None = None,
    next_path: str = "",
    username: str = "",
) -> Response:
    token = secrets.token_urlsafe(24)
    response = _templates.TemplateResponse(
        request,
        "login.html",
        {
            "csrf_token": token,
            "error": error,
            "next_path": safe_next_path(next_path, access.home_path),
            "username": "" if contains_pan(username) else username[:64],
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=access.secure_cookies,
        path="/login",
    )
    return response


def _audit(access: AccessControl, event: AuditEvent) -> None:
    with access.directory.database.transaction() as session:
        access.audit.append(session, event)


def create_login_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    async def login_form(request: Request, next: str = "") -> Response:  # noqa: A002
        return _render_login(request, get_access(request), next_path=next)

    @router.post("/login")
    async def login(request: Request) -> Response:
        access = get_access(request)
        form = await request.form()
        username = str(form.get("username") or "").strip().lower()[:64]
        password = str(form.get("password") or "")[:256]
        next_path = str(form.get("next") or "")
        sent = str(form.get("csrf_token") or "")
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            return _render_login(
                request,
                access,
                status=403,
                error="The form expired. Please log in again.",
                next_path=next_path,
                username=username,
            )
        try:
            access.rate_limit(access.client_key(request), anonymous=True)
        except RateLimited as exc:
            response = _render_login(
                request, access, status=429, error=str(exc), next_path=next_path
            )
            response.headers["Retry-After"] = str(int(exc.retry_after_s) + 1)
            return response
        user = await run_in_threadpool(access.directory.authenticate_password, username, password)
        client_ip = request.client.host if request.client else None
        if user is None or user.role == "service":
            await run_in_threadpool(
                _audit,
                access,
                AuditEvent(
                    event_type="access.login_failed",
                    actor="anonymous",
                    target=f"user:{username}"[:255],
                    outcome="rejected",
                    client_ip=client_ip,
                    trace_id=trace_id_of(request),
                ),
            )
            return _render_login(
                request,
                access,
                status=401,
                error="Invalid user name or password.",
                next_path=next_path,
                username=username,
            )
        found = await run_in_threadpool(access.directory.session_nonce, user.id)
        if found is None:
            return _render_login(request, access, status=401, error="This account is disabled.")
        _, nonce = found
        cookie, _ = access.codec.encode(user.id, nonce, access.clock.now())
        await run_in_threadpool(
            _audit,
            access,
            AuditEvent(
                event_type="access.login",
                actor=user.username,
                target=f"user:{user.username}",
                outcome="logged_in",
                client_ip=client_ip,
                trace_id=trace_id_of(request),
            ),
        )
        response = RedirectResponse(safe_next_path(next_path, access.home_path), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=int(access.codec.max_age.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=access.secure_cookies,
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @router.post("/logout")
    async def logout(
        request: Request, principal: Annotated[Principal, Depends(require(page=True))]
    ) -> Response:
        access = get_access(request)
        if principal.via == "session":
            await run_in_threadpool(
                access.directory.end_sessions, principal.user_id, actor=principal.username
            )
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
