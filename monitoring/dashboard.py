"""The dashboard page, served with the review UI under the same roles (``reviews.read``).

``GET /dashboard?from=YYYY-MM-DD&to=YYYY-MM-DD`` (UTC days, both included; default the
last 30 days) renders every chart server-side as inline SVG; each chart and table
links its CSV (``GET /dashboard/tables/<name>.csv`` with the same period).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from access import NotFound, Principal, require
from contracts import Clock
from db import Database
from features.money import RatesTable
from monitoring.charts import Chart, build_charts
from monitoring.drift import ReferenceStore
from monitoring.snapshot import Snapshot, collect, format_minor
from monitoring.tables import Period, Table

__all__ = [
    "DashboardComponents",
    "create_dashboard_router",
    "install_dashboard",
    "parse_period",
    "templates_environment",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_DAYS = 30
MAX_DAYS = 400
CACHE_S = 15.0


@dataclass(slots=True)
class DashboardComponents:
    """What the dashboard reads: the database, time, currency rates, drift references."""

    database: Database
    clock: Clock
    rates: RatesTable
    references: ReferenceStore
    champion: Callable[[], str | None]
    _cache: dict[tuple[date, date], tuple[datetime, Snapshot, list[Chart]]] = field(
        default_factory=dict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self, period: Period) -> tuple[Snapshot, list[Chart]]:
        """The snapshot and charts of ``period`` (cached for a few seconds)."""
        key = (period.first_day, period.last_day)
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and (now - cached[0]).total_seconds() < CACHE_S:
                return cached[1], cached[2]
        snapshot = collect(
            self.database, period, now=now, rates=self.rates, references=self.references,
            model_version=self.champion(),
        )  # fmt: skip
        charts = build_charts(snapshot)
        with self._lock:
            self._cache = {
                k: v for k, v in self._cache.items() if (now - v[0]).total_seconds() < CACHE_S
            }
            self._cache[key] = (now, snapshot, charts)
        return snapshot, charts


def parse_period(first: str | None, last: str | None, now: datetime) -> Period:
    """The period a request asks for; bad or missing dates fall back to the last 30 days."""
    default = Period.last_days(now, DEFAULT_DAYS)
    try:
        start = date.fromisoformat(first) if first else default.first_day
        end = date.fromisoformat(last) if last else default.last_day
    except ValueError:
        return default
    if end < start or (end - start).days >= MAX_DAYS:
        return default
    return Period.days(start, end)


def templates_environment() -> Environment:
    """Our templates first, then the review UI's (for ``base.html``)."""
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("monitoring", "templates"), PackageLoader("review_queue", "templates")]
        ),
        autoescape=select_autoescape(default=True),
    )
    env.filters["iso"] = lambda v: v.isoformat() if v else ""
    env.filters["minor"] = format_minor
    env.filters["cell"] = _cell
    return env


def _cell(value: Any, column: str, table: Table, currency: str) -> str:
    if value is None:
        return "—"
    if column in table.money_columns and isinstance(value, int):
        return format_minor(value, currency)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


PageReader = Annotated[Principal, Depends(require("reviews.read", page=True))]
Reader = Annotated[Principal, Depends(require("reviews.read"))]


def _components(request: Request) -> DashboardComponents:
    components = getattr(request.app.state, "riskstream_dashboard", None)
    if not isinstance(components, DashboardComponents):
        raise RuntimeError("the dashboard is not installed: call install_dashboard(app, …)")
    return components


def create_dashboard_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    templates = Jinja2Templates(env=templates_environment())

    @router.get("")
    async def dashboard(request: Request, principal: PageReader) -> Response:
        components = _components(request)
        now = components.clock.now()
        period = parse_period(request.query_params.get("from"), request.query_params.get("to"), now)
        snapshot, charts = await run_in_threadpool(components.view, period)
        query = f"from={period.first_day.isoformat()}&to={period.last_day.isoformat()}"
        return templates.TemplateResponse(
            request,
            "dashboard.html",
            {
                "principal": principal,
                "csrf_token": principal.csrf_token or "",
                "now": now,
                "notice": None,
                "can_lead": principal.can("reviews.lead"),
                "snapshot": snapshot,
                "charts": charts,
                "period": period,
                "query": query,
                "previous": _shift(period, -1),
                "next": _shift(period, 1),
                "currency": snapshot.base_currency,
            },
        )

    @router.get("/tables/{name}.csv")
    async def table_csv(
        request: Request,
        name: Annotated[str, PathParam(pattern=r"^[a-z_]{1,40}$")],
        _: Reader,
    ) -> Response:
        components = _components(request)
        period = parse_period(
            request.query_params.get("from"), request.query_params.get("to"),
            components.clock.now(),
        )  # fmt: skip
        snapshot, _charts = await run_in_threadpool(components.view, period)
        table = snapshot.tables.get(name)
        if table is None:
            raise NotFound(f"no table named {name!r}")
        filename = f"{name}_{period.first_day.isoformat()}_{period.last_day.isoformat()}.csv"
        return Response(
            table.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return router


def _shift(period: Period, direction: int) -> str:
    span = (period.last_day - period.first_day).days + 1
    first = period.first_day + timedelta(days=span * direction)
    last = period.last_day + timedelta(days=span * direction)
    return f"from={first.isoformat()}&to={last.isoformat()}"


def install_dashboard(app: FastAPI, components: DashboardComponents) -> None:
    """Mount ``/dashboard`` (page, CSV, static) on an app that has access control."""
    if getattr(app.state, "riskstream_access", None) is None:
        raise RuntimeError("install access control first: access.install_access(app, …)")
    app.state.riskstream_dashboard = components
    app.include_router(create_dashboard_router())
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
