"""End to end in a real browser: a review decision on the stream becomes a case, an
analyst logs in, claims and approves it with the keyboard in headless Chromium, exactly
one capture command reaches the ``captures`` topic, and the audit chain verifies —
until one row is tampered with.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.async_api import async_playwright, expect

from access import UserDirectory
from contracts import PaymentCommand, Settings, SystemClock
from db import Database
from review_queue import InMemoryListWriter, QueueFilter, create_app, run_review_workers
from tests.review_support import (
    PASSWORD,
    TEST_SECRET,
    consume,
    create_topics,
    make_decision,
    produce,
)
from tests.served import CHROMIUM, CHROMIUM_ARGS, ServedApp

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio]


@pytest.fixture
def e2e_database(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url)
    yield database
    database.dispose()


async def _wait_for(predicate: object, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await asyncio.to_thread(predicate):  # type: ignore[arg-type]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_analyst_approves_in_chromium_and_one_capture_goes_out(
    stack_settings: Settings,
    db_url: str,
    e2e_database: Database,
    tmp_path: Path,
) -> None:
    settings = stack_settings.replace(database_url=db_url)
    await create_topics(settings)
    clock = SystemClock()
    app = create_app(
        settings,
        list_writer=InMemoryListWriter(),
        clock=clock,
        database=e2e_database,
        session_secret=TEST_SECRET,
    )
    service = app.state.riskstream_reviews.service
    directory: UserDirectory = app.state.riskstream_access.directory
    directory.create_user("anna", "analyst", password=PASSWORD, display_name="Anna Analyst")

    stop = asyncio.Event()
    workers = asyncio.create_task(
        run_review_workers(
            settings, stop, clock=clock, service=service, sweep_interval_s=3600,
            group_id=f"review-e2e-{uuid.uuid4().hex[:8]}",
        )
    )  # fmt: skip
    try:
        now = clock.now()
        decision = make_decision(
            event_time=now - timedelta(minutes=2), decided_at=now - timedelta(minutes=2)
        )
        await produce(
            settings,
            "decisions",
            [(decision.card_fingerprint, decision.model_dump_json().encode())],
        )

        def case_is_queued() -> bool:
            page = service.queue(QueueFilter(), actor="anna")
            return any(c.transaction_id == decision.transaction_id for c in page.items)

        await _wait_for(case_is_queued, 30, "the review case")

        with ServedApp(app, lifespan="off") as server:
            async with async_playwright() as playwright:
                context = await playwright.chromium.launch_persistent_context(
                    str(tmp_path / "chromium-profile"),
                    executable_path=CHROMIUM,
                    headless=True,
                    args=CHROMIUM_ARGS,
                )
                try:
                    page = context.pages[0] if context.pages else await context.new_page()
                    await page.goto(f"{server.url}/reviews")
                    assert "/login" in page.url
                    await page.fill("#username", "anna")
                    await page.fill("#password", PASSWORD)
                    await page.press("#password", "Enter")
                    await page.wait_for_url(f"{server.url}/reviews")
                    row = page.locator(f'tr[data-transaction-id="{decision.transaction_id}"]')
                    await expect(row).to_be_visible()
                    await expect(row.locator(".sla")).to_have_text(
                        re.compile(r"^\d+d \d\d:\d\d:\d\d$")
                    )

                    await page.keyboard.press("j")  # select the first (only) case
                    await page.keyboard.press("Enter")
                    await page.wait_for_url(re.compile(r"/reviews/cases/\d+$"))
                    await expect(page.locator("#reasons")).to_contain_text("Card used 6 times")
                    await expect(page.locator("#case-status")).to_have_text("open")

                    await page.keyboard.press("c")  # claim
                    await page.wait_for_url(re.compile(r"notice=claimed$"))
                    await expect(page.locator("#case-assignee")).to_have_text("anna")

                    await page.keyboard.press("a")  # approve
                    await page.wait_for_url(re.compile(r"notice=approved$"))
                    await expect(page.locator("#notice")).to_contain_text("capture command")
                    await expect(page.locator("#case-status")).to_have_text("approved")
                    await expect(page.locator("#timeline")).to_contain_text("approved")
                    await page.screenshot(path=str(tmp_path / "case-approved.png"), full_page=True)
                finally:
                    await context.close()

        captures = await consume(settings, "captures", expect=1, settle_s=3.0)
    finally:
        stop.set()
        await workers

    assert len(captures) == 1, "exactly one capture command"
    command = PaymentCommand.model_validate_json(captures[0].value)
    assert (captures[0].key.decode(), command.command, command.issued_by) == (
        decision.transaction_id, "capture", "anna",
    )  # fmt: skip
    assert command.amount == decision.amount

    with e2e_database.transaction() as session:
        report = service.audit.verify(session)
        assert report.ok, report.summary()
        approved_id = session.execute(
            sa.text("SELECT id FROM audit_log WHERE event_type = 'review.approved'")
        ).scalar_one()
    with e2e_database.transaction() as session:  # an insider edits one row
        session.execute(
            sa.text("UPDATE audit_log SET outcome = 'void' WHERE id = :id"), {"id": approved_id}
        )
    with e2e_database.transaction() as session:
        tampered = service.audit.verify(session)
    assert not tampered.ok
    assert [(p.record_id, p.kind) for p in tampered.problems] == [(approved_id, "edited")]
