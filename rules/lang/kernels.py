"""Null-aware NumPy kernels for the columnar evaluator.

Intermediate values, one entry per row:

* number: a float64 array; NaN is null (any NaN an operation produces is null too).
* string: ``(values, null)``: a StringDType array and a bool null mask.
* bool:   ``(is_true, is_false)``: two bool masks; a row in neither is null. Kleene logic
  is then plain mask algebra: ``and`` is (all true, any false), ``or`` the mirror.

Every arithmetic kernel runs under ``np.errstate(all="ignore")``: overflow to inf, 0/0 and
inf - inf are defined results here, not warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rules.lang.batch import STRING_DTYPE, BoolArray, FloatArray, StrArray
from rules.lang.nodes import ArithOp, CompareOp

__all__ = [
    "StrValue",
    "Tri",
    "arith",
    "compare_bools",
    "compare_numbers",
    "compare_strings",
    "empty_strings",
    "isin_numbers",
    "isin_strings",
    "kleene_and",
    "kleene_not",
    "kleene_or",
    "number_function",
    "starts_with",
    "tri_from_mask",
]

StrValue = tuple[StrArray, BoolArray]
Tri = tuple[BoolArray, BoolArray]


def arith(op: ArithOp, a: FloatArray, b: FloatArray) -> FloatArray:
    """``a op b``; division by zero is null (NaN)."""
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return np.where(b == 0, np.nan, a / b)


def number_function(func: str, args: Sequence[FloatArray]) -> FloatArray:
    """``abs``, ``min``, ``max``; NaN (null) in any argument gives NaN."""
    with np.errstate(all="ignore"):
        if func == "abs":
            return np.abs(args[0])
        if func == "min":
            return np.minimum(args[0], args[1])
        if func == "max":
            return np.maximum(args[0], args[1])
        if func == "neg":
            return np.negative(args[0])
    raise ValueError(f"unknown number function {func!r}")  # pragma: no cover


def tri_from_mask(result: BoolArray, valid: BoolArray) -> Tri:
    """True/false masks from a plain result, null where not ``valid``."""
    return result & valid, ~result & valid


def compare_numbers(op: CompareOp, a: FloatArray, b: FloatArray | float) -> Tri:
    valid = ~np.isnan(a)
    if isinstance(b, np.ndarray):
        valid &= ~np.isnan(b)
    with np.errstate(all="ignore"):
        if op == "==":
            result = a == b
        elif op == "!=":
            result = a != b
        elif op == "<":
            result = a < b
        elif op == "<=":
            result = a <= b
        elif op == ">":
            result = a > b
        else:
            result = a >= b
    return tri_from_mask(np.asarray(result, dtype=np.bool_), valid)


def compare_strings(op: CompareOp, a: StrValue, b: StrValue) -> Tri:
    """``==`` / ``!=`` on strings (the checker allows no other operator).

    ``b`` may hold one-element arrays (a literal), which broadcast against ``a``.
    """
    values, null = a
    result = values == b[0]
    valid = ~(null | b[1])
    if op == "!=":
        result = ~result
    return tri_from_mask(np.asarray(result, dtype=np.bool_), valid)


def compare_bools(op: CompareOp, a: Tri, b: Tri) -> Tri:
    """``==`` / ``!=`` on bools."""
    a_true, a_false = a
    b_true, b_false = b
    valid = (a_true | a_false) & (b_true | b_false)
    equal = (a_true & b_true) | (a_false & b_false)
    if op == "!=":
        return valid & ~equal, equal
    return equal, valid & ~equal


def kleene_not(a: Tri) -> Tri:
    return a[1], a[0]


def kleene_and(parts: Sequence[Tri]) -> Tri:
    true, false = parts[0]
    for part_true, part_false in parts[1:]:
        true = true & part_true
        false = false | part_false
    return true, false


def kleene_or(parts: Sequence[Tri]) -> Tri:
    true, false = parts[0]
    for part_true, part_false in parts[1:]:
        true = true | part_true
        false = false & part_false
    return true, false


def isin_numbers(a: FloatArray, items: FloatArray, negated: bool) -> Tri:
    found = np.isin(a, items)
    return tri_from_mask(~found if negated else found, ~np.isnan(a))


def isin_strings(a: StrValue, items: StrArray, negated: bool) -> Tri:
    values, null = a
    found = np.isin(values, items)
    return tri_from_mask(~found if negated else found, ~null)


def starts_with(a: StrValue, prefix: StrArray) -> Tri:
    """``prefix`` is a one-element array holding a literal without control characters
    (NumPy's ``startswith`` mishandles a NUL in the prefix; the lexer refuses those)."""
    values, null = a
    return tri_from_mask(np.asarray(np.strings.startswith(values, prefix), dtype=np.bool_), ~null)


def empty_strings(size: int) -> StrArray:
    return np.zeros(size, dtype=STRING_DTYPE)
