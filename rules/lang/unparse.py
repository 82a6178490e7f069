"""Canonical text of an expression tree: the parser reads it back to an equal tree.

Used for content hashes (whitespace and redundant parentheses do not change a rule's
identity), for the expressions named by :func:`rules.lang.lists.required_lists`, and by
the round-trip property tests.
"""

from __future__ import annotations

from decimal import Decimal

from rules.lang.nodes import Binary, Call, Compare, Expr, Literal, Logical, Membership, Name, Unary

__all__ = ["format_number", "format_string", "unparse"]

# Binding strength, weakest first; matches the parser's precedence levels.
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _ATOM = range(1, 9)


def format_number(value: float) -> str:
    """A number literal the lexer accepts (no exponent) that reads back to the same float.

    >>> format_number(100000.0), format_number(0.1), format_number(1e22)
    ('100000', '0.1', '10000000000000000000000')
    """
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} has no literal form")
    text = format(Decimal(repr(abs(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if value < 0 or (value == 0 and str(value).startswith("-")) else "") + text


def format_string(value: str) -> str:
    """A single-quoted string literal.

    >>> print(format_string("it's"))
    'it\\'s'
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def unparse(node: Expr) -> str:
    """Canonical text for ``node``, with the fewest parentheses that keep its meaning."""
    return _text(node)[0]


def _wrap(part: tuple[str, int], minimum: int) -> str:
    text, level = part
    return text if level >= minimum else f"({text})"


def _text(node: Expr) -> tuple[str, int]:
    match node:
        case Literal(value=None):
            return "null", _ATOM
        case Literal(value=bool(flag)):
            return ("true" if flag else "false"), _ATOM
        case Literal(value=str(text)):
            return format_string(text), _ATOM
        case Literal(value=float(number)):
            return format_number(number), _ATOM
        case Name(name=name):
            return name, _ATOM
        case Unary(op="-", operand=operand):
            # '--x' would read back the same, but '-(-x)' is clearer.
            inner = _text(operand)
            return "-" + _wrap(inner, _ATOM if inner[0].startswith("-") else _NEG), _NEG
        case Unary(operand=operand):
            return "not " + _wrap(_text(operand), _NOT), _NOT
        case Binary(op=op, left=left, right=right):
            level = _ADD if op in "+-" else _MUL
            # Left-associative and floats are not associative: the right side needs
            # parentheses at equal strength.
            return f"{_wrap(_text(left), level)} {op} {_wrap(_text(right), level + 1)}", level
        case Compare(op=op, left=left, right=right):
            return f"{_wrap(_text(left), _ADD)} {op} {_wrap(_text(right), _ADD)}", _CMP
        case Logical(op=op, operands=operands):
            level = _OR if op == "or" else _AND
            return f" {op} ".join(_wrap(_text(o), level + 1) for o in operands), level
        case Membership(operand=operand, items=items, negated=negated):
            listed = ", ".join(
                format_string(i) if isinstance(i, str) else format_number(i) for i in items
            )
            keyword = "not in" if negated else "in"
            return f"{_wrap(_text(operand), _ADD)} {keyword} [{listed}]", _CMP
        case Call(func=func, args=args):
            return f"{func}({', '.join(_text(a)[0] for a in args)})", _ATOM
    raise TypeError(f"not an expression node: {type(node).__name__}")  # pragma: no cover
