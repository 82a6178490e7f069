"""Run the review queue's background work in one process: ingest, publish, sweep."""

from __future__ import annotations

import asyncio

from audit import run_audit_retention
from contracts import Clock, Settings
from review_queue.consumer import DecisionIngestor
from review_queue.outbox import OutboxPublisher
from review_queue.service import ReviewService
from review_queue.sla import run_sla_sweeper

__all__ = ["run_review_workers"]


async def run_review_workers(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock,
    service: ReviewService | None = None,
    sweep_interval_s: float = 30.0,
    group_id: str = "riskstream-review",
) -> None:
    """Ingest decisions, publish the outbox, apply SLA defaults and prune the audit log
    (once a day) until ``stop`` is set.

    Needs a migrated database and the topics created. A task that fails stops the
    others, and the error is raised.
    """
    service = service or ReviewService.from_settings(settings, clock=clock)
    ingestor = DecisionIngestor(service, settings, group_id=group_id)
    publisher = OutboxPublisher(service.database, settings, clock)

    async def ingest() -> None:
        async with ingestor:
            await ingestor.run(stop)

    tasks = [
        asyncio.create_task(ingest(), name="review-ingestor"),
        asyncio.create_task(publisher.run(stop), name="review-outbox"),
        asyncio.create_task(
            run_sla_sweeper(service.sla, stop, interval_s=sweep_interval_s), name="review-sla"
        ),
        asyncio.create_task(
            run_audit_retention(service.database, service.audit, stop), name="audit-retention"
        ),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
