"""Seeded random streams and small weighted draws.

Each part of the simulation draws from its own stream (population, legitimate traffic
of day *n*, fraud pattern *p* ...), named by a string seed. ``random.Random`` seeds
strings with SHA-512, so streams are stable across processes and Python hash seeds,
and turning a fraud knob never reshuffles the legitimate traffic.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence
from random import Random
from typing import Generic, TypeVar

import numpy as np

__all__ = ["Choice", "clipped_lognormal", "numpy_stream", "stream", "weighted"]

T = TypeVar("T")


def stream(seed: int, *parts: object) -> Random:
    """The random stream named ``seed/part/part...``.

    >>> stream(7, "legit", 3).random() == stream(7, "legit", 3).random()
    True
    """
    return Random("/".join(str(p) for p in (seed, *parts)))


def numpy_stream(seed: int, *parts: object) -> np.random.Generator:
    """A numpy generator for the same kind of named stream (for vectorised draws)."""
    words = Random("/".join(str(p) for p in (seed, "np", *parts))).getrandbits(128)
    return np.random.default_rng(words)


def weighted(rng: Random, pairs: Sequence[tuple[T, float]]) -> T:
    """One value from ``(value, weight)`` pairs."""
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def clipped_lognormal(rng: Random, median: float, sigma: float, low: float, high: float) -> float:
    """A log-normal draw with ``median``, clipped to ``[low, high]``."""
    return min(high, max(low, median * math.exp(rng.gauss(0.0, sigma))))


class Choice(Generic[T]):
    """A fixed weighted choice, drawn with one uniform number and a bisection.

    >>> from random import Random
    >>> Choice((("a", 1.0), ("b", 0.0))).draw(Random(0))
    'a'
    """

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self._values = tuple(p[0] for p in pairs)
        self._cum = tuple(itertools.accumulate(p[1] for p in pairs))
        self._total = self._cum[-1]

    def draw(self, rng: Random) -> T:
        return self._values[bisect_right(self._cum, rng.random() * self._total)]
