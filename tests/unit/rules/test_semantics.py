"""Three-valued semantics, checked on both evaluators at once (see the ``evaluate`` fixture)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pytest

from rules.lang import (
    BOOL,
    NUMBER,
    ColumnBatch,
    InMemoryLists,
    RuleDataError,
    SymbolType,
    compile_expression,
    interpret,
    number_column,
    parse_rule,
)

# The ``evaluate`` fixture (conftest.py) runs both evaluators and asserts they agree.
Evaluate = Callable[..., list[bool | None]]

KLEENE = {"t": True, "f": False, "n": None}
TRI_SYMBOLS = {"p": BOOL, "q": BOOL}
TRI_ROWS = [{"p": KLEENE[a], "q": KLEENE[b]} for a in "tfn" for b in "tfn"]


def test_and_or_not_follow_kleene_logic(evaluate: Evaluate) -> None:
    t, f, n = True, False, None
    #          p:  t  t  t  f  f  f  n  n  n
    #          q:  t  f  n  t  f  n  t  f  n
    assert evaluate("p and q", TRI_ROWS, symbols=TRI_SYMBOLS) == [t, f, n, f, f, f, n, f, n]
    assert evaluate("p or q", TRI_ROWS, symbols=TRI_SYMBOLS) == [t, t, t, t, f, n, t, n, n]
    assert evaluate("not p", TRI_ROWS, symbols=TRI_SYMBOLS) == [f, f, f, t, t, t, n, n, n]
    assert evaluate("p == q", TRI_ROWS, symbols=TRI_SYMBOLS) == [t, f, n, f, t, n, n, n, n]
    assert evaluate("p != q", TRI_ROWS, symbols=TRI_SYMBOLS) == [f, t, n, t, f, n, n, n, n]
    assert evaluate("is_null(p)", TRI_ROWS, symbols=TRI_SYMBOLS) == [f, f, f, f, f, f, t, t, t]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount > 1", None),
        ("amount + 1 > 0", None),
        ("-amount < 0", None),
        ("abs(amount) >= 0", None),
        ("min(amount, 1) < 5", None),
        ("max(1, amount) > 0", None),
        ("amount in [1, 2]", None),
        ("amount not in [1, 2]", None),
        ("card_country == 'US'", None),
        ("card_country != 'US'", None),
        ("card_country in ['US']", None),
        ("card_country not in ['US']", None),
        ("starts_with(card_country, '')", None),
        ("in_list('blocked_emails', email)", None),
        ("not is_prepaid", None),
        ("is_null(amount)", True),
        ("is_null(card_country)", True),
        ("not is_null(score)", False),
        ("amount > 1 or true", True),
        ("amount > 1 and false", False),
        ("amount > 1 or false", None),
        ("amount > 1 and true", None),
        ("is_null(amount + 1)", True),
        ("is_null(null)", True),
        ("not null", None),
        ("null or true", True),
        ("null and false", False),
        ("null + 1 > 0", None),
        ("null in [1]", None),
    ],
)
def test_null_propagates(evaluate: Evaluate, text: str, expected: bool | None) -> None:
    assert evaluate(text, [{}]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount / 0 > 1", None),
        ("amount / 0 < 1", None),
        ("is_null(amount / 0)", True),
        ("is_null(0 / 0)", True),
        ("amount / (amount - 10) > 0", None),
        ("amount / -0 == 0", None),
        ("1 / amount == 0.1", True),
        ("amount / 4 == 2.5", True),
    ],
)
def test_division_by_zero_is_null(evaluate: Evaluate, text: str, expected: bool | None) -> None:
    assert evaluate(text, [{"amount": 10}]) == [expected]


def test_nan_input_is_null_and_inf_is_a_number(evaluate: Evaluate) -> None:
    rows = [{"amount": math.nan}, {"amount": math.inf}, {"amount": -math.inf}, {"amount": 1e308}]
    assert evaluate("is_null(amount)", rows) == [True, False, False, False]
    assert evaluate("amount > 1", rows) == [None, True, False, True]
    # inf - inf and 0 * inf are NaN, hence null; overflow is inf, not an error.
    assert evaluate("is_null(amount - amount)", rows) == [True, True, True, False]
    assert evaluate("is_null(amount * 0)", rows) == [True, True, True, False]
    assert evaluate("amount * 10 > 1000000", rows) == [None, True, False, True]


def test_numbers_are_float64_on_both_paths(evaluate: Evaluate) -> None:
    rows = [{"amount": 2**53 + 1}, {"amount": 0.1}]
    assert evaluate("amount == 9007199254740992", rows) == [True, False]
    assert evaluate("amount + 0.2 == 0.30000000000000004", rows) == [False, True]


def test_strings(evaluate: Evaluate) -> None:
    rows = [
        {"card_country": "US", "ip_country": "US", "email": "bad@example.com"},
        {"card_country": "", "ip_country": "", "email": ""},
        {"card_country": "us", "ip_country": "US", "email": "good@example.com"},
        {"card_country": "a\x00", "ip_country": "a", "email": None},
        {"card_country": "it's", "ip_country": "é", "email": "x"},
    ]
    assert evaluate("card_country == ip_country", rows) == [True, True, False, False, False]
    assert evaluate("card_country == 'it\\'s'", rows) == [False, False, False, False, True]
    assert evaluate("card_country in ['US', '']", rows) == [True, True, False, False, False]
    assert evaluate("starts_with(card_country, 'u')", rows) == [False, False, True, False, False]
    assert evaluate("starts_with(ip_country, '')", rows) == [True, True, True, True, True]
    assert evaluate("in_list('blocked_emails', email)", rows) == [True, True, False, None, False]
    assert evaluate("in_list('vip', email)", rows) == [False, False, False, None, False]


def test_numbers_in_lists_compare_by_value(evaluate: Evaluate) -> None:
    rows = [{"amount": 0}, {"amount": -0.0}, {"amount": 1}, {"amount": 2.5}]
    assert evaluate("amount in [-0, 2.5]", rows) == [True, True, False, True]
    assert evaluate("amount not in []", rows) == [True, True, True, True]


def test_rule_hits_only_when_exactly_true(symbols: Mapping[str, SymbolType]) -> None:
    condition = parse_rule("amount > 100", symbols)
    rows = [{"amount": 500}, {"amount": 5}, {}]
    hits = compile_expression(condition).evaluate(ColumnBatch.from_rows(rows, symbols), None)
    assert hits.tolist() == [True, False, False]
    assert [interpret(condition, row) for row in rows] == [True, False, None]


def test_missing_columns_and_keys_are_null(symbols: Mapping[str, SymbolType]) -> None:
    condition = parse_rule(
        "is_null(amount) and is_null(card_country) and is_null(is_prepaid)", symbols
    )
    batch = ColumnBatch(3, {})
    assert compile_expression(condition).evaluate(batch).tolist() == [True, True, True]
    assert interpret(condition, {"unrelated": object()}) is True


def test_empty_batch(symbols: Mapping[str, SymbolType], lists: InMemoryLists) -> None:
    condition = parse_rule("in_list('vip', email) or amount / 0 > 1", symbols)
    batch = ColumnBatch.from_rows([], symbols)
    hits = compile_expression(condition).evaluate(batch, lists)
    assert hits.shape == (0,) and hits.dtype == np.bool_


def test_batch_built_from_arrays_matches_rows() -> None:
    values = np.array([np.nan, 0.0, -1.5, np.inf], dtype=np.float64)
    condition = parse_rule("abs(x) >= 1.5 or x == 0", {"x": NUMBER})
    batch = ColumnBatch(4, {"x": number_column(values)})
    assert compile_expression(condition).evaluate(batch).tolist() == [False, True, True, True]
    assert [interpret(condition, batch.row(i)) for i in range(4)] == [None, True, True, True]


def test_lists_are_required_when_a_rule_uses_them(symbols: Mapping[str, SymbolType]) -> None:
    condition = parse_rule("in_list('vip', email)", symbols)
    with pytest.raises(RuleDataError, match="no ListMembership"):
        interpret(condition, {"email": "a"})
    batch = ColumnBatch.from_rows([{"email": "a"}], symbols)
    with pytest.raises(RuleDataError, match="no ListMembership"):
        compile_expression(condition).evaluate(batch)
    # No look-up happens for null values, so no lists are needed for an all-null batch.
    assert interpret(condition, {"email": None}) is None
