"""What a policy is replayed on: the rules' input columns, the truth, the money, the days.

:class:`BacktestData` is built once per history (features, identifiers, model score)
and then replayed through any number of policies, so two rule-set versions are
compared on exactly the same inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from contracts.currency import ISO_4217_EXPONENTS
from rules.errors import BacktestError
from rules.policy import IDENTIFIER_SYMBOLS

__all__ = ["BacktestData", "ScoreModel", "model_scores"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ScoreModel(Protocol):
    """What a backtest needs of a model (``models.LightGBMScorer`` is one)."""

    @property
    def version(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...

    def predict(self, matrix: FloatArray) -> FloatArray: ...


def model_scores(features: pd.DataFrame, model: ScoreModel) -> FloatArray:
    """The model's fraud probability per row, from the same feature values the rules see."""
    missing = [name for name in model.feature_names if name not in features.columns]
    if missing:
        raise BacktestError(
            f"model {model.version} needs features the history lacks: {', '.join(missing[:5])}"
            + (" …" if len(missing) > 5 else ""),
        )
    if features.empty:
        return np.empty(0)
    matrix = np.column_stack(
        [features[name].to_numpy(dtype=np.float64, na_value=np.nan) for name in model.feature_names]
    )
    return np.asarray(model.predict(matrix), dtype=np.float64)


def _text(series: pd.Series) -> npt.NDArray[np.object_]:
    """Strings with None for every kind of missing value (None, NaN, NA)."""
    out = np.empty(len(series), dtype=object)
    out[:] = [None if v is None or v is pd.NA or v != v else str(v) for v in series.tolist()]
    return out


@dataclass(frozen=True, slots=True)
class BacktestData:
    """Rows to replay: ``columns`` holds every symbol rules may name (numbers and bools as
    float64 with NaN for null, strings as object arrays with None), aligned with ``fraud``
    (ground truth), ``amount_base`` (base-currency minor units) and ``day`` (UTC date).
    """

    columns: Mapping[str, Any]
    fraud: BoolArray
    amount_base: FloatArray
    day: npt.NDArray[np.datetime64]
    base_currency: str
    model_version: str | None
    truth: str = "labels"  # or the name of the column the ground truth came from

    @property
    def size(self) -> int:
        return len(self.fraud)

    @property
    def exponent(self) -> int:
        """Minor-unit digits of the base currency (2 for USD)."""
        return ISO_4217_EXPONENTS[self.base_currency]

    @property
    def days(self) -> npt.NDArray[np.datetime64]:
        """Every calendar day from the first to the last row (days without rows included)."""
        if not self.size:
            return np.empty(0, dtype="datetime64[D]")
        return np.arange(self.day.min(), self.day.max() + np.timedelta64(1, "D"))

    @classmethod
    def from_frames(
        cls,
        history: pd.DataFrame,
        features: pd.DataFrame,
        fraud: BoolArray,
        *,
        model: ScoreModel | None = None,
        base_currency: str = "USD",
        truth: str = "labels",
    ) -> BacktestData:
        """Align a transaction table, its features (the offline twin's output, same index)
        and the ground truth; score with ``model`` when given, else ``score`` is null.
        ``truth`` says where the ground truth came from (for the report).
        """
        n = len(history)
        if len(features) != n or len(fraud) != n:
            raise BacktestError(
                f"history ({n} rows), features ({len(features)}) and labels ({len(fraud)}) "
                "must be aligned row for row"
            )
        if base_currency not in ISO_4217_EXPONENTS:
            raise BacktestError(f"base currency {base_currency!r} is not an ISO 4217 code")
        for name in ("event_time", "amount_base"):
            source = history if name == "event_time" else features
            if name not in source.columns:
                raise BacktestError(f"the backtest needs a {name!r} column")
        columns: dict[str, Any] = {}
        for name in features.columns:
            series = features[name]
            if series.dtype.kind in "fiub":
                columns[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                columns[name] = _text(series)
        for name in IDENTIFIER_SYMBOLS:
            if name in history.columns:
                columns[name] = _text(history[name])
        columns["score"] = (
            model_scores(features, model) if model is not None else np.full(n, np.nan)
        )
        times = pd.to_datetime(history["event_time"], utc=True)
        day = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        return cls(
            columns=columns,
            fraud=np.asarray(fraud, dtype=np.bool_),
            amount_base=features["amount_base"].to_numpy(dtype=np.float64, na_value=np.nan),
            day=day,
            base_currency=base_currency,
            model_version=model.version if model is not None else None,
            truth=truth,
        )

    def rows(self, start: int, stop: int) -> dict[str, Any]:
        """The columns of rows ``start:stop``."""
        return {name: values[start:stop] for name, values in self.columns.items()}
