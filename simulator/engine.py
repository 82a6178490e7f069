"""The simulator: a config in, transactions in event-time order out.

Generation runs one UTC day at a time: that day's legitimate traffic, the fraud
episodes starting that day (and follow-ups scheduled earlier), sorted together. Drafts
of episodes that run past midnight are carried into the next day, so the output is
strictly ordered by event time however long an episode lasts.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Final

from simulator.config import PatternName, SimulationConfig
from simulator.draft import Draft, from_ms, to_ms
from simulator.fraud import ArrivalSchedule, Episode, FraudContext, PointOfCompromise
from simulator.fraud import build_patterns as _build_patterns
from simulator.labels import LabelMaker, labels_in_order
from simulator.legit import LegitTraffic
from simulator.population import Population, build_population
from simulator.records import Label, SimulatedTransaction
from simulator.sampling import stream

__all__ = ["Simulator"]

_DAY_MS: Final = 86_400_000


class _Run:
    """The mutable state of one pass over the timeline (trips, harvests, follow-ups)."""

    def __init__(self, config: SimulationConfig, population: Population) -> None:
        self._config = config
        labels = LabelMaker.of(config)
        self._legit = LegitTraffic(config, population, labels)
        self._ctx = FraudContext(config, population, labels)
        self._patterns = _build_patterns(self._ctx)
        poc = self._patterns["point_of_compromise"]
        self._poc = poc if isinstance(poc, PointOfCompromise) else None
        midnight = config.start.replace(hour=0, minute=0, second=0, microsecond=0)
        self._grid_ms = to_ms(midnight)
        self._start_ms = to_ms(config.start)
        self._schedule = ArrivalSchedule(config, self._patterns, self._ctx, self._start_ms)
        self._future: list[tuple[int, str, Episode]] = []
        self._seq = itertools.count()
        interval = self._schedule.interval_days("point_of_compromise")
        if self._poc is not None and interval is not None:
            rng = stream(config.seed, "backlog")
            for episode in self._poc.backlog(self._start_ms, interval, rng):
                self._push(episode)

    def drafts(self) -> Iterator[Draft]:
        """Every draft from ``config.start`` on, in (event time, sequence) order; unbounded."""
        carry: list[Draft] = []
        for day in itertools.count():
            day_start = self._grid_ms + day * _DAY_MS
            day_end = day_start + _DAY_MS
            weekday = from_ms(day_start).weekday()
            legit = self._legit.day(day, day_start, weekday)
            fraud = self._fraud(day_end)
            if self._poc is not None:
                rng = stream(self._config.seed, "harvest", day)
                for episode in self._poc.observe(legit, rng, day_end):
                    self._push(episode)
            fresh = legit + fraud
            for draft in fresh:
                draft.seq = next(self._seq)
            pool = carry + fresh
            pool.sort(key=lambda d: (d.ts_ms, d.seq))
            split = next((i for i, d in enumerate(pool) if d.ts_ms >= day_end), len(pool))
            carry = pool[split:]
            for draft in pool[:split]:
                if draft.ts_ms >= self._start_ms:
                    yield draft

    def intervals(self) -> dict[PatternName, float | None]:
        return {name: self._schedule.interval_days(name) for name in self._patterns}

    def _push(self, episode: Episode) -> None:
        heapq.heappush(self._future, (episode.start_ms, episode.episode_id, episode))

    def _fraud(self, day_end: int) -> list[Draft]:
        for episode in self._schedule.due(day_end):
            self._push(episode)
        drafts: list[Draft] = []
        while self._future and self._future[0][0] < day_end:
            _, _, episode = heapq.heappop(self._future)
            rng = stream(self._config.seed, "episode", episode.episode_id)
            outcome = self._patterns[episode.pattern].materialize(episode, rng)
            drafts.extend(outcome.drafts)
            for follow_up in outcome.follow_ups:
                self._push(follow_up)
        return drafts


class Simulator:
    """Deterministic synthetic card traffic: same config, same transactions, byte for byte.

    >>> from simulator import SimulationConfig
    >>> sim = Simulator(SimulationConfig(seed=1, days=1, n_customers=50, n_merchants=20))
    >>> first = next(iter(sim))
    >>> first.event.event_time >= sim.config.start
    True
    """

    def __init__(self, config: SimulationConfig) -> None:
        if not isinstance(config, SimulationConfig):
            raise TypeError("Simulator needs a SimulationConfig")
        self.config = config
        self._population: Population | None = None

    @property
    def population(self) -> Population:
        """The customers, cards, merchants and BIN table (built on first use)."""
        if self._population is None:
            self._population = build_population(self.config)
        return self._population

    def __iter__(self) -> Iterator[SimulatedTransaction]:
        return self.transactions()

    def transactions(self) -> Iterator[SimulatedTransaction]:
        """The configured period, ``[start, start + days)``, in event-time order."""
        return self.stream(until=self.config.end)

    def stream(self, *, until: datetime | None = None) -> Iterator[SimulatedTransaction]:
        """Transactions from ``config.start`` on; unbounded unless ``until`` is given.

        The first ``days`` are identical to :meth:`transactions`; after that the same
        world keeps going (for demos that run indefinitely).
        """
        if until is not None and until.tzinfo is None:
            raise ValueError("until must be timezone-aware (UTC)")
        end_ms = to_ms(until.astimezone(UTC)) if until is not None else None
        for draft in _Run(self.config, self.population).drafts():
            if end_ms is not None and draft.ts_ms >= end_ms:
                return
            yield draft.to_transaction()

    def run(self) -> list[SimulatedTransaction]:
        """The configured period as a list."""
        return list(self.transactions())

    def labels(self) -> list[Label]:
        """The labels of the configured period's transactions, ordered by ``reported_at``."""
        return labels_in_order(self.transactions())

    def pattern_intervals(self) -> dict[PatternName, float | None]:
        """Mean days between episodes of each pattern for this config (None when off)."""
        return _Run(self.config, self.population).intervals()
