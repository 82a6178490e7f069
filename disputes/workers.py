"""The disputes package's background work: ingest both topics, re-match, forget old deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from contracts import Settings
from disputes.consumer import ChargebackIngestor, LabelIngestor
from disputes.service import DisputeService

__all__ = ["run_dispute_workers", "run_rematcher"]

log = logging.getLogger(__name__)


async def run_rematcher(
    service: DisputeService,
    stop: asyncio.Event,
    *,
    interval_s: float = 60.0,
    delivery_retention: timedelta = timedelta(hours=1),
) -> None:
    """Every ``interval_s``: match stored unmatched notices, forget old delivery markers."""
    while not stop.is_set():
        try:
            matched = await asyncio.to_thread(service.rematch)
            if matched:
                log.info("matched %d earlier unmatched dispute notices", matched)
            await asyncio.to_thread(service.prune_deliveries, delivery_retention)
        except Exception:
            log.exception("re-matching disputes failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def run_dispute_workers(
    service: DisputeService,
    settings: Settings,
    stop: asyncio.Event,
    *,
    group_prefix: str = "riskstream",
    rematch_interval_s: float = 60.0,
) -> None:
    """Until ``stop``: chargebacks → disputes, labels → label store, periodic re-matching.

    Needs a migrated database and the topics created. A task that fails stops the others.
    """
    tasks = [
        asyncio.create_task(
            ChargebackIngestor(service, settings, group_id=f"{group_prefix}-disputes").run(stop),
            name="dispute-ingestor",
        ),
        asyncio.create_task(
            LabelIngestor(service, settings, group_id=f"{group_prefix}-labels").run(stop),
            name="label-ingestor",
        ),
        asyncio.create_task(
            run_rematcher(service, stop, interval_s=rematch_interval_s), name="dispute-rematcher"
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
