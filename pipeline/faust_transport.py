"""A Faust transport whose consumer does not hold fetches for 1.5 s.

Faust creates its aiokafka consumer with ``fetch_max_wait_ms=1500`` and no setting to
change it. With a broker that answers a fetch only when the wait expires if no data
was there when the fetch arrived (the embedded Tansu broker does), an event arriving
just after a fetch waits up to 1.5 s before the worker even sees it. This transport
creates the same consumer with a short wait; it registers itself under the URL
scheme ``riskstream-kafka://``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["FETCH_MAX_WAIT_MS", "SCHEME", "register"]

SCHEME = "riskstream-kafka"
FETCH_MAX_WAIT_MS = 50


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when the consumer starts (it builds its fetcher then).
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # noqa: SLF001
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer: ClassVar[Any] = _Consumer


def register() -> None:
    """Make ``riskstream-kafka://host:port`` resolve to this transport. Idempotent."""
    drivers.TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
