"""Score drift: the population stability index of served scores against the training data.

A model's *reference* is the distribution of its scores on its training data, in bins
whose edges are the training scores' deciles (equal-width bins would put nearly every
fraud score in the first bin). PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ) over the bins, with the
served share aᵢ and the training share eᵢ each floored at 0.0001. Rule of thumb: below
0.1 stable, 0.1-0.25 moderate shift, above 0.25 a major shift worth a retraining look.

References are read from the model's directory (``score_reference.json``), from
``<data_dir>/monitoring/references/<version>.json``, or built once from the scored test
slice that training stores next to the model (``holdout.parquet``, column ``score``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitoring.errors import MonitoringError, ReferenceMissing

__all__ = [
    "REFERENCE_FILE",
    "ReferenceStore",
    "ScoreReference",
    "bin_index",
    "population_stability_index",
    "psi_level",
]

REFERENCE_FILE = "score_reference.json"
HOLDOUT_FILE = "holdout.parquet"  # written by training: the test slice with its scores
SHARE_FLOOR = 1e-4


@dataclass(frozen=True, slots=True)
class ScoreReference:
    """Training score distribution of one model version.

    ``edges`` are the inner bin edges (ascending, unique); bin ``i`` holds scores with
    ``edges[i-1] <= score < edges[i]`` (see :func:`bin_index`), so there are
    ``len(edges) + 1`` bins and as many ``shares``.
    """

    version: str
    edges: tuple[float, ...]
    shares: tuple[float, ...]
    rows: int
    source: str

    def __post_init__(self) -> None:
        if len(self.shares) != len(self.edges) + 1:
            raise MonitoringError("a score reference needs one share more than inner edges")
        if list(self.edges) != sorted(set(self.edges)):
            raise MonitoringError("score reference edges must be ascending and unique")

    @classmethod
    def from_scores(
        cls, version: str, scores: npt.ArrayLike, *, source: str, quantiles: int = 10
    ) -> ScoreReference:
        values = np.asarray(scores, dtype=np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            raise MonitoringError("no scores to build a reference from")
        inner = np.quantile(values, np.arange(1, quantiles) / quantiles)
        edges = tuple(float(e) for e in np.unique(inner))
        counts = np.bincount(
            np.searchsorted(np.asarray(edges), values, side="right"), minlength=len(edges) + 1
        )
        shares = tuple(float(c) / len(values) for c in counts)
        return cls(version, edges, shares, len(values), source)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "edges": list(self.edges),
                "shares": list(self.shares),
                "rows": self.rows,
                "source": self.source,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> ScoreReference:
        raw = json.loads(text)
        return cls(
            str(raw["version"]),
            tuple(float(e) for e in raw["edges"]),
            tuple(float(s) for s in raw["shares"]),
            int(raw["rows"]),
            str(raw.get("source", "")),
        )

    def bin_labels(self) -> list[str]:
        bounds = [0.0, *self.edges, 1.0]
        return [f"{lo:.2g}–{hi:.2g}" for lo, hi in zip(bounds, bounds[1:], strict=False)]


def bin_index(edges: Sequence[float], score: float) -> int:
    """The bin of ``score``.

    >>> bin_index([0.1, 0.5], 0.05), bin_index([0.1, 0.5], 0.1), bin_index([0.1, 0.5], 0.9)
    (0, 1, 2)
    """
    return bisect_right(edges, score)


def population_stability_index(actual: Sequence[float], expected: Sequence[float]) -> float:
    """PSI of two share vectors over the same bins (each summing to about 1).

    >>> round(population_stability_index([0.5, 0.5], [0.5, 0.5]), 6)
    0.0
    >>> population_stability_index([0.9, 0.1], [0.5, 0.5]) > 0.25
    True
    """
    if len(actual) != len(expected):
        raise MonitoringError("PSI needs the same bins on both sides")
    total = 0.0
    for a, e in zip(actual, expected, strict=True):
        a, e = max(a, SHARE_FLOOR), max(e, SHARE_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def psi_level(psi: float) -> str:
    return "stable" if psi < 0.1 else "moderate shift" if psi < 0.25 else "major shift"


class ReferenceStore:
    """Score references by model version: next to the model, or in the monitoring dir."""

    def __init__(self, data_dir: Path) -> None:
        self.models_root = data_dir / "models" / "versions"
        self.root = data_dir / "monitoring" / "references"

    def _candidates(self, version: str) -> list[Path]:
        if "/" in version or "\\" in version or version.startswith("."):
            raise MonitoringError(f"not a model version: {version!r}")
        return [self.models_root / version / REFERENCE_FILE, self.root / f"{version}.json"]

    def get(self, version: str) -> ScoreReference:
        for path in self._candidates(version):
            if path.is_file():
                return ScoreReference.from_json(path.read_text())
        holdout = self.models_root / version / HOLDOUT_FILE
        if holdout.is_file():  # the scored test slice stored with the model at training
            import pandas as pd

            scores = pd.read_parquet(holdout, columns=["score"])["score"].to_numpy(np.float64)
            reference = ScoreReference.from_scores(
                version, scores, source=f"the model's scored test slice ({len(scores)} rows)"
            )
            self.put(reference)
            return reference
        raise ReferenceMissing(version)

    def find(self, version: str | None) -> ScoreReference | None:
        if version is None:
            return None
        try:
            return self.get(version)
        except (MonitoringError, ValueError, KeyError, OSError):
            return None

    def put(self, reference: ScoreReference) -> Path:
        path = self._candidates(reference.version)[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ref-", dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(reference.to_json())
        os.replace(tmp, path)
        return path
