"""The columnar batch the compiled evaluator reads, and the value coercion both evaluators share.

Representation (one array per feature, all of length ``size``):

* number  -> :class:`NumberColumn`: ``values`` is float64; **NaN means null**. Python ints
  are converted to float64 (exact below 2**53, which covers amounts in minor units).
* string  -> :class:`StringColumn`: ``values`` is a NumPy ``StringDType`` array (variable
  width, no NUL stripping) holding ``""`` where null, and ``null`` is a bool mask.
* bool    -> :class:`BoolColumn`: ``values`` is a bool array holding False where null, and
  ``null`` is a bool mask.

A symbol the batch has no column for is null on every row (a feature may be missing), just
as a key missing from a row is null for the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from rules.lang.errors import RuleDataError
from rules.lang.symbols import BOOL, NUMBER, STRING, SymbolTable, SymbolType

__all__ = [
    "STRING_DTYPE",
    "BoolArray",
    "BoolColumn",
    "Column",
    "ColumnBatch",
    "FloatArray",
    "NumberColumn",
    "StrArray",
    "StringColumn",
    "bool_column",
    "coerce_value",
    "number_column",
    "string_column",
]

STRING_DTYPE = np.dtypes.StringDType()

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# A 1-d array of dtype STRING_DTYPE (NumPy's typing has no precise alias for it).
StrArray = npt.NDArray[Any]

Value = float | str | bool | None

_F8 = np.dtype(np.float64)
_B1 = np.dtype(np.bool_)


def _bad(name: str, kind: SymbolType, value: object) -> RuleDataError:
    # Never echo the value: it may be card data.
    return RuleDataError(
        f"feature {name!r} is declared {kind} but a row holds a {type(value).__name__}",
        hint=f"pass a {kind} or None",
    )


def coerce_value(kind: SymbolType, value: object, name: str) -> Value:
    """Convert one row value to the evaluators' domain: float, str, bool or None.

    NaN becomes None (null). Raises RuleDataError for a value of the wrong type.
    """
    if value is None:
        return None
    if kind is NUMBER:
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise _bad(name, kind, value)
        try:
            number = float(value)
        except OverflowError:
            raise RuleDataError(
                f"feature {name!r} holds an integer too large for a 64-bit float"
            ) from None
        return None if number != number else number
    if kind is STRING:
        if not isinstance(value, str):
            raise _bad(name, kind, value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RuleDataError(
                    f"feature {name!r} holds a string that is not valid Unicode text "
                    "(a lone surrogate)"
                ) from None
        return str(value)
    if not isinstance(value, bool | np.bool_):
        raise _bad(name, kind, value)
    return bool(value)


@dataclass(frozen=True, slots=True)
class NumberColumn:
    """float64 values; NaN is null."""

    values: FloatArray


@dataclass(frozen=True, slots=True)
class StringColumn:
    """StringDType values (``""`` where null) and a null mask."""

    values: StrArray
    null: BoolArray


@dataclass(frozen=True, slots=True)
class BoolColumn:
    """bool values (False where null) and a null mask."""

    values: BoolArray
    null: BoolArray


Column = NumberColumn | StringColumn | BoolColumn

_COLUMN_TYPES: Mapping[SymbolType, type[Column]] = {
    NUMBER: NumberColumn,
    STRING: StringColumn,
    BOOL: BoolColumn,
}


def number_column(values: Iterable[object], *, name: str = "number column") -> NumberColumn:
    """Build a number column from Python numbers / None, or from a numeric array."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return NumberColumn(np.array(values, dtype=np.float64))
    coerced = [coerce_value(NUMBER, v, name) for v in values]
    return NumberColumn(np.array([np.nan if v is None else v for v in coerced], dtype=np.float64))


def string_column(values: Iterable[object], *, name: str = "string column") -> StringColumn:
    """Build a string column from Python strings / None."""
    coerced = [coerce_value(STRING, v, name) for v in values]
    null = np.array([v is None for v in coerced], dtype=np.bool_)
    text = np.array(["" if v is None else v for v in coerced], dtype=STRING_DTYPE)
    return StringColumn(text, null)


def bool_column(values: Iterable[object], *, name: str = "bool column") -> BoolColumn:
    """Build a bool column from Python bools / None."""
    coerced = [coerce_value(BOOL, v, name) for v in values]
    null = np.array([v is None for v in coerced], dtype=np.bool_)
    return BoolColumn(np.array([v is True for v in coerced], dtype=np.bool_), null)


@dataclass(frozen=True, slots=True)
class ColumnBatch:
    """``size`` rows stored as one column per feature (see the module docstring)."""

    size: int
    columns: Mapping[str, Column]

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise RuleDataError(f"ColumnBatch.size must be an int >= 0, got {self.size!r}")
        for name, column in self.columns.items():
            arrays: tuple[tuple[str, npt.NDArray[Any], np.dtype[Any]], ...]
            if isinstance(column, NumberColumn):
                arrays = (("values", column.values, _F8),)
            elif isinstance(column, StringColumn):
                arrays = (("values", column.values, STRING_DTYPE), ("null", column.null, _B1))
            elif isinstance(column, BoolColumn):
                arrays = (("values", column.values, _B1), ("null", column.null, _B1))
            else:
                raise RuleDataError(
                    f"column {name!r} is a {type(column).__name__}; use NumberColumn, "
                    "StringColumn or BoolColumn"
                )
            for part, array, dtype in arrays:
                if not isinstance(array, np.ndarray) or array.dtype != dtype:
                    raise RuleDataError(
                        f"column {name!r}: {part} must be a numpy array of dtype {dtype}",
                        hint="build columns with number_column(), string_column(), bool_column()",
                    )
                if array.shape != (self.size,):
                    raise RuleDataError(
                        f"column {name!r}: {part} has shape {array.shape}, expected ({self.size},)"
                    )
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    def column(self, name: str, kind: SymbolType) -> Column | None:
        """The column for ``name``, checked to be of ``kind``; None when the batch lacks it."""
        column = self.columns.get(name)
        if column is not None and not isinstance(column, _COLUMN_TYPES[kind]):
            raise RuleDataError(
                f"column {name!r} is a {type(column).__name__} but the symbol table "
                f"declares {name!r} as {kind}"
            )
        return column

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, object]], symbols: SymbolTable) -> ColumnBatch:
        """Build a batch from row dicts, one column per symbol; missing keys are null."""
        builders: Mapping[SymbolType, Callable[..., Column]] = {
            NUMBER: number_column,
            STRING: string_column,
            BOOL: bool_column,
        }
        columns: dict[str, Column] = {}
        for name, kind in symbols.items():
            columns[name] = builders[kind]((row.get(name) for row in rows), name=name)
        return cls(len(rows), columns)

    def row(self, index: int) -> dict[str, Value]:
        """Row ``index`` as a dict (nulls as None), e.g. to replay it through the interpreter."""
        out: dict[str, Value] = {}
        for name, column in self.columns.items():
            if isinstance(column, NumberColumn):
                number = float(column.values[index])
                out[name] = None if number != number else number
            elif column.null[index]:
                out[name] = None
            elif isinstance(column, StringColumn):
                out[name] = str(column.values[index])
            else:
                out[name] = bool(column.values[index])
        return out
