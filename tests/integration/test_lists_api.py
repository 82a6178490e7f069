"""/v1/lists on the real embedded Redis and SQLite: permissions, audit, effect on decisions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio

import db
from access import UserDirectory
from audit import AuditLog
from contracts import Decision, Settings, SystemClock
from riskstream.http import create_http_app
from tests.factories import event_dict, luhn_complete, token
from tests.streams import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def _token(settings: Settings, name: str, role: str) -> str:
    directory = UserDirectory.from_settings(settings)
    directory.create_user(name, role)  # type: ignore[arg-type]
    return directory.create_token(name).token


@pytest_asyncio.fixture
async def http(stack_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await create_topics(stack_settings)
    db.upgrade(stack_settings.resolved_database_url)
    app = create_http_app(stack_settings, review_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _as(settings: Settings, name: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(settings, name, role)}"}


def _list_records(settings: Settings) -> list[dict[str, Any]]:
    database = db.Database.from_settings(settings)
    try:
        with database.transaction() as session:
            log = AuditLog(environment=settings.environment, clock=SystemClock())
            return [r for r in log.iter_records(session) if r["event_type"] == "list.changed"]
    finally:
        database.dispose()


async def test_analysts_change_lists_and_every_change_is_audited(
    http: httpx.AsyncClient, stack_settings: Settings
) -> None:
    analyst = _as(stack_settings, "anna", "analyst")
    fingerprint = token("fpBlocked", 8)
    added = await http.post(
        "/v1/lists/block_card",
        json={"value": fingerprint, "reason": "confirmed fraud, case 17", "expires_in": "7d"},
        headers=analyst,
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["owner"] == "anna" and entry["expires_at"] is not None
    assert entry["expired"] is False

    shown = await http.get("/v1/lists/block_card", headers=analyst)
    assert shown.status_code == 200
    assert [e["value"] for e in shown.json()["entries"]] == [fingerprint]

    removed = await http.delete(f"/v1/lists/block_card/{fingerprint}", headers=analyst)
    assert removed.status_code == 200 and removed.json()["value"] == fingerprint
    again = await http.delete(f"/v1/lists/block_card/{fingerprint}", headers=analyst)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_on_list"

    records = _list_records(stack_settings)
    assert [(r["command"], r["outcome"], r["actor"]) for r in records] == [
        ("list_add", "added", "anna"),
        ("list_remove", "removed", "anna"),
    ]
    assert all(r["target"] == "list:block_card" for r in records)
    assert records[0]["before_json"] is None
    assert json.loads(records[0]["after_json"])["value"] == fingerprint
    assert json.loads(records[1]["before_json"])["reason"] == "confirmed fraud, case 17"


async def test_a_blocked_card_is_declined_by_the_live_policy(
    http: httpx.AsyncClient, stack_settings: Settings
) -> None:
    fingerprint = token("fpLive", 8)
    added = await http.post(
        "/v1/lists/block_card",
        json={"value": fingerprint, "reason": "chargeback"},
        headers=_as(stack_settings, "lena", "lead"),
    )
    assert added.status_code == 201, added.text
    service = _as(stack_settings, "pipeline", "service")
    scored = await http.post(
        "/v1/score",
        content=orjson.dumps(event_dict(card={"fingerprint": fingerprint})),
        headers=service,
    )
    assert scored.status_code == 200, scored.text
    decision = Decision.model_validate_json(scored.content)
    assert decision.action == "decline"
    assert "blocked_card" in [hit.rule_id for hit in decision.rule_hits]


async def test_permissions(http: httpx.AsyncClient, stack_settings: Settings) -> None:
    service = _as(stack_settings, "pipeline", "service")
    admin = _as(stack_settings, "root", "admin")
    body = {"value": "198.51.100.9", "reason": "botnet"}
    assert (await http.get("/v1/lists/block_ip")).status_code == 401
    assert (await http.get("/v1/lists/block_ip", headers=service)).status_code == 403
    assert (await http.post("/v1/lists/block_ip", json=body, headers=service)).status_code == 403
    # admins read lists (reviews.read) but do not change them (no lists.write)
    assert (await http.get("/v1/lists/block_ip", headers=admin)).status_code == 200
    assert (await http.post("/v1/lists/block_ip", json=body, headers=admin)).status_code == 403
    assert _list_records(stack_settings) == []


async def test_bad_changes_are_refused_without_echoing_card_numbers(
    http: httpx.AsyncClient, stack_settings: Settings
) -> None:
    analyst = _as(stack_settings, "anna", "analyst")
    typo = await http.post(
        "/v1/lists/block_cards", json={"value": "fpX", "reason": "r"}, headers=analyst
    )
    assert typo.status_code == 422 and "block_card" in typo.json()["error"]["message"]
    pan = luhn_complete("4", 16)
    as_value = await http.post(
        "/v1/lists/block_card", json={"value": pan, "reason": "r"}, headers=analyst
    )
    in_reason = await http.post(
        "/v1/lists/block_card", json={"value": "fpY", "reason": f"card {pan}"}, headers=analyst
    )
    for response in (as_value, in_reason):
        assert response.status_code == 422
        assert pan not in response.text
    bad_expiry = await http.post(
        "/v1/lists/block_card",
        json={"value": "fpZ", "reason": "r", "expires_in": "soon"},
        headers=analyst,
    )
    assert bad_expiry.status_code == 422
    assert _list_records(stack_settings) == []
