"""Checking a rule condition at load time: parse, resolve names, type every node.

:func:`parse_rule` raises the first problem; :func:`diagnose_rule` returns all of them (an
operand already reported as wrong does not cause a second error further up), so a
rule-file check can list them together. The visitor itself is
:class:`rules.lang.typecheck.TypeChecker`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rules.lang.errors import RuleError
from rules.lang.limits import DEFAULT_LIMITS, RuleLimits
from rules.lang.nodes import Call, Expr, Literal, Name, walk
from rules.lang.parser import parse_expression
from rules.lang.symbols import SymbolTable, validate_symbols
from rules.lang.typecheck import TypeChecker

__all__ = ["CheckedExpr", "check_expression", "diagnose_rule", "parse_rule"]


@dataclass(frozen=True, slots=True)
class CheckedExpr:
    """A rule condition that parsed and type-checked: the typed tree the evaluators run.

    Attributes:
        text: the rule text as written.
        root: the typed expression tree; ``root.type`` is BOOL.
        names: the symbols the condition reads.
        lists: the managed lists it consults through ``in_list``.
    """

    text: str
    root: Expr
    names: frozenset[str]
    lists: frozenset[str]


def parse_rule(
    text: str,
    symbols: SymbolTable,
    *,
    lists: Collection[str] | None = None,
    limits: RuleLimits = DEFAULT_LIMITS,
) -> CheckedExpr:
    """Parse and type-check one rule condition.

    Args:
        text: the condition, e.g. ``"amount > 100000 and card_country != ip_country"``.
        symbols: the names a rule may use and their types.
        lists: the managed lists that exist; when given, ``in_list`` of any other name is an
            error. None skips that check.
        limits: length, nesting and list-size limits.

    Raises:
        RuleError: a subclass saying what is wrong and where.
    """
    return check_expression(parse_expression(text, limits=limits), symbols, text=text, lists=lists)


def check_expression(
    tree: Expr,
    symbols: SymbolTable,
    *,
    text: str,
    lists: Collection[str] | None = None,
) -> CheckedExpr:
    """Type-check a parsed tree; raise the first problem found."""
    checked, errors = _check(tree, symbols, text=text, lists=lists)
    if errors:
        raise errors[0]
    if checked is None:  # pragma: no cover - _check returns a tree whenever errors is empty
        raise RuleError("the rule could not be checked", source=text)
    return checked


def diagnose_rule(
    text: str,
    symbols: SymbolTable,
    *,
    lists: Collection[str] | None = None,
    limits: RuleLimits = DEFAULT_LIMITS,
) -> tuple[CheckedExpr | None, list[RuleError]]:
    """Like :func:`parse_rule`, but return every problem instead of raising the first.

    A syntax error stops parsing, so it is always alone; type and name errors are all listed.
    """
    try:
        tree = parse_expression(text, limits=limits)
    except RuleError as error:
        return None, [error]
    return _check(tree, symbols, text=text, lists=lists)


def _check(
    tree: Expr,
    symbols: SymbolTable,
    *,
    text: str,
    lists: Collection[str] | None,
) -> tuple[CheckedExpr | None, list[RuleError]]:
    checker = TypeChecker(text, validate_symbols(symbols), lists)
    typed = checker.check_condition(tree)
    if checker.errors or typed is None:
        return None, checker.errors
    names = frozenset(n.name for n in walk(typed) if isinstance(n, Name))
    used_lists = frozenset(
        _literal_str(n.args[0]) for n in walk(typed) if isinstance(n, Call) and n.func == "in_list"
    )
    return CheckedExpr(text=text, root=typed, names=names, lists=used_lists), []


def _literal_str(node: Expr) -> str:
    if isinstance(node, Literal) and isinstance(node.value, str):
        return node.value
    raise TypeError("in_list without a string literal")  # pragma: no cover - checked before
