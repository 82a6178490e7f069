"""The demo's composition end to end: the embedded stack, `riskstream worker`, the
simulator streaming, and `riskstream serve` (review and monitoring workers in its
lifespan). Labels arrive on the ``labels`` topic and a signed dispute through the
webhook; a lead logs in with headless Chromium and the dashboard shows non-empty
charts (screenshot kept in the test's tmp dir); ``/metrics`` scrapes in Prometheus
text format; a CSV export downloads."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import async_playwright, expect
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

import db
from access import UserDirectory
from contracts import Settings
from features import RatesTable, default_registry
from models import LocalModelStore
from monitoring import ReferenceStore
from monitoring.baseline import reference_from_simulation
from riskstream.http import create_http_app
from simulator import SimulationConfig, label_event
from tests.dispute_support import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    body_of,
    dispute_event,
    stripe_signature,
)
from tests.monitoring_support import simulated, stream
from tests.review_support import PASSWORD
from tests.served import CHROMIUM, CHROMIUM_ARGS, ServedApp
from tests.streams import create_topics, produce, running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio]

# The charts that must show data once the simulator has run (the SLA chart needs review
# cases, the money chart declines: both depend on the simulated day, so only drawn).
MUST_SHOW = (
    "fraud_by_day", "action_mix", "fraud_by_merchant", "fraud_by_bin", "fraud_by_country",
    "rules", "drift_bins", "drift_by_day", "money",
)  # fmt: skip


def _count(url: str, sql: str) -> int:
    database = db.Database.from_url(url)
    try:
        with database.transaction() as session:
            return int(session.execute(sa.text(sql)).scalar_one())
    finally:
        database.dispose()


async def _until(predicate: object, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await asyncio.to_thread(predicate):  # type: ignore[arg-type]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def test_dashboard_in_chromium_shows_the_simulated_traffic(
    stack_settings: Settings, model_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    settings = stack_settings.replace(data_dir=home, webhook_secret=SecretStr(WEBHOOK_SECRET))
    await create_topics(settings)
    url = settings.resolved_database_url
    items = simulated(seed=21, days=2)
    app = create_http_app(settings)  # review and monitoring workers run in its lifespan
    directory: UserDirectory = app.state.riskstream_access.directory
    directory.create_user("lea", "lead", password=PASSWORD)
    directory.create_user("prometheus", "monitor")
    scrape_token = directory.create_token("prometheus").token

    store = LocalModelStore(home / "models")
    champion = store.alias("champion")
    assert champion is not None
    reference = await asyncio.to_thread(  # the drift chart's baseline: the training data
        reference_from_simulation, store, champion,
        SimulationConfig(seed=5, days=30, n_customers=700, n_merchants=80),
        default_registry(), RatesTable.from_mapping(),
    )  # fmt: skip
    ReferenceStore(home).put(reference)

    with running_worker(settings, home), ServedApp(app) as server:
        sent = await stream(settings, items, rate_per_s=600)
        labels = [label for item in items if (label := label_event(item)) is not None]
        await produce(
            settings, settings.topic("labels"),
            [(label.transaction_id.encode(), label.model_dump_json().encode()) for label in labels],
        )  # fmt: skip
        await _until(
            lambda: _count(url, "SELECT count(*) FROM decision_log") >= sent, 120, "decisions"
        )
        await _until(
            lambda: _count(url, "SELECT count(*) FROM label_log") >= len(labels), 60, "labels"
        )
        # A chargeback for a streamed payment arrives through the signed webhook.
        target = next(i for i in items if i.label is None and i.event.kind == "purchase")
        event = dispute_event(target.transaction_id, at=datetime.now(UTC), reason="fraudulent")
        body = body_of(event)
        signature = stripe_signature(body, WEBHOOK_SECRET, int(time.time()))
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.post(
                WEBHOOK_PATH,
                content=body,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            )
            assert (response.status_code, response.json()["matched"]) == (200, True)
            scrape = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {scrape_token}"}
            )

        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000},
                accept_downloads=True,
            )  # fmt: skip
            try:
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(f"{server.url}/dashboard")
                assert "/login" in page.url
                await page.fill("#username", "lea")
                await page.fill("#password", PASSWORD)
                await page.press("#password", "Enter")
                await page.wait_for_url(f"{server.url}/dashboard")
                await expect(page.locator("figure.chart")).to_have_count(10)
                for name in MUST_SHOW:
                    chart = page.locator(f'figure[data-chart="{name}"]')
                    assert int(await chart.get_attribute("data-points") or 0) > 0, name
                    drawn = await chart.locator("svg path, svg rect, svg use").count()
                    assert drawn > 10, name
                    box = await chart.locator("svg").bounding_box()
                    assert box is not None and box["width"] > 200 and box["height"] > 100, name
                await expect(page.locator("#kpis")).to_contain_text(f"{sent:,}")
                await expect(page.locator("#drift-message")).to_contain_text("PSI")
                await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
                async with page.expect_download() as download_info:
                    await page.locator('figure[data-chart="rules"] a.csv').click()
                download = await download_info.value
                csv_path = tmp_path / download.suggested_filename
                await download.save_as(csv_path)
            finally:
                await context.close()

    assert csv_path.read_text().startswith("rule_id,action,shadow,hits,hit_rate_bps,")
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scrape.text)
        for s in family.samples
    }
    streamed = sum(v for (n, _), v in samples.items() if n == "riskstream_stream_decisions_total")
    assert streamed > 0
    assert samples[("riskstream_chargebacks_total", (("category", "fraud"), ("kind", "chargeback"),
                                                     ("matched", "true")))] == 1  # fmt: skip
    assert sum(v for (n, _), v in samples.items() if n == "riskstream_labels_total") >= 1
