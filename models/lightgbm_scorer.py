"""LightGBM scoring: single-threaded, batch-first, calibrated."""

from __future__ import annotations

import threading
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from models.artifact import BOOSTER_FILE, ModelMeta, read_meta
from models.base import FloatMatrix
from models.errors import ModelError
from models.fastpath import SingleRowPredictor

__all__ = ["LightGBMScorer"]

# Every predict call passes num_threads=1: on these 2-core machines the default thread
# pool costs milliseconds per call (spin-waiting threads) where one thread takes tens
# of microseconds. A single row (the HTTP endpoint) goes through LightGBM's fast
# single-row C entry point, about 5x cheaper than Booster.predict (measured with
# `riskstream models bench-inference`, docs/training.md); batches stay on
# Booster.predict, whose per-call cost is spread over the batch.


class LightGBMScorer:
    """A LightGBM booster with its metadata; implements :class:`models.base.Scorer`."""

    def __init__(self, booster: lgb.Booster, meta: ModelMeta) -> None:
        self._booster = booster
        self.meta = meta
        self._local = threading.local()  # one fast-path handle per thread

    def _single_row(self) -> SingleRowPredictor | None:
        predictor: SingleRowPredictor | None = getattr(self._local, "predictor", None)
        if predictor is None and not getattr(self._local, "unavailable", False):
            try:
                predictor = SingleRowPredictor(self._booster)
            except ModelError:
                self._local.unavailable = True
                return None
            self._local.predictor = predictor
        return predictor

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
        if len(matrix) == 1 and matrix.shape[1] == self._booster.num_feature():
            fast = self._single_row()
            if fast is not None:
                return fast(matrix[0])
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
