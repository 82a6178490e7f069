"""The type checker: names, types, operand blame and suggestions."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from rules.lang import (
    BOOL,
    NUMBER,
    RuleDataError,
    RuleSyntaxError,
    RuleTypeError,
    SymbolType,
    UnknownNameError,
    diagnose_rule,
    parse_rule,
)
from rules.lang.nodes import Literal, walk
from rules.lang.symbols import NULL


def _type_error(text: str, symbols: Mapping[str, SymbolType]) -> RuleTypeError:
    with pytest.raises(RuleTypeError) as info:
        parse_rule(text, symbols)
    return info.value


def test_well_typed_rule_records_names_and_lists(symbols: Mapping[str, SymbolType]) -> None:
    checked = parse_rule(
        "amount > 500 and card_country != ip_country or in_list('blocked_emails', email)",
        symbols,
    )
    assert checked.root.type is BOOL
    assert checked.names == {"amount", "card_country", "ip_country", "email"}
    assert checked.lists == {"blocked_emails"}
    assert all(node.type is not None for node in walk(checked.root))


def test_unknown_name_has_position_and_suggestion(symbols: Mapping[str, SymbolType]) -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_rule("amount > 500 and card_count_h1 > 3", symbols)
    error = info.value
    assert (error.name, error.suggestion, error.kind) == ("card_count_h1", "card_count_1h", "name")
    assert (error.line, error.column) == (1, 18)
    assert "did you mean 'card_count_1h'?" in str(error)
    assert str(error).endswith("^" * len("card_count_h1"))


def test_unknown_name_without_close_match_lists_small_tables() -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_rule("zzz > 1", {"amount": NUMBER})
    assert info.value.suggestion is None
    assert info.value.hint == "known: amount"


@pytest.mark.parametrize(
    ("text", "operator", "side", "operand", "actual", "expected"),
    [
        ("card_country > 'US'", ">", "left", "card_country", "string", ("number",)),
        ("amount > 5 and 1 <= card_country", "<=", "right", "card_country", "string", ("number",)),
        ("card_country == 5", "==", "right", "5", "number", ("string",)),
        ("5 == card_country", "==", "left", "5", "number", ("string",)),
        ("card_country == amount", "==", "right", "amount", "number", ("string",)),
        ("is_prepaid == 'yes'", "==", "right", "'yes'", "string", ("bool",)),
        ("amount + 'x' > 1", "+", "right", "'x'", "string", ("number",)),
        ("-card_country < 1", "-", "operand", "card_country", "string", ("number",)),
        ("not amount", "not", "operand", "amount", "number", ("bool",)),
        ("is_prepaid and amount", "and", "right", "amount", "number", ("bool",)),
        ("amount or is_prepaid", "or", "left", "amount", "number", ("bool",)),
        ("card_country in [1, 2]", "in", "left", "card_country", "string", ("number",)),
        ("amount not in ['1']", "not in", "left", "amount", "number", ("string",)),
        ("is_prepaid in [1]", "in", "left", "is_prepaid", "bool", ("number", "string")),
        (
            "min(amount, card_country) > 1",
            "min",
            "argument 2",
            "card_country",
            "string",
            ("number",),
        ),
        ("abs(is_prepaid) > 1", "abs", "argument 1", "is_prepaid", "bool", ("number",)),
        ("starts_with(amount, '4')", "starts_with", "argument 1", "amount", "number", ("string",)),
        ("in_list('vip', amount)", "in_list", "argument 2", "amount", "number", ("string",)),
        ("amount == null", "==", "right", "null", "null", ("number", "string", "bool")),
        ("null != card_country", "!=", "left", "null", "null", ("number", "string", "bool")),
        ("amount", "condition", "condition", "amount", "number", ("bool",)),
        ("card_country", "condition", "condition", "card_country", "string", ("bool",)),
        ("null", "condition", "condition", "null", "null", ("bool",)),
        ("amount + 1", "condition", "condition", "amount + 1", "number", ("bool",)),
    ],
)
def test_type_errors_name_operator_and_operand(
    symbols: Mapping[str, SymbolType],
    text: str,
    operator: str,
    side: str,
    operand: str,
    actual: str,
    expected: tuple[str, ...],
) -> None:
    error = _type_error(text, symbols)
    assert (error.operator, error.side, error.operand, error.actual, error.expected) == (
        operator,
        side,
        operand,
        actual,
        expected,
    ), str(error)
    assert error.source == text
    assert error.span is not None and text[error.span.start : error.span.end] == operand


def test_type_error_messages_say_what_to_do(symbols: Mapping[str, SymbolType]) -> None:
    ordering = _type_error("card_country > 'US'", symbols)
    assert str(ordering).startswith(
        "line 1, column 1: '>' needs numbers, but its left operand 'card_country' is a string; "
        "ordering operators compare numbers; strings support only == and !="
    )
    mismatch = _type_error("card_country == 5", symbols)
    assert "quote it to compare strings: '5'" in str(mismatch)
    null = _type_error("score == null", symbols)
    assert "write is_null(score)" in str(null)
    assert "write not is_null(score)" in str(_type_error("score != null", symbols))
    condition = _type_error("amount", symbols)
    assert "compare it, e.g. amount > 100000" in str(condition)


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("in_list(email, email)", "argument 1"),
        ("in_list(null, email)", "argument 1"),
        ("starts_with(card_country, ip_country)", "argument 2"),
        ("starts_with(card_country, null)", "argument 2"),
    ],
)
def test_list_names_and_prefixes_must_be_string_literals(
    symbols: Mapping[str, SymbolType], text: str, side: str
) -> None:
    error = _type_error(text, symbols)
    assert error.side == side and error.expected == ("string literal",)
    assert "needs a quoted string" in error.message


def test_known_lists_are_checked_with_a_suggestion(symbols: Mapping[str, SymbolType]) -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_rule("in_list('blocked_email', email)", symbols, lists=["blocked_emails", "vip"])
    assert info.value.kind == "list" and info.value.suggestion == "blocked_emails"
    assert info.value.column == 9
    assert parse_rule("in_list('vip', email)", symbols, lists=["vip"]).lists == {"vip"}


def test_null_literals_take_the_type_of_their_context(symbols: Mapping[str, SymbolType]) -> None:
    checked = parse_rule(
        "null + amount > null or not null or is_null(null) or null in ['a']", symbols
    )
    literal_types = {n.type for n in walk(checked.root) if isinstance(n, Literal)}
    assert NULL not in literal_types


def test_diagnose_rule_lists_every_problem(symbols: Mapping[str, SymbolType]) -> None:
    checked, errors = diagnose_rule("amont > 1 and card_country > 2 and not score", symbols)
    assert checked is None
    assert [type(e) for e in errors] == [UnknownNameError, RuleTypeError, RuleTypeError]
    assert [e.column for e in errors] == [1, 15, 40]


def test_an_error_operand_does_not_cascade(symbols: Mapping[str, SymbolType]) -> None:
    _, errors = diagnose_rule("-(amont + 1) > card_countr", symbols)
    assert [type(e) for e in errors] == [UnknownNameError, UnknownNameError]


def test_diagnose_rule_reports_a_syntax_error_alone(symbols: Mapping[str, SymbolType]) -> None:
    checked, errors = diagnose_rule("amont > ", symbols)
    assert checked is None and len(errors) == 1 and isinstance(errors[0], RuleSyntaxError)


@pytest.mark.parametrize(
    "table",
    [
        {"Amount": NUMBER},
        {"__class__": NUMBER},
        {"and": NUMBER},
        {"min": NUMBER},
        {"lambda": NUMBER},
        {"amount": "number"},
        {"amount": NULL},
        {"": NUMBER},
    ],
)
def test_symbol_tables_are_validated(table: Mapping[str, SymbolType]) -> None:
    with pytest.raises(RuleDataError, match="symbol table"):
        parse_rule("true", table)


@pytest.mark.parametrize("name", ["", "Blocked", "blocked cards", "1st", "a" * 65, "x-y"])
def test_list_names_must_be_list_slugs(symbols: Mapping[str, SymbolType], name: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(f"in_list('{name}', email)", symbols)
    assert "is not a list name" in info.value.message
    assert info.value.column == 9
