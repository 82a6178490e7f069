"""Error responses for the whole app: JSON for APIs, HTML for pages, never card data.

Every error body has the shape ``{"error": {"code": …, "message": …, "trace_id": …}}``.
Validation errors list where and what, never the value that arrived.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access.context import trace_id_of
from access.control import LoginRequired
from access.errors import (
    AccessError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RateLimited,
    UserExists,
)
from access.ratelimit import TokenBucketLimiter
from contracts.pci import mask_card_data
from db.errors import is_unavailable

__all__ = [
    "DATABASE_RETRY_AFTER_S",
    "SecurityHeadersMiddleware",
    "error_response",
    "install_error_handlers",
    "wants_html",
]

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)

# What a client is told to wait when the database cannot be reached (503 Retry-After).
DATABASE_RETRY_AFTER_S = 5


def wants_html(request: Request) -> bool:
    """Browser pages get HTML errors; everything under ``/v1/`` gets JSON."""
    if request.url.path.startswith("/v1/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> Response:
    message = mask_card_data(message)
    trace_id = trace_id_of(request)
    if wants_html(request):
        body = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{status} · riskstream</title></head><body>"
            f"<h1>{status}</h1><p>{html.escape(message)}</p>"
            f"<p><a href='/reviews'>Back to the queue</a></p>"
            f"<p><small>trace {html.escape(trace_id)}</small></p></body></html>"
        )
        return HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    error: dict[str, Any] = {"code": code, "message": message, "trace_id": trace_id}
    if details is not None:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status, headers=dict(headers or {}))


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors()[:20]:
        loc = ".".join(str(part) for part in error.get("loc", ()))
        details.append(
            {
                "loc": mask_card_data(loc)[:200],
                "type": str(error.get("type", "invalid")),
                "message": mask_card_data(str(error.get("msg", "invalid value")))[:300],
            }
        )
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers for access errors, validation errors and the unexpected."""

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for this type
        target = "/login?next=" + quote(exc.next_path, safe="/")
        return RedirectResponse(target, status_code=303)

    async def on_not_authenticated(request: Request, exc: Exception) -> Response:
        return error_response(
            request, 401, "unauthenticated", str(exc), headers={"WWW-Authenticate": "Bearer"}
        )

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        return error_response(request, 403, "forbidden", str(exc))

    async def on_rate_limited(request: Request, exc: Exception) -> Response:
        wait = exc.retry_after_s if isinstance(exc, RateLimited) else 1.0
        retry = TokenBucketLimiter.retry_after(wait)
        return error_response(
            request,
            429,
            "rate_limited",
            f"too many requests: retry after {retry}s",
            headers={"Retry-After": str(retry)},
        )

    async def on_access_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotFound):
            return error_response(request, 404, "not_found", str(exc))
        if isinstance(exc, UserExists):
            return error_response(request, 409, "conflict", str(exc))
        return error_response(request, 400, "bad_request", str(exc))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type
        return error_response(
            request,
            422,
            "invalid_request",
            "the request is not valid: see details",
            details=_validation_details(exc),
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(
            request,
            exc.status_code,
            "http_error",
            detail,
            headers=exc.headers,
        )

    async def on_database_error(request: Request, exc: Exception) -> Response:
        if not is_unavailable(exc):
            return await on_unexpected(request, exc)
        # One line, no traceback: an outage makes every request fail the same way.
        log.warning(
            "database unavailable on %s %s (trace %s): %s",
            request.method,
            request.url.path,
            trace_id_of(request),
            type(getattr(exc, "orig", None) or exc).__name__,
        )
        return error_response(
            request,
            503,
            "database_unavailable",
            f"the database is unavailable: retry after {DATABASE_RETRY_AFTER_S}s",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unhandled error on %s %s (trace %s)",
            request.method,
            request.url.path,
            trace_id_of(request),
            exc_info=exc,
        )
        return error_response(
            request, 500, "internal", "internal error: quote the trace id when reporting it"
        )

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(NotAuthenticated, on_not_authenticated)
    app.add_exception_handler(Forbidden, on_forbidden)
    app.add_exception_handler(RateLimited, on_rate_limited)
    app.add_exception_handler(AccessError, on_access_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(sa_exc.DBAPIError, on_database_error)
    app.add_exception_handler(sa_exc.TimeoutError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)


class SecurityHeadersMiddleware:
    """Adds CSP, no-sniff, framing and referrer headers, and echoes the trace id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    b"cache-control": b"no-store",
                }
                for name, value in extra.items():
                    if name not in names:
                        headers.append((name, value))
                state = scope.get("state") or {}
                trace = state.get("trace_id") if isinstance(state, dict) else None
                if isinstance(trace, str) and b"x-request-id" not in names:
                    headers.append((b"x-request-id", trace.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
