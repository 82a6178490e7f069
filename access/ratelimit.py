"""Per-client rate limits: an in-process token bucket per key.

Each client (API token, user session, or IP address for anonymous requests) has a
bucket of ``burst`` requests refilled at ``rate_per_s``. An empty bucket answers 429
with ``Retry-After``. In-process: with several server processes each keeps its own
buckets, so the effective limit is multiplied by the process count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimit", "TokenBucketLimiter"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate_per_s > 0 and burst >= 1")


class TokenBucketLimiter:
    """Thread-safe token buckets keyed by client, with a bounded number of keys."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        max_keys: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._max_keys = max_keys
        self._monotonic = monotonic
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key``; returns 0 if allowed, else seconds to wait."""
        now = self._monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - stamp) * self.limit.rate_per_s)
            if tokens >= cost:
                tokens -= cost
                wait = 0.0
            else:
                wait = (cost - tokens) / self.limit.rate_per_s
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)  # least recently seen
            return wait

    @staticmethod
    def retry_after(wait_s: float) -> int:
        """Whole seconds for a ``Retry-After`` header (at least 1)."""
        return max(1, math.ceil(wait_s))
