"""Where a batch's time goes: decode, cache, features, model, rules, encode.

The scoring core and the stream processor add each stage's wall time per batch; the
stream benchmark reports it per event, and metrics can listen to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["STAGES", "StageTimes"]

STAGES = ("decode", "cache", "features", "model", "rules", "encode")

Listener = Callable[[str, float, int], None]  # (stage, seconds, events in the batch)


@dataclass(slots=True)
class StageTimes:
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    listeners: list[Listener] = field(default_factory=list)

    def add(self, stage: str, seconds: float, events: int) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.events[stage] = self.events.get(stage, 0) + events
        for listener in self.listeners:
            listener(stage, seconds, events)

    @contextmanager
    def measure(self, stage: str, events: int) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started, events)

    def per_event_us(self) -> dict[str, float]:
        """Mean microseconds per event of each stage so far."""
        return {
            stage: (self.seconds[stage] / self.events[stage] * 1e6) if self.events[stage] else 0.0
            for stage in self.seconds
        }

    def reset(self) -> None:
        for stage in self.seconds:
            self.seconds[stage] = 0.0
            self.events[stage] = 0
