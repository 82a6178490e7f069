"""Verified API tokens, remembered briefly so a request need not ask the database.

The payment pipeline calls ``/v1/score`` for every authorization with one token; a
database round trip per call would cost more than the scoring. A token verified
within ``fresh_s`` is trusted again; a revocation, deactivation or role change made
through this process's :class:`~access.directory.UserDirectory` empties the cache at
once, one made elsewhere takes effect within ``fresh_s``. While the database cannot be
reached, a token verified within ``stale_s`` keeps working (scoring survives a
database blip); a token never seen still fails. Keys are the tokens' SHA-256 digests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from access.principal import Principal

__all__ = ["TokenCache"]


class TokenCache:
    """Thread-safe, bounded, keyed by token digest."""

    def __init__(
        self,
        *,
        fresh_s: float,
        stale_s: float,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fresh_s = fresh_s
        self.stale_s = max(stale_s, fresh_s)
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def _sync(self, generation: int) -> None:
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation

    def _within(self, digest: str, generation: int, age_s: float) -> Principal | None:
        with self._lock:
            self._sync(generation)
            found = self._entries.get(digest)
            if found is None or self._monotonic() - found[1] > age_s:
                return None
            return found[0]

    def fresh(self, digest: str, generation: int) -> Principal | None:
        """The principal verified within ``fresh_s``, if any."""
        if self.fresh_s <= 0:
            return None
        return self._within(digest, generation, self.fresh_s)

    def stale(self, digest: str, generation: int) -> Principal | None:
        """The principal verified within ``stale_s`` (only while the database is down)."""
        if self.stale_s <= 0:
            return None
        return self._within(digest, generation, self.stale_s)

    def put(self, digest: str, generation: int, principal: Principal) -> None:
        with self._lock:
            self._sync(generation)
            self._entries.pop(digest, None)
            self._entries[digest] = (principal, self._monotonic())
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)
