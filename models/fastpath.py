"""LightGBM's single-row fast path (``LGBM_BoosterPredictForMatSingleRowFast``).

``Booster.predict`` validates its input, builds a new predictor configuration and
converts the result on every call: tens of microseconds before any tree is walked.
The C API's "fast" single-row entry points parse the configuration once
(``…FastInit``) and then predict one row with no per-call set-up. The handle is bound
to one booster and one thread: use one :class:`SingleRowPredictor` per thread.
"""

from __future__ import annotations

import ctypes
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from lightgbm.basic import _LIB  # type: ignore[attr-defined]  # the loaded C library

from models.errors import ModelError

__all__ = ["SingleRowPredictor"]

_PREDICT_NORMAL = 0
_PREDICT_CONTRIB = 3
_DTYPE_FLOAT64 = 1


class SingleRowPredictor:
    """Predicts one row (probability, or contributions) through the fast C entry point."""

    def __init__(self, booster: lgb.Booster, *, contributions: bool = False) -> None:
        self._booster = booster  # keeps the native booster alive as long as this handle
        self._columns = booster.num_feature()
        self._width = self._columns + 1 if contributions else 1
        self._handle = ctypes.c_void_p()
        status = _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle,
            ctypes.c_int(_PREDICT_CONTRIB if contributions else _PREDICT_NORMAL),
            ctypes.c_int(0),
            ctypes.c_int(-1),
            ctypes.c_int(_DTYPE_FLOAT64),
            ctypes.c_int32(self._columns),
            ctypes.c_char_p(b"num_threads=1"),
            ctypes.byref(self._handle),
        )
        if status != 0:
            raise ModelError("LightGBM refused the single-row fast path; use Booster.predict")
        self._out_len = ctypes.c_int64(0)
        self._result = np.empty(self._width, dtype=np.float64)
        self._result_ptr = self._result.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        self._out_len_ref = ctypes.byref(self._out_len)
        self._predict: Any = _LIB.LGBM_BoosterPredictForMatSingleRowFast

    def __call__(self, row: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """One row of ``num_feature`` float64 values (C-contiguous) → a fresh result array."""
        if row.dtype != np.float64 or not row.flags.c_contiguous:
            row = np.ascontiguousarray(row, dtype=np.float64)
        if row.size != self._columns:
            raise ModelError(f"expected {self._columns} feature values, got {row.size}")
        status = self._predict(
            self._handle, row.ctypes.data_as(ctypes.c_void_p), self._out_len_ref, self._result_ptr
        )
        if status != 0:
            raise ModelError("LightGBM single-row prediction failed")
        return self._result.copy()

    def close(self) -> None:
        if self._handle:
            _LIB.LGBM_FastConfigFree(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self) -> None:
        self.close()
