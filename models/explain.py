"""Top reasons for a model score, from per-feature contributions (LightGBM ``pred_contrib``).

A contribution is a feature's additive share of the raw log-odds (TreeSHAP); the
features that pushed the score up the most are the decision's reasons, in words
from the feature registry's descriptions. Pure functions: the scoring core decides
for which rows contributions are worth computing (they cost far more than a
prediction, see docs/training.md).

>>> import numpy as np
>>> row = np.array([0.1, 1.4, -0.3, -4.0])  # three features, then the bias
>>> names = ("a", "cvv_no_match", "c")
>>> reasons = top_reasons(row, names, {"cvv_no_match": "the CVV did not match"})
>>> reasons[0]["code"], reasons[0]["text"]
('model_cvv_no_match', 'The CVV did not match (raises the risk)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["describe_value", "top_reasons", "top_reasons_batch"]

Reason = dict[str, Any]  # the shape of contracts.Reason


def describe_value(value: float | None, kind: str = "number") -> str:
    """A feature value as an analyst reads it: ``yes``/``no``, ``7``, ``0.25``, ``missing``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if kind == "bool":
        return "yes" if value >= 0.5 else "no"
    if float(value).is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    return f"{value:.3g}"


def _text(description: str, value: str | None) -> str:
    sentence = description[:1].upper() + description[1:] if description else "A model input"
    if value is None:
        return f"{sentence} (raises the risk)"
    return f"{sentence}: {value} (raises the risk)"


def _row_reasons(
    contributions: npt.NDArray[np.float64],
    names: Sequence[str],
    descriptions: Mapping[str, str],
    values: npt.NDArray[np.float64] | None,
    kinds: Mapping[str, str],
    k: int,
    minimum: float,
) -> list[Reason]:
    width = len(names)
    row = contributions[:width]
    candidates = np.arange(width) if k >= width else np.argpartition(-row, k)[:k]
    ordered = sorted(candidates.tolist(), key=lambda i: (-row[i], names[i]))
    reasons: list[Reason] = []
    for index in ordered:
        contribution = float(row[index])
        if not contribution > minimum:
            continue
        name = names[index]
        shown = (
            describe_value(float(values[index]), kinds.get(name, "number"))
            if values is not None
            else None
        )
        reasons.append(
            {
                "code": f"model_{name}",
                "text": _text(descriptions.get(name, name.replace("_", " ")), shown),
                "source": "model",
                "feature": name,
                "contribution": contribution,
            }
        )
    return reasons


def top_reasons(
    contributions: npt.NDArray[np.float64],
    feature_names: Sequence[str],
    descriptions: Mapping[str, str],
    *,
    values: npt.NDArray[np.float64] | None = None,
    kinds: Mapping[str, str] | None = None,
    k: int = 3,
    min_contribution: float = 0.0,
) -> list[Reason]:
    """The ``k`` features that raised one row's score most, as Reason-shaped dicts.

    Args:
        contributions: one row of ``pred_contrib`` output (``len(feature_names)``
            values, optionally followed by the bias column, which is ignored).
        feature_names: the model's input names, in column order.
        descriptions: feature name → readable description (the registry's).
        values: the row's feature values, to quote them in the text.
        kinds: feature name → ``bool`` / ``number`` (how to print values).
        k: at most this many reasons; features that lowered the score never appear.
        min_contribution: only contributions above this (log-odds) count.
    """
    row = np.asarray(contributions, dtype=np.float64).ravel()
    if row.size < len(feature_names):
        raise ValueError(
            f"{row.size} contributions for {len(feature_names)} features: pass one row of "
            "pred_contrib output"
        )
    return _row_reasons(row, feature_names, descriptions, values, kinds or {}, k, min_contribution)


def top_reasons_batch(
    contributions: npt.NDArray[np.float64],
    feature_names: Sequence[str],
    descriptions: Mapping[str, str],
    *,
    values: npt.NDArray[np.float64] | None = None,
    kinds: Mapping[str, str] | None = None,
    k: int = 3,
    min_contribution: float = 0.0,
) -> list[list[Reason]]:
    """:func:`top_reasons` for every row of a ``pred_contrib`` matrix."""
    matrix = np.atleast_2d(np.asarray(contributions, dtype=np.float64))
    if matrix.shape[1] < len(feature_names):
        raise ValueError(
            f"{matrix.shape[1]} contribution columns for {len(feature_names)} features"
        )
    return [
        _row_reasons(
            matrix[i],
            feature_names,
            descriptions,
            values[i] if values is not None else None,
            kinds or {},
            k,
            min_contribution,
        )
        for i in range(matrix.shape[0])
    ]
