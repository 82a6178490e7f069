"""The reference interpreter: walks the typed tree for one row at a time.

It is the executable definition of the language's semantics (and the naive baseline of the
benchmark); the columnar compiler must agree with it on every input.

Semantics (SQL-like three-valued logic): numbers are float64; arithmetic, comparison,
``abs``/``min``/``max``, ``in`` / ``not in``, ``in_list`` and ``starts_with`` with a null
operand give null; division by zero gives null, and so does any NaN an operation produces
(``inf - inf``); ``not null`` is null; ``and``/``or`` are Kleene logic; ``is_null(x)`` is
never null.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rules.lang.batch import STRING_DTYPE, Value, coerce_value
from rules.lang.checker import CheckedExpr
from rules.lang.errors import RuleDataError
from rules.lang.lists import ListMembership, lookup_membership
from rules.lang.nodes import Binary, Call, Compare, Expr, Literal, Logical, Membership, Name, Unary

__all__ = ["interpret", "interpret_value"]


def interpret(
    condition: CheckedExpr, row: Mapping[str, object], lists: ListMembership | None = None
) -> bool | None:
    """Evaluate a checked rule condition on one row: True, False or None (null).

    A rule *hits* only when this returns True. Keys missing from ``row`` are null; keys the
    rule does not use are ignored.

    Raises:
        RuleDataError: a row value has the wrong type, or lists are needed but missing.
    """
    result = _eval(condition.root, row, lists)
    if result is not None and not isinstance(result, bool):  # pragma: no cover - checked
        raise RuleDataError("the condition did not produce a bool")
    return result


def interpret_value(
    node: Expr, row: Mapping[str, object], lists: ListMembership | None = None
) -> Value:
    """Evaluate any typed sub-expression on one row (numbers come back as float)."""
    return _eval(node, row, lists)


def _number(value: Value) -> float:
    if not isinstance(value, float):  # pragma: no cover - the checker guarantees it
        raise RuleDataError("expected a number")
    return value


def _clean(number: float) -> float | None:
    return None if number != number else number


def _eval(node: Expr, row: Mapping[str, object], lists: ListMembership | None) -> Value:
    match node:
        case Literal(value=value):
            return value
        case Name(name=name, type=kind):
            if kind is None:  # pragma: no cover - the checker types every name
                raise RuleDataError(f"name {name!r} was not type-checked")
            return coerce_value(kind, row.get(name), name)
        case Unary(op="-", operand=operand):
            value = _eval(operand, row, lists)
            return None if value is None else -_number(value)
        case Unary(operand=operand):
            value = _eval(operand, row, lists)
            return None if value is None else not value
        case Binary(op=op, left=left, right=right):
            a = _eval(left, row, lists)
            b = _eval(right, row, lists)
            if a is None or b is None:
                return None
            x, y = _number(a), _number(b)
            if op == "+":
                return _clean(x + y)
            if op == "-":
                return _clean(x - y)
            if op == "*":
                return _clean(x * y)
            return None if y == 0 else _clean(x / y)
        case Compare(op=op, left=left, right=right):
            a = _eval(left, row, lists)
            b = _eval(right, row, lists)
            if a is None or b is None:
                return None
            if op == "==":
                return a == b
            if op == "!=":
                return a != b
            x, y = _number(a), _number(b)
            if op == "<":
                return x < y
            if op == "<=":
                return x <= y
            if op == ">":
                return x > y
            return x >= y
        case Logical(op=op, operands=operands):
            # Kleene logic: a decisive operand (False for and, True for or) wins over null.
            decisive = op == "or"
            unknown = False
            for operand in operands:
                value = _eval(operand, row, lists)
                if value is None:
                    unknown = True
                elif value is decisive:
                    return decisive
            return None if unknown else not decisive
        case Membership(operand=operand, items=items, negated=negated):
            value = _eval(operand, row, lists)
            if value is None:
                return None
            return (value in items) is not negated
        case Call(func=func, args=args):
            return _call(func, args, row, lists)
    raise TypeError(f"not an expression node: {type(node).__name__}")  # pragma: no cover


def _call(
    func: str, args: tuple[Expr, ...], row: Mapping[str, object], lists: ListMembership | None
) -> Value:
    if func == "in_list":
        name, arg = args
        value = _eval(arg, row, lists)
        if value is None:
            return None
        list_name = str(_eval(name, row, lists))
        array = np.array([value], dtype=STRING_DTYPE)
        return bool(lookup_membership(lists, list_name, array)[0])
    if func == "starts_with":
        arg, prefix = args
        value = _eval(arg, row, lists)
        if value is None:
            return None
        return str(value).startswith(str(_eval(prefix, row, lists)))
    if func == "is_null":
        return _eval(args[0], row, lists) is None
    values = [_eval(arg, row, lists) for arg in args]
    if any(v is None for v in values):
        return None
    numbers = [_number(v) for v in values]
    if func == "abs":
        return abs(numbers[0])
    if func == "min":
        return min(numbers)
    return max(numbers)
