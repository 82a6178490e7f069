"""Create the deployment's topics with their partition counts, up front."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from contracts import TopicSpec
from pipeline.errors import PipelineError, TopicMismatch

__all__ = ["ensure_topics", "wait_for_broker"]

log = logging.getLogger(__name__)


async def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Wait until the broker answers metadata requests, or raise PipelineError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaConnectionError, OSError) as exc:
            if loop.time() > deadline:
                raise PipelineError(
                    f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f}s: {exc}"
                ) from exc
            await asyncio.sleep(0.2)
        finally:
            await admin.close()


async def ensure_topics(
    bootstrap: str, specs: Sequence[TopicSpec], *, replication_factor: int = 1
) -> list[str]:
    """Create missing topics; verify existing ones have the configured partitions.

    Returns the names of the topics that were created.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            # Another process may win the race to create them; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, replication_factor) for s in missing]
                )
        present = [s for s in specs if s.name in existing]
        if present:
            described = await admin.describe_topics([s.name for s in present])
            counts = {d["topic"]: len(d["partitions"]) for d in described}
            for spec in present:
                actual = counts.get(spec.name, spec.partitions)
                if actual != spec.partitions:
                    raise TopicMismatch(spec.name, spec.partitions, actual)
        created = [s.name for s in missing]
        if created:
            log.info("created topics: %s", ", ".join(created))
        return created
    finally:
        await admin.close()
