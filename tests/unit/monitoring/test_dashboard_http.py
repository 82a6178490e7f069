"""The dashboard page, its CSV exports and /metrics behind access control (composed app)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from access import UserDirectory
from audit import AuditLog
from contracts import FrozenClock, Settings
from review_queue import ReviewService
from riskstream.http import create_http_app
from tests.review_support import make_decision

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app_client(
    review_settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    app = create_http_app(review_settings, clock=clock, review_workers=False)
    directory: UserDirectory = app.state.riskstream_access.directory
    tokens = {}
    for name, role in (("anna", "analyst"), ("pia", "monitor"), ("svc", "service")):
        directory.create_user(name, role)  # type: ignore[arg-type]
        tokens[name] = directory.create_token(name).token
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://riskstream.test") as client:
        yield client, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_analysts_see_the_dashboard_and_export_csv(
    app_client: tuple[httpx.AsyncClient, dict[str, str]],
    database: object,
    audit_log: AuditLog,
    clock: FrozenClock,
    review_settings: Settings,
) -> None:
    client, tokens = app_client
    decisions = [
        make_decision(action=a, decided_at=clock.now(), event_time=clock.now())
        for a in ("approve", "approve", "decline", "review")
    ]
    ReviewService(database, audit_log, clock, settings=review_settings).ingest(decisions)  # type: ignore[arg-type]

    page = await client.get("/dashboard", headers=_auth(tokens["anna"]))
    assert page.status_code == 200, page.text
    assert page.text.count('<figure class="chart') == 10
    assert 'data-chart="action_mix" data-points="1"' in page.text
    assert 'href="/dashboard"' in page.text  # in the review UI's navigation

    day = clock.now().date().isoformat()
    csv = await client.get(
        f"/dashboard/tables/action_mix.csv?from={day}&to={day}", headers=_auth(tokens["anna"])
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert f'filename="action_mix_{day}_{day}.csv"' in csv.headers["content-disposition"]
    assert csv.text.splitlines() == [
        "day,decisions,approve,challenge,review,decline,approve_pct,challenge_pct,review_pct,"
        "decline_pct",
        f"{day},4,2,0,1,1,50.0,0.0,25.0,25.0",
    ]
    missing = await client.get("/dashboard/tables/nope.csv", headers=_auth(tokens["anna"]))
    assert missing.status_code == 404

    assert (await client.get("/dashboard", headers=_auth(tokens["svc"]))).status_code == 403
    login = await client.get("/dashboard", headers={"Accept": "text/html"})
    assert login.status_code in (302, 303) and "/login" in login.headers["location"]


async def test_metrics_scrape_in_prometheus_text_format(
    app_client: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, tokens = app_client
    response = await client.get("/metrics", headers=_auth(tokens["pia"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {
        "riskstream_stream_decisions", "riskstream_decisions", "riskstream_stage_latency_seconds",
        "riskstream_review_queue_depth", "riskstream_chargebacks", "riskstream_rollbacks",
    } <= names  # fmt: skip
    assert (await client.get("/metrics", headers=_auth(tokens["anna"]))).status_code == 403
    assert (await client.get("/metrics")).status_code == 401
