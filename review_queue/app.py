"""The review app: REST API, analysts' UI, login — one FastAPI app, or parts of yours.

Standalone::

    app = create_app(settings, clock=SystemClock(), list_writer=redis_lists)

Composed into a bigger app (the scoring endpoint, dashboards)::

    app = FastAPI()
    install_access(app, access)                      # once per app, first
    install_review_queue(app, service, list_writer)  # /v1/reviews, /reviews
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from access import AccessControl, RateLimit, error_response, install_access
from audit import AuditLog
from contracts import Clock, Settings, SystemClock
from db import Database
from review_queue.api import create_review_router
from review_queue.deps import ReviewComponents
from review_queue.errors import ReviewError, ReviewForbidden
from review_queue.lists import ListWriter
from review_queue.pages import create_review_pages
from review_queue.service import ReviewService

__all__ = ["STATIC_DIR", "create_app", "install_review_queue"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_review_queue(app: FastAPI, service: ReviewService, list_writer: ListWriter) -> None:
    """Add the review queue's API (``/v1/reviews``), UI (``/reviews``) and error handler.

    Access control must be installed on ``app`` first (:func:`access.install_access`).
    """
    if getattr(app.state, "riskstream_access", None) is None:
        raise RuntimeError("install access control first: access.install_access(app, …)")
    app.state.riskstream_reviews = ReviewComponents(service, list_writer)

    async def on_review_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ReviewError):  # pragma: no cover - registered for ReviewError
            raise exc
        message = str(exc)
        if isinstance(exc, ReviewForbidden):
            return error_response(request, 403, f"forbidden_{exc.rule}", message)
        return error_response(request, exc.status_code, exc.code, message)

    app.add_exception_handler(ReviewError, on_review_error)
    app.include_router(create_review_router())
    app.include_router(create_review_pages())
    app.mount("/reviews/static", StaticFiles(directory=STATIC_DIR), name="review-static")


def create_app(
    settings: Settings,
    *,
    list_writer: ListWriter,
    clock: Clock | None = None,
    database: Database | None = None,
    session_secret: bytes | None = None,
    api_limit: RateLimit | None = None,
    anonymous_limit: RateLimit | None = None,
    session_max_age: timedelta = timedelta(hours=12),
) -> FastAPI:
    """A FastAPI app serving the review queue with login, on a migrated database.

    The database is not migrated here: run :func:`db.upgrade` first
    (``riskstream db upgrade``).
    """
    clock = clock or SystemClock()
    database = database or Database.from_settings(settings)
    audit = AuditLog(
        environment=settings.environment,
        clock=clock,
        retention_days=settings.audit_retention_days,
    )
    access = AccessControl.from_settings(
        settings,
        database=database,
        clock=clock,
        audit=audit,
        api_limit=api_limit,
        anonymous_limit=anonymous_limit,
        session_max_age=session_max_age,
        session_secret=session_secret,
    )
    service = ReviewService(database, audit, clock, settings=settings)
    app = FastAPI(
        title="riskstream",
        version="0.1.0",
        description=(
            "Streaming fraud detection for card payments: the manual review queue. "
            "Authenticate with `Authorization: Bearer rs_…` or the login form's session."
        ),
        openapi_url="/openapi.json",
    )
    install_access(app, access)
    install_review_queue(app, service, list_writer)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/reviews", status_code=303)

    return app
