"""The expression tree shared by the checker, the interpreter and the columnar compiler.

The parser builds the tree with ``type=None`` on every node but literals; the checker
returns a copy with every ``type`` filled in (and every ``null`` literal typed by its
context, so no ``NULL`` type survives checking). Spans never take part in equality, so two
trees parsed from differently spaced text compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from rules.lang.source import Span
from rules.lang.symbols import SymbolType

__all__ = [
    "ArithOp",
    "Binary",
    "Call",
    "CompareOp",
    "Expr",
    "Literal",
    "Logical",
    "Membership",
    "Name",
    "Unary",
    "children",
    "depth",
    "walk",
]

ArithOp = TypingLiteral["+", "-", "*", "/"]
CompareOp = TypingLiteral["==", "!=", "<", "<=", ">", ">="]
LiteralValue = float | str | bool | None


@dataclass(frozen=True, slots=True)
class Literal:
    """A number (always a float), string, ``true``/``false`` or ``null``."""

    value: LiteralValue
    type: SymbolType
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A symbol looked up in the caller's symbol table."""

    name: str
    span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``not x``."""

    op: TypingLiteral["-", "not"]
    operand: Expr
    span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic: ``+ - * /`` on numbers."""

    op: ArithOp
    left: Expr
    right: Expr
    span: Span = field(compare=False)
    op_span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Compare:
    """``== != < <= > >=``; never chained."""

    op: CompareOp
    left: Expr
    right: Expr
    span: Span = field(compare=False)
    op_span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Logical:
    """``a and b and c`` or ``a or b or c``, flattened so long chains stay shallow."""

    op: TypingLiteral["and", "or"]
    operands: tuple[Expr, ...]
    span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    """``x in [..]`` / ``x not in [..]`` against a list literal.

    ``item_type`` is NUMBER or STRING, or None for the empty list ``[]``.
    """

    operand: Expr
    items: tuple[float | str, ...]
    item_type: SymbolType | None
    negated: bool
    span: Span = field(compare=False)
    op_span: Span = field(compare=False)
    type: SymbolType | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of the whitelisted functions in :data:`rules.lang.symbols.FUNCTIONS`."""

    func: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)
    name_span: Span = field(compare=False)
    type: SymbolType | None = None


Expr = Literal | Name | Unary | Binary | Compare | Logical | Membership | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    match node:
        case Unary(operand=operand) | Membership(operand=operand):
            return (operand,)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case Logical(operands=operands):
            return operands
        case Call(args=args):
            return args
        case _:
            return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, pre-order, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Expr) -> tuple[int, Expr]:
    """The tree's depth (a leaf is 1) and its deepest node, computed without recursion."""
    best = (1, node)
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        if level > best[0]:
            best = (level, current)
        stack.extend((child, level + 1) for child in children(current))
    return best
