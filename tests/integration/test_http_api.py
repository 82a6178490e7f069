"""POST /v1/score on the real embedded broker and Redis, through the ASGI app."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
import pytest_asyncio

import db
from access import UserDirectory
from contracts import Decision, Settings
from riskstream.http import create_http_app
from tests.factories import event_dict, luhn_complete
from tests.streams import create_topics, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
def api_settings(stack_settings: Settings, model_home: Path, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    return stack_settings.replace(data_dir=home)


def _token(settings: Settings, name: str, role: str) -> str:
    directory = UserDirectory.from_settings(settings)
    directory.create_user(name, role)  # type: ignore[arg-type]
    return directory.create_token(name).token


@pytest_asyncio.fixture
async def anonymous(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await create_topics(api_settings)
    db.upgrade(api_settings.resolved_database_url)
    app = create_http_app(api_settings, review_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest_asyncio.fixture
async def client(
    anonymous: httpx.AsyncClient, api_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with the payment pipeline's service token."""
    anonymous.headers["Authorization"] = f"Bearer {_token(api_settings, 'pipeline', 'service')}"
    yield anonymous


async def test_scoring_needs_a_service_token(
    anonymous: httpx.AsyncClient, api_settings: Settings
) -> None:
    body = orjson.dumps(event_dict())
    assert (await anonymous.post("/v1/score", content=body)).status_code == 401
    analyst = _token(api_settings, "anna", "analyst")
    response = await anonymous.post(
        "/v1/score", content=body, headers={"Authorization": f"Bearer {analyst}"}
    )
    assert response.status_code == 403


async def test_score_returns_a_decision(client: httpx.AsyncClient) -> None:
    event = event_dict()
    response = await client.post("/v1/score", content=orjson.dumps(event))
    assert response.status_code == 200, response.text
    decision = Decision.model_validate_json(response.content)
    assert decision.transaction_id == event["transaction_id"]
    assert decision.mode == "full"
    assert decision.model_version is not None and decision.score is not None
    assert decision.features["card_count_1h"] == 0
    assert decision.latency_ms > 0
    timing = response.headers["server-timing"]  # what the HTTP benchmark reads
    assert timing.startswith("app;dur=") and float(timing.removeprefix("app;dur=")) > 0


async def test_same_id_same_decision_without_recounting(client: httpx.AsyncClient) -> None:
    card = {"fingerprint": "fpIdempotent77"}
    event = event_dict(card=card)
    first = await client.post("/v1/score", content=orjson.dumps(event))
    again = await client.post("/v1/score", content=orjson.dumps(event))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    probe = await client.post("/v1/score", content=orjson.dumps(event_dict(card=card)))
    assert Decision.model_validate_json(probe.content).features["card_count_1h"] == 1


async def test_bad_input_gets_field_level_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/score", content=orjson.dumps(event_dict(currency="usd", amount=1.5))
    )
    assert response.status_code == 422
    errors = response.json()["error"]["errors"]
    assert {e["loc"] for e in errors} == {"currency", "amount"}
    assert all(set(e) == {"loc", "code", "message"} for e in errors)


async def test_card_numbers_are_refused_never_echoed_and_alerted(
    client: httpx.AsyncClient, api_settings: Settings
) -> None:
    pan = luhn_complete("5", 16)
    event = event_dict(metadata={"ref": pan})
    response = await client.post("/v1/score", content=orjson.dumps(event))
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "pci_violation"
    assert pan not in response.text
    alerts = await read_topic(
        api_settings, api_settings.topic("alerts.pci"), until=lambda r: len(r) >= 1
    )
    assert alerts and alerts[0]["position"]["source"] == "http"
    assert pan not in orjson.dumps(alerts).decode()


async def test_garbage_and_forbidden_fields(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/score", content=b"\x00\x01")).status_code == 422
    response = await client.post("/v1/score", content=orjson.dumps(event_dict(cvv="123")))
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0] == {
        "loc": "cvv",
        "code": "forbidden_field",
        "message": response.json()["error"]["errors"][0]["message"],
    }
    assert "123" not in response.text


async def test_decisions_are_published(client: httpx.AsyncClient, api_settings: Settings) -> None:
    event = event_dict()
    assert (await client.post("/v1/score", content=orjson.dumps(event))).status_code == 200
    await asyncio.sleep(0.1)
    published = await read_topic(
        api_settings,
        api_settings.topic("decisions"),
        until=lambda r: any(d["transaction_id"] == event["transaction_id"] for d in r),
    )
    assert any(d["transaction_id"] == event["transaction_id"] for d in published)


async def test_openapi_schema_documents_the_event(anonymous: httpx.AsyncClient) -> None:
    schema = (await anonymous.get("/openapi.json")).json()
    body = schema["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    assert "transaction_id" in body["schema"]["properties"]
    assert "422" in schema["paths"]["/v1/score"]["post"]["responses"]
