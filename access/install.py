"""Put access control on a FastAPI app: state, middleware, error handlers, routes."""

from __future__ import annotations

from fastapi import FastAPI

from access.api import create_access_router
from access.control import AccessControl
from access.handlers import SecurityHeadersMiddleware, install_error_handlers
from access.pages import create_login_router

__all__ = ["install_access"]


def install_access(app: FastAPI, access: AccessControl) -> None:
    """Install ``access`` on ``app``: every route using :func:`access.require` then works.

    Adds ``/login``, ``/logout``, the ``/v1/access`` API, the error handlers (JSON for
    APIs, HTML for pages, no card data) and the security-headers middleware. Call once
    per app, before adding other packages' routes.
    """
    if getattr(app.state, "riskstream_access", None) is not None:
        raise RuntimeError("access control is already installed on this app")
    app.state.riskstream_access = access
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(create_login_router())
    app.include_router(create_access_router())
