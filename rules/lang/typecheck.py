"""The type-checking visitor behind :mod:`rules.lang.checker`.

It resolves names against the symbol table, types every node, gives each ``null`` literal
the type its context expects, and records every problem (an operand already reported as
wrong does not cause a second error further up).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import replace

from rules.lang.errors import RuleError, RuleSyntaxError, RuleTypeError, UnknownNameError, quote
from rules.lang.nodes import Binary, Call, Compare, Expr, Literal, Logical, Membership, Name, Unary
from rules.lang.symbols import BOOL, NULL, NUMBER, STRING, SymbolType, is_list_name

__all__ = ["TypeChecker"]


def _a(kind: SymbolType) -> str:
    return "null" if kind is NULL else f"a {kind}"


_ORDINALS = {"argument 1": "first", "argument 2": "second"}


def _label(op: str) -> str:
    """How an operator is named in a message: ``'>'``, ``unary '-'``, ``min()``."""
    if op.isidentifier() and op not in ("and", "or", "not", "in"):
        return f"{op}()"
    if op == "-u":
        return "unary '-'"
    return repr(op)


def _ordering_hint(node: Expr, kind: SymbolType | None) -> str | None:
    if isinstance(node, Literal) and isinstance(node.value, str):
        digits = node.value.replace(".", "", 1)
        if digits.isascii() and digits.isdigit():
            return f"remove the quotes to compare numbers: {node.value}"
    if kind is STRING:
        return "ordering operators compare numbers; strings support only == and !="
    if kind is BOOL:
        return "ordering operators compare numbers; bools support only == and !="
    return None


def _is_null_literal(node: Expr) -> bool:
    return isinstance(node, Literal) and node.type is NULL


def _as(node: Expr, kind: SymbolType) -> Expr:
    """Give a ``null`` literal the type its context expects; other nodes are unchanged."""
    if isinstance(node, Literal) and node.type is NULL:
        return replace(node, type=kind)
    return node


# A checked sub-tree and its type; None means "already reported as an error".
_Typed = tuple[Expr, SymbolType | None]


class TypeChecker:
    """Types one expression; problems accumulate in :attr:`errors`."""

    def __init__(
        self, text: str, symbols: Mapping[str, SymbolType], lists: Collection[str] | None
    ) -> None:
        self.text = text
        self.symbols = symbols
        self.lists = None if lists is None else frozenset(lists)
        self.errors: list[RuleError] = []

    def check_condition(self, tree: Expr) -> Expr | None:
        """Type ``tree`` as a rule condition (it must be a bool); None if it had errors."""
        typed, kind = self.visit(tree)
        if kind is not None and kind is not BOOL:
            hint = "write a condition that can be true"
            if kind is NUMBER:
                hint = "compare it, e.g. amount > 100000"
            elif kind is STRING:
                hint = "compare it, e.g. card_country == 'US'"
            self.type_error(
                f"the rule condition must be a bool, but {quote(self.source(typed))} is {_a(kind)}",
                operator="condition",
                side="condition",
                node=typed,
                actual=kind,
                expected=(BOOL,),
                hint=hint,
            )
        return None if self.errors else typed

    def source(self, node: Expr) -> str:
        return self.text[node.span.start : node.span.end]

    def type_error(
        self,
        message: str,
        *,
        operator: str,
        side: str,
        node: Expr,
        actual: SymbolType,
        expected: tuple[SymbolType, ...],
        hint: str | None = None,
    ) -> None:
        self.errors.append(
            RuleTypeError(
                message,
                operator=operator,
                side=side,
                operand=self.source(node),
                actual=actual.value,
                expected=tuple(kind.value for kind in expected),
                hint=hint,
                source=self.text,
                span=node.span,
            )
        )

    def need(
        self,
        typed: _Typed,
        wanted: SymbolType,
        *,
        op: str,
        side: str,
        hint: str | None = None,
    ) -> Expr:
        """Require ``wanted`` (or null) of an operand of ``op``; return the operand typed."""
        node, kind = typed
        if kind is None or kind is wanted:
            return node
        if kind is NULL:
            return _as(node, wanted)
        label = _label(op)
        if side == "operand":
            what, where = _a(wanted), "operand"
        elif side.startswith("argument"):
            what, where = f"{wanted}s", f"{_ORDINALS[side]} argument"
        else:
            what, where = f"{wanted}s", f"{side} operand"
        self.type_error(
            f"{label} needs {what}, but its {where} {quote(self.source(node))} is {_a(kind)}",
            operator="-" if op == "-u" else op,
            side=side,
            node=node,
            actual=kind,
            expected=(wanted,),
            hint=hint,
        )
        return node

    def visit(self, node: Expr) -> _Typed:
        match node:
            case Literal():
                return node, node.type
            case Name():
                return self.name(node)
            case Unary():
                return self.unary(node)
            case Binary():
                left = self.need(self.visit(node.left), NUMBER, op=node.op, side="left")
                right = self.need(
                    self.visit(node.right),
                    NUMBER,
                    op=node.op,
                    side="right",
                    hint="strings cannot be added or multiplied" if node.op == "+" else None,
                )
                return replace(node, left=left, right=right, type=NUMBER), NUMBER
            case Compare():
                return self.compare(node)
            case Logical():
                operands = tuple(
                    self.need(
                        self.visit(operand),
                        BOOL,
                        op=node.op,
                        side="left" if i == 0 else "right",
                        hint=self.bool_hint(operand),
                    )
                    for i, operand in enumerate(node.operands)
                )
                return replace(node, operands=operands, type=BOOL), BOOL
            case Membership():
                return self.membership(node)
            case Call():
                return self.call(node)

    def bool_hint(self, node: Expr) -> str | None:
        return f"compare it, e.g. {self.source(node)} > 0" if isinstance(node, Name) else None

    def name(self, node: Name) -> _Typed:
        kind = self.symbols.get(node.name)
        if kind is None:
            close = difflib.get_close_matches(
                node.name, [*self.symbols, "true", "false", "null"], n=1, cutoff=0.6
            )
            self.errors.append(
                UnknownNameError(
                    node.name,
                    kind="name",
                    suggestion=close[0] if close else None,
                    known=tuple(sorted(self.symbols)),
                    source=self.text,
                    span=node.span,
                )
            )
            return node, None
        return replace(node, type=kind), kind

    def unary(self, node: Unary) -> _Typed:
        if node.op == "-":
            operand = self.need(self.visit(node.operand), NUMBER, op="-u", side="operand")
            return replace(node, operand=operand, type=NUMBER), NUMBER
        operand = self.need(
            self.visit(node.operand),
            BOOL,
            op="not",
            side="operand",
            hint=self.bool_hint(node.operand),
        )
        return replace(node, operand=operand, type=BOOL), BOOL

    def compare(self, node: Compare) -> _Typed:
        op = f"{node.op!r}"
        if node.op not in ("==", "!="):
            typed_left, typed_right = self.visit(node.left), self.visit(node.right)
            left = self.need(
                typed_left, NUMBER, op=node.op, side="left", hint=_ordering_hint(*typed_left)
            )
            right = self.need(
                typed_right, NUMBER, op=node.op, side="right", hint=_ordering_hint(*typed_right)
            )
            return replace(node, left=left, right=right, type=BOOL), BOOL
        left, lt = self.visit(node.left)
        right, rt = self.visit(node.right)
        if lt is None or rt is None:
            return replace(node, left=left, right=right, type=BOOL), BOOL
        if lt is NULL or rt is NULL:
            side, null_node, other = ("right", right, left) if rt is NULL else ("left", left, right)
            fix = f"is_null({self.source(other)})" if not _is_null_literal(other) else "is_null(x)"
            self.type_error(
                f"{op} with null is always null, so this comparison is never true "
                f"(its {side} operand is null)",
                operator=node.op,
                side=side,
                node=null_node,
                actual=NULL,
                expected=(NUMBER, STRING, BOOL),
                hint=f"write {fix}" if node.op == "==" else f"write not {fix}",
            )
            return replace(node, left=left, right=right, type=BOOL), BOOL
        if lt is not rt:
            # Blame the literal if there is one: 'card_country == 5' has a wrong 5.
            blame_left = isinstance(left, Literal) and not isinstance(right, Literal)
            side, bad, bad_t, good, good_t = (
                ("left", left, lt, right, rt) if blame_left else ("right", right, rt, left, lt)
            )
            quote_hint: str | None = None
            if good_t is STRING and isinstance(bad, Literal) and bad_t is NUMBER:
                quote_hint = f"quote it to compare strings: '{self.source(bad)}'"
            self.type_error(
                f"{op} compares values of one type, but its {side} operand "
                f"{quote(self.source(bad))} is {_a(bad_t)} while {quote(self.source(good))} "
                f"is {_a(good_t)}",
                operator=node.op,
                side=side,
                node=bad,
                actual=bad_t,
                expected=(good_t,),
                hint=quote_hint,
            )
        return replace(node, left=left, right=right, type=BOOL), BOOL

    def membership(self, node: Membership) -> _Typed:
        op = "'not in'" if node.negated else "'in'"
        operand, kind = self.visit(node.operand)
        wanted = node.item_type
        if kind is NULL:
            operand = _as(operand, wanted or NUMBER)
        elif kind is BOOL:
            self.type_error(
                f"{op} needs a number or string on its left, but {quote(self.source(operand))} "
                "is a bool",
                operator=op.strip("'"),
                side="left",
                node=operand,
                actual=kind,
                expected=(NUMBER, STRING),
                hint="compare bools with == true / == false",
            )
        elif kind is not None and wanted is not None and kind is not wanted:
            self.type_error(
                f"{op} looks for {_a(kind)} in a list of {wanted}s: its left operand "
                f"{quote(self.source(operand))} is {_a(kind)}",
                operator=op.strip("'"),
                side="left",
                node=operand,
                actual=kind,
                expected=(wanted,),
                hint="quote the list items" if kind is STRING else "unquote the list items",
            )
        return replace(node, operand=operand, type=BOOL), BOOL

    def call(self, node: Call) -> _Typed:
        if node.func == "in_list":
            list_name, value = node.args
            self.string_literal(list_name, node, "argument 1", "in_list('blocked_emails', email)")
            if (
                isinstance(list_name, Literal)
                and isinstance(list_name.value, str)
                and not is_list_name(list_name.value)
            ):
                self.errors.append(
                    RuleSyntaxError(
                        f"{quote(list_name.value)} is not a list name",
                        token=self.source(list_name),
                        hint="list names are lower-case letters, digits and '_', starting "
                        "with a letter, at most 64 characters, e.g. 'blocked_cards'",
                        source=self.text,
                        span=list_name.span,
                    )
                )
            elif (
                self.lists is not None
                and isinstance(list_name, Literal)
                and isinstance(list_name.value, str)
                and list_name.value not in self.lists
            ):
                close = difflib.get_close_matches(list_name.value, self.lists, n=1, cutoff=0.6)
                self.errors.append(
                    UnknownNameError(
                        list_name.value,
                        kind="list",
                        suggestion=close[0] if close else None,
                        known=tuple(sorted(self.lists)),
                        source=self.text,
                        span=list_name.span,
                    )
                )
            typed_value = self.need(
                self.visit(value),
                STRING,
                op=node.func,
                side="argument 2",
                hint="managed lists hold strings",
            )
            return replace(node, args=(list_name, typed_value), type=BOOL), BOOL
        if node.func == "starts_with":
            value, prefix = node.args
            typed_value = self.need(self.visit(value), STRING, op=node.func, side="argument 1")
            self.string_literal(prefix, node, "argument 2", "starts_with(card_bin, '4242')")
            return replace(node, args=(typed_value, prefix), type=BOOL), BOOL
        if node.func == "is_null":
            (arg,) = node.args
            typed_arg, _ = self.visit(arg)
            return replace(node, args=(_as(typed_arg, NUMBER),), type=BOOL), BOOL
        # abs, min, max: numbers in, a number out.
        args = tuple(
            self.need(self.visit(arg), NUMBER, op=node.func, side=f"argument {i}")
            for i, arg in enumerate(node.args, start=1)
        )
        return replace(node, args=args, type=NUMBER), NUMBER

    def string_literal(self, node: Expr, call: Call, side: str, example: str) -> None:
        if isinstance(node, Literal) and isinstance(node.value, str):
            return
        kind = node.type if isinstance(node, Literal) else None
        self.errors.append(
            RuleTypeError(
                f"{call.func}() needs a quoted string as its {_ORDINALS[side]} argument, "
                f"found {quote(self.source(node))}",
                operator=call.func,
                side=side,
                operand=self.source(node),
                actual=kind.value if kind is not None else "expression",
                expected=("string literal",),
                hint=f"write e.g. {example}",
                source=self.text,
                span=node.span,
            )
        )
