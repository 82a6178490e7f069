"""The columnar evaluator: compiles a checked condition once into a tree of closures over
NumPy arrays, then evaluates whole batches at once. No ``eval``, no code generation.

It agrees exactly with :func:`rules.lang.interpreter.interpret` on every row (the property
tests check this); value representations are described in :mod:`rules.lang.kernels`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rules.lang import kernels
from rules.lang.batch import (
    STRING_DTYPE,
    BoolArray,
    BoolColumn,
    ColumnBatch,
    FloatArray,
    NumberColumn,
    StrArray,
    StringColumn,
)
from rules.lang.checker import CheckedExpr
from rules.lang.errors import RuleDataError
from rules.lang.kernels import StrValue, Tri
from rules.lang.lists import ListLookup, ListMembership, lookup_membership, required_lists
from rules.lang.nodes import (
    Binary,
    Call,
    Compare,
    Expr,
    Literal,
    Logical,
    Membership,
    Name,
    Unary,
    walk,
)
from rules.lang.symbols import BOOL, NUMBER, STRING

__all__ = ["CompiledExpr", "ListKeys", "compile_expression", "compile_list_keys", "list_keys"]


@dataclass(frozen=True, slots=True)
class _Env:
    size: int
    batch: ColumnBatch
    lists: ListMembership | None


_Num = Callable[[_Env], FloatArray]
_NOT_NULL = np.zeros(1, dtype=np.bool_)
_Str = Callable[[_Env], StrValue]
_Bool = Callable[[_Env], Tri]


@dataclass(frozen=True, slots=True)
class CompiledExpr:
    """A condition compiled for batches. Build it with :func:`compile_expression`."""

    condition: CheckedExpr
    _run: _Bool = field(repr=False, compare=False)

    def truth(self, batch: ColumnBatch, lists: ListMembership | None = None) -> Tri:
        """Per-row ``(is_true, is_false)`` masks; rows in neither are null."""
        return self._run(_Env(batch.size, batch, lists))

    def evaluate(self, batch: ColumnBatch, lists: ListMembership | None = None) -> BoolArray:
        """Per-row hits: True exactly where the condition is true (not false, not null)."""
        return self.truth(batch, lists)[0]

    def required_lists(self) -> frozenset[ListLookup]:
        return required_lists(self.condition)


def compile_expression(condition: CheckedExpr) -> CompiledExpr:
    """Compile a checked condition for batch evaluation."""
    return CompiledExpr(condition, _bool(condition.root))


def list_keys(conditions: Sequence[CheckedExpr], batch: ColumnBatch) -> dict[str, StrArray]:
    """For each managed list the conditions consult, the distinct non-null values this batch
    will look up: what a caller prefetches before evaluating (pure; no I/O)."""
    return compile_list_keys(conditions)(batch)


ListKeys = Callable[[ColumnBatch], dict[str, StrArray]]


def compile_list_keys(conditions: Sequence[CheckedExpr]) -> ListKeys:
    """:func:`list_keys` with the conditions walked and compiled once (a rule set holds
    it, so a batch pays only for reading its columns)."""
    lookups: list[tuple[str, _Str]] = []
    for condition in conditions:
        for node in _in_list_calls(condition.root):
            name, arg = node.args
            if not (isinstance(name, Literal) and isinstance(name.value, str)):
                continue  # pragma: no cover - the checker requires a literal
            lookups.append((name.value, _str(arg)))

    def keys_of(batch: ColumnBatch) -> dict[str, StrArray]:
        env = _Env(batch.size, batch, None)
        keys: dict[str, list[StrArray]] = {}
        for name, values_of in lookups:
            values, null = values_of(env)
            keys.setdefault(name, []).append(values[~null])
        return {name: np.unique(np.concatenate(parts)) for name, parts in keys.items()}

    return keys_of


def _in_list_calls(root: Expr) -> list[Call]:
    return [n for n in walk(root) if isinstance(n, Call) and n.func == "in_list"]


# -- compilation, one function per result type ---------------------------------------------


def _number_literal(node: Expr) -> float | None:
    """The value of a non-null number literal, else None."""
    if isinstance(node, Literal) and isinstance(node.value, float):
        return node.value
    return None


def _num(node: Expr) -> _Num:
    match node:
        case Literal(value=value):
            constant = np.nan if value is None else float(value)
            return lambda env: np.full(env.size, constant)
        case Name(name=name):
            return _number_column(name)
        case Unary(operand=operand):
            inner = _num(operand)
            return lambda env: kernels.number_function("neg", (inner(env),))
        case Binary(op=op, left=left, right=right):
            lhs, rhs = _num(left), _num(right)
            return lambda env: kernels.arith(op, lhs(env), rhs(env))
        case Call(func=func, args=args):
            parts = tuple(_num(arg) for arg in args)
            return lambda env: kernels.number_function(func, [part(env) for part in parts])
    raise TypeError(f"{type(node).__name__} is not a number expression")  # pragma: no cover


def _number_column(name: str) -> _Num:
    def run(env: _Env) -> FloatArray:
        column = env.batch.column(name, NUMBER)
        if column is None:
            return np.full(env.size, np.nan)
        if not isinstance(column, NumberColumn):  # pragma: no cover - column() checks
            raise RuleDataError(f"column {name!r} is not a number column")
        return column.values

    return run


def _str(node: Expr) -> _Str:
    match node:
        case Literal(value=value):
            # Built from a list, never from a bare str: NumPy turns a str scalar into a
            # fixed-width string first, which drops trailing NULs.
            text = np.array([value if isinstance(value, str) else ""], dtype=STRING_DTYPE)
            is_null = value is None

            def constant(env: _Env) -> StrValue:
                return np.repeat(text, env.size), np.full(env.size, is_null, dtype=np.bool_)

            return constant
        case Name(name=name):
            return _string_column(name)
    raise TypeError(f"{type(node).__name__} is not a string expression")  # pragma: no cover


def _string_column(name: str) -> _Str:
    def run(env: _Env) -> StrValue:
        column = env.batch.column(name, STRING)
        if column is None:
            return kernels.empty_strings(env.size), np.ones(env.size, dtype=np.bool_)
        if not isinstance(column, StringColumn):  # pragma: no cover - column() checks
            raise RuleDataError(f"column {name!r} is not a string column")
        return column.values, column.null

    return run


def _bool_column(name: str) -> _Bool:
    def run(env: _Env) -> Tri:
        column = env.batch.column(name, BOOL)
        if column is None:
            none = np.zeros(env.size, dtype=np.bool_)
            return none, none
        if not isinstance(column, BoolColumn):  # pragma: no cover - column() checks
            raise RuleDataError(f"column {name!r} is not a bool column")
        known = ~column.null
        return column.values & known, ~column.values & known

    return run


def _bool(node: Expr) -> _Bool:
    match node:
        case Literal(value=value):
            is_true, is_false = value is True, value is False

            def constant(env: _Env) -> Tri:
                return np.full(env.size, is_true), np.full(env.size, is_false)

            return constant
        case Name(name=name):
            return _bool_column(name)
        case Unary(operand=operand):
            inner = _bool(operand)
            return lambda env: kernels.kleene_not(inner(env))
        case Logical(op=op, operands=operands):
            parts = tuple(_bool(o) for o in operands)
            combine = kernels.kleene_and if op == "and" else kernels.kleene_or
            return lambda env: combine([part(env) for part in parts])
        case Compare():
            return _compare(node)
        case Membership():
            return _membership(node)
        case Call():
            return _bool_call(node)
    raise TypeError(f"{type(node).__name__} is not a bool expression")  # pragma: no cover


def _compare(node: Compare) -> _Bool:
    op, kind = node.op, node.left.type
    if kind is NUMBER:
        lhs = _num(node.left)
        constant = _number_literal(node.right)
        if constant is not None:
            # 'amount > 500': compare against the scalar, no constant column needed.
            return lambda env: kernels.compare_numbers(op, lhs(env), constant)
        rhs = _num(node.right)
        return lambda env: kernels.compare_numbers(op, lhs(env), rhs(env))
    if kind is STRING:
        slhs = _str(node.left)
        right = node.right
        if isinstance(right, Literal) and isinstance(right.value, str):
            text = np.array([right.value], dtype=STRING_DTYPE)  # broadcasts against the column
            return lambda env: kernels.compare_strings(op, slhs(env), (text, _NOT_NULL))
        srhs = _str(right)
        return lambda env: kernels.compare_strings(op, slhs(env), srhs(env))
    blhs, brhs = _bool(node.left), _bool(node.right)
    return lambda env: kernels.compare_bools(op, blhs(env), brhs(env))


def _membership(node: Membership) -> _Bool:
    negated = node.negated
    if node.operand.type is STRING:
        strings = np.array([str(i) for i in node.items], dtype=STRING_DTYPE)
        operand = _str(node.operand)
        return lambda env: kernels.isin_strings(operand(env), strings, negated)
    numbers = np.array([i for i in node.items if isinstance(i, float)], dtype=np.float64)
    number = _num(node.operand)
    return lambda env: kernels.isin_numbers(number(env), numbers, negated)


def _bool_call(node: Call) -> _Bool:
    if node.func == "is_null":
        (arg,) = node.args
        if arg.type is STRING:
            strings = _str(arg)
            return lambda env: kernels.tri_from_mask(strings(env)[1], np.ones(env.size, bool))
        if arg.type is BOOL:
            bools = _bool(arg)

            def bool_is_null(env: _Env) -> Tri:
                is_true, is_false = bools(env)
                unknown = ~(is_true | is_false)
                return unknown, ~unknown

            return bool_is_null
        numbers = _num(arg)

        def number_is_null(env: _Env) -> Tri:
            unknown = np.isnan(numbers(env))
            return unknown, ~unknown

        return number_is_null
    first, second = node.args
    if node.func == "starts_with":
        strings = _str(first)
        prefix = second.value if isinstance(second, Literal) else None
        if not isinstance(prefix, str):  # pragma: no cover - the checker requires a literal
            raise TypeError("starts_with needs a literal prefix")
        text = np.array([prefix], dtype=STRING_DTYPE)
        return lambda env: kernels.starts_with(strings(env), text)
    # in_list
    list_name = first.value if isinstance(first, Literal) else None
    if not isinstance(list_name, str):  # pragma: no cover - the checker requires a literal
        raise TypeError("in_list needs a literal list name")
    name = list_name
    values = _str(second)

    def in_list(env: _Env) -> Tri:
        strings, null = values(env)
        known = ~null
        found = np.zeros(env.size, dtype=np.bool_)
        found[known] = lookup_membership(env.lists, name, strings[known])
        return found, ~found & known

    return in_list
