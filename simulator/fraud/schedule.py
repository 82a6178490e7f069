"""When fraud episodes start: calibrated so fraud is about ``fraud_rate`` of all traffic.

Each pattern gets an episode interval from its share of the fraudulent transactions and
its mean episode size. Episode *k* starts at a random point inside the *k*-th interval
(a jittered regular process): the count over a period is steady, which keeps the fraud
rate close to the target even for rare, bursty patterns, while the exact times still
vary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Final

from simulator.config import PatternName, SimulationConfig
from simulator.fraud.base import Episode, FraudContext, FraudPattern
from simulator.sampling import stream

__all__ = ["ArrivalSchedule"]

_DAY_MS: Final = 86_400_000


@dataclass(slots=True)
class _Arrivals:
    name: PatternName
    interval_ms: float
    rng: Random
    slot: int = 0
    next_ms: int = 0


class ArrivalSchedule:
    """Yields each pattern's scheduled episodes in start order, day by day."""

    def __init__(
        self,
        config: SimulationConfig,
        patterns: Mapping[PatternName, FraudPattern],
        ctx: FraudContext,
        start_ms: int,
    ) -> None:
        self._ctx = ctx
        self._start_ms = start_ms
        fraud_per_day = config.fraud_rate / (1 - config.fraud_rate) * config.expected_legit_per_day
        self._arrivals: list[_Arrivals] = []
        for name, pattern in patterns.items():
            share = config.patterns.share(name)
            if share <= 0 or fraud_per_day <= 0:
                continue
            episodes_per_day = share * fraud_per_day / pattern.mean_transactions
            rng = stream(config.seed, "schedule", name)
            arrivals = _Arrivals(name, _DAY_MS / episodes_per_day, rng)
            self._advance(arrivals)
            self._arrivals.append(arrivals)

    def interval_days(self, name: PatternName) -> float | None:
        """Mean days between episodes of ``name`` (None when switched off)."""
        for arrivals in self._arrivals:
            if arrivals.name == name:
                return arrivals.interval_ms / _DAY_MS
        return None

    def _advance(self, arrivals: _Arrivals) -> None:
        offset = (arrivals.slot + arrivals.rng.uniform(0.05, 0.95)) * arrivals.interval_ms
        arrivals.next_ms = self._start_ms + round(offset)
        arrivals.slot += 1

    def due(self, until_ms: int) -> list[Episode]:
        """Every scheduled episode starting before ``until_ms`` not handed out yet."""
        episodes: list[Episode] = []
        for arrivals in self._arrivals:
            while arrivals.next_ms < until_ms:
                episode_id = self._ctx.episode_id(arrivals.name)
                episodes.append(Episode(arrivals.name, episode_id, arrivals.next_ms))
                self._advance(arrivals)
        episodes.sort(key=lambda e: (e.start_ms, e.episode_id))
        return episodes
