"""Database errors on any route: unreachable is a 503 to retry, anything else a plain 500.

The real outage (PostgreSQL behind a cut TCP proxy) is in
tests/integration/review_queue/test_database_outage.py; here each kind of error is
raised by a route, so the mapping is checked one error at a time.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from access.handlers import DATABASE_RETRY_AFTER_S, install_error_handlers


class _DriverError(Exception):
    """Stands in for the driver's exception that SQLAlchemy wraps."""


UNAVAILABLE: dict[str, Exception] = {
    "refused": sa_exc.OperationalError("SELECT 1", {}, _DriverError("connection refused")),
    "closed": sa_exc.InterfaceError("SELECT 1", {}, _DriverError("connection is closed")),
    "dropped": sa_exc.DBAPIError(
        "SELECT 1", {}, _DriverError("server closed the connection"), connection_invalidated=True
    ),
    "pool_exhausted": sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
}
BUGS: dict[str, Exception] = {
    "constraint": sa_exc.IntegrityError("INSERT", {}, _DriverError("duplicate key")),
    "bad_sql": sa_exc.ProgrammingError("SELEC 1", {}, _DriverError("syntax error")),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/v1/fail/{name}")
    def fail_api(name: str) -> None:
        raise {**UNAVAILABLE, **BUGS}[name]

    @app.get("/page/{name}")
    def fail_page(name: str) -> None:
        raise {**UNAVAILABLE, **BUGS}[name]

    return app


def _get(path: str, **headers: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(run())


@pytest.mark.parametrize("name", sorted(UNAVAILABLE))
def test_an_unreachable_database_is_a_503_to_retry(name: str) -> None:
    response = _get(f"/v1/fail/{name}")
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_S)
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "retry" in error["message"] and error["trace_id"]
    assert "SELECT" not in response.text and "connection" not in response.text


def test_browsers_get_an_html_503() -> None:
    response = _get("/page/refused", accept="text/html")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "the database is unavailable" in response.text


@pytest.mark.parametrize("name", sorted(BUGS))
def test_other_database_errors_stay_internal_500s(name: str) -> None:
    response = _get(f"/v1/fail/{name}")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "INSERT" not in response.text and "SELEC" not in response.text
