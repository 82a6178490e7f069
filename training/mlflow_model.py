"""The MLflow pyfunc wrapper of a riskstream model: calibrated fraud probabilities.

Only MLflow imports this module (through the models-from-code script that
:mod:`training.tracking` logs), so importing MLflow here at module level never
reaches the stream worker or the HTTP endpoint, which serve from the local store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc.model import PythonModel

from models import LightGBMScorer

__all__ = ["CalibratedLightGBM"]


class CalibratedLightGBM(PythonModel):
    """``predict(frame)`` → calibrated fraud probability per row (the served score)."""

    def load_context(self, context: Any) -> None:
        self._scorer = LightGBMScorer.load(Path(context.artifacts["model_dir"]))

    # Bare DataFrame / Series hints: MLflow infers no schema from them (the logged
    # signature describes the columns) and so neither warns nor re-validates.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.Series:
        frame = pd.DataFrame(model_input)
        matrix = frame[list(self._scorer.feature_names)].to_numpy(np.float64)
        return pd.Series(self._scorer.predict(matrix), index=frame.index, name="score")
