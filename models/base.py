"""The scorer interface every model implementation provides."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["FloatMatrix", "Scorer"]

FloatMatrix = npt.NDArray[np.float64]


class Scorer(Protocol):
    """Scores a batch of feature rows; NaN marks a missing value."""

    @property
    def version(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...

    def predict(self, matrix: FloatMatrix) -> npt.NDArray[np.float64]:
        """Fraud probability per row, in [0, 1]."""
        ...

    def contributions(self, matrix: FloatMatrix) -> FloatMatrix:
        """Per-feature contributions (log-odds) per row; the last column is the bias."""
        ...
