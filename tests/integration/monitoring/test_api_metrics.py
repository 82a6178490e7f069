"""The API's /metrics after scoring over HTTP: stage latencies of this process's engine."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

import db
from access import UserDirectory
from contracts import Settings
from riskstream.http import create_http_app
from tests.factories import event_dict
from tests.streams import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_scoring_over_http_shows_in_the_stage_latency_histogram(
    stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings.replace(data_dir=tmp_path / "data")
    await create_topics(settings)
    db.upgrade(settings.resolved_database_url)
    app = create_http_app(settings, review_workers=False)
    directory: UserDirectory = app.state.riskstream_access.directory
    tokens = {}
    for name, role in (("pipeline", "service"), ("prometheus", "monitor")):
        directory.create_user(name, role)  # type: ignore[arg-type]
        tokens[name] = {"Authorization": f"Bearer {directory.create_token(name).token}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for _ in range(3):
                scored = await client.post(
                    "/v1/score", content=orjson.dumps(event_dict()), headers=tokens["pipeline"]
                )
                assert scored.status_code == 200, scored.text
            scrape = await client.get("/metrics", headers=tokens["prometheus"])
    assert scrape.status_code == 200
    counts = {
        s.labels.get("stage"): s.value
        for family in text_string_to_metric_families(scrape.text)
        for s in family.samples
        if s.name == "riskstream_stage_latency_seconds_count"
    }
    assert counts["features"] == 3 and counts["rules"] == 3 and counts["encode"] == 3
