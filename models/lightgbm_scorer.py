"""LightGBM scoring: single-threaded, batch-first, calibrated."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from models.artifact import BOOSTER_FILE, ModelMeta, read_meta
from models.base import FloatMatrix

__all__ = ["LightGBMScorer"]

# Every predict call passes num_threads=1: on these 2-core machines the default thread
# pool costs milliseconds per call (spin-waiting threads) where one thread takes tens
# of microseconds.


class LightGBMScorer:
    """A LightGBM booster with its metadata; implements :class:`models.base.Scorer`."""

    def __init__(self, booster: lgb.Booster, meta: ModelMeta) -> None:
        self._booster = booster
        self.meta = meta

    @classmethod
    def load(cls, directory: Path) -> LightGBMScorer:
        meta = read_meta(directory)
        booster = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        return cls(booster, meta)

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.meta.feature_names

    def raw_predict(self, matrix: FloatMatrix) -> npt.NDArray[np.float64]:
        """Uncalibrated probabilities."""
        if not len(matrix):
            return np.empty(0)
        result = self._booster.predict(matrix, num_threads=1)
        return np.asarray(result, dtype=np.float64)

    def predict(self, matrix: FloatMatrix) -> npt.NDArray[np.float64]:
        raw = self.raw_predict(matrix)
        calibration = self.meta.calibration
        scores = calibration.apply(raw) if calibration is not None else raw
        return np.clip(scores, 0.0, 1.0)

    def contributions(self, matrix: FloatMatrix) -> FloatMatrix:
        if not len(matrix):
            return np.empty((0, len(self.feature_names) + 1))
        result = self._booster.predict(matrix, pred_contrib=True, num_threads=1)
        return np.asarray(result, dtype=np.float64)
