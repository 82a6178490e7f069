"""The verified-token cache: fresh, stale only on request, reset by a directory change."""

from __future__ import annotations

from access.principal import Principal
from access.token_cache import TokenCache

PIPELINE = Principal(1, "pipeline", "service", "token", token_id=7)


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fresh_then_stale_then_gone() -> None:
    clock = Ticker()
    cache = TokenCache(fresh_s=30, stale_s=900, monotonic=clock)
    cache.put("d1", 0, PIPELINE)
    clock.now = 29
    assert cache.fresh("d1", 0) == PIPELINE
    clock.now = 31
    assert cache.fresh("d1", 0) is None  # ask the database again
    assert cache.stale("d1", 0) == PIPELINE  # unless it cannot be reached
    clock.now = 901
    assert cache.stale("d1", 0) is None


def test_a_directory_change_empties_it() -> None:
    cache = TokenCache(fresh_s=30, stale_s=900, monotonic=Ticker())
    cache.put("d1", 0, PIPELINE)
    assert cache.fresh("d1", 1) is None and cache.stale("d1", 1) is None
    assert cache.fresh("d1", 0) is None  # gone for good, not hidden


def test_zero_seconds_switches_it_off_and_it_stays_bounded() -> None:
    off = TokenCache(fresh_s=0, stale_s=0, monotonic=Ticker())
    off.put("d1", 0, PIPELINE)
    assert off.fresh("d1", 0) is None and off.stale("d1", 0) is None
    small = TokenCache(fresh_s=30, stale_s=30, max_entries=2, monotonic=Ticker())
    for digest in ("a", "b", "c"):
        small.put(digest, 0, PIPELINE)
    assert small.fresh("a", 0) is None and small.fresh("c", 0) == PIPELINE
    small.forget("c")
    assert small.fresh("c", 0) is None
