"""Score calibration: raw LightGBM outputs → probabilities, fitted on a later time slice.

Both methods produce a :class:`models.Calibration` (a monotone lookup table the
serving path applies with one ``np.interp``), so the artifact format and the serving
code do not depend on the method:

* ``platt`` — a logistic regression on the raw score's log-odds. Strictly monotone,
  so the model's ranking (AUC, average precision, CP@k) is kept exactly; stored as
  513 points evenly spaced in log-odds. The default: on simulated data it matched
  isotonic's log loss and beat its average precision (isotonic's flat steps tie
  scores that the trees had told apart). See docs/training.md for the numbers.
* ``isotonic`` — scikit-learn's isotonic regression (a step function). Needs more
  frauds in the calibration slice to be smooth.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models import Calibration
from training.errors import TrainingError

__all__ = ["CalibrationMethod", "fit_calibration", "log_odds", "platt_table"]

CalibrationMethod = Literal["isotonic", "platt"]

_GRID = np.linspace(-16.0, 16.0, 513)  # log-odds; sigmoid(±16) covers float probabilities
_EPS = 1e-7


def log_odds(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``log(p / (1 - p))`` with ``p`` clipped away from 0 and 1."""
    clipped = np.clip(p, _EPS, 1.0 - _EPS)
    result: npt.NDArray[np.float64] = np.log(clipped / (1.0 - clipped))
    return result


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
    return result


def platt_table(slope: float, intercept: float) -> Calibration:
    """The lookup table of ``sigmoid(slope * logit(raw) + intercept)``.

    >>> table = platt_table(1.0, 0.0)  # the identity
    >>> round(float(table.apply(np.array([0.3]))[0]), 6)
    0.3
    """
    x = _sigmoid(_GRID)
    y = _sigmoid(slope * _GRID + intercept)
    return Calibration(tuple(float(v) for v in x), tuple(float(v) for v in y))


def fit_calibration(
    raw: npt.NDArray[np.float64], target: npt.NDArray[np.int8], method: CalibrationMethod
) -> Calibration:
    """Fit ``method`` on raw scores and outcomes of a slice the trees never trained on."""
    positives = int(target.sum())
    if positives == 0 or positives == len(target):
        raise TrainingError(
            f"the calibration slice has {len(target)} rows and {positives} frauds: both "
            "classes are needed; use a longer history or a larger calibration fraction"
        )
    if method == "platt":
        # Nearly unregularised: two parameters on thousands of rows.
        model = LogisticRegression(C=1e4, max_iter=1000)
        model.fit(log_odds(raw)[:, None], target)
        return platt_table(float(model.coef_[0, 0]), float(model.intercept_[0]))
    if method == "isotonic":
        isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        isotonic.fit(raw, target)
        return Calibration(
            tuple(float(x) for x in isotonic.X_thresholds_),
            tuple(float(y) for y in isotonic.y_thresholds_),
        )
    raise TrainingError(f"unknown calibration method {method!r}; use 'platt' or 'isotonic'")
