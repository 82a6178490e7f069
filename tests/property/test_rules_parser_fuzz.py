"""The parser never crashes or hangs: any text either checks or raises a RuleError subclass."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.lang import (
    BOOL,
    NUMBER,
    STRING,
    RuleError,
    RuleLimitError,
    SymbolType,
    diagnose_rule,
    parse_rule,
)
from rules.lang.bench import BENCH_RULES

SYMBOLS: Mapping[str, SymbolType] = {
    "amount": NUMBER,
    "score": NUMBER,
    "card_count_1h": NUMBER,
    "card_country": STRING,
    "ip_country": STRING,
    "email": STRING,
    "is_prepaid": BOOL,
}
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID = [
    "amount > 100000 and card_country != ip_country",
    "in_list('blocked', email) or not is_null(score) and score >= 0.9",
    "card_country in ['US', 'CA', \"it's\"] and -amount / 2 < -(card_count_1h * 3.5)",
    "starts_with(email, 'a\\'b') or abs(min(amount, max(score, 1))) == 0",
    "is_prepaid == (amount > 5) and card_country not in []",
    "not (is_prepaid or null) and amount + null <= 1",
]

TOKENS = [
    "(", ")", "[", "]", ",", "'", '"', "\\", ".", "-", "+", "*", "/", "<", ">", "=", "==",
    "!=", "<=", ">=", "!", " ", "\n", "\t", "and", "or", "not", "in", "true", "false",
    "null", "amount", "card_country", "is_prepaid", "abs(", "min(", "in_list(", "0", "1.5",
    "__", "_", "x", "é", "\x00", "'a'", "[1, 2]", "#", ":", "lambda", "True", "None", "1e5",
]  # fmt: skip


def _check(text: str) -> None:
    try:
        parse_rule(text, SYMBOLS)
    except RuleError as error:
        # Every error can be rendered and points inside (or just past) the text.
        assert str(error)
        if error.span is not None:
            assert 0 <= error.span.start <= len(text)
    _, errors = diagnose_rule(text, SYMBOLS)
    assert all(isinstance(e, RuleError) for e in errors)


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_token_soup(text: str) -> None:
    _check(text)


@FUZZ
@given(
    base=st.sampled_from(VALID),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["delete", "insert", "replace", "duplicate"]),
            st.floats(0, 1),
            st.floats(0, 1),
            st.sampled_from(TOKENS),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_valid_rules(base: str, edits: list[tuple[str, float, float, str]]) -> None:
    text = base
    for kind, at, width, token in edits:
        start = int(at * len(text))
        end = min(len(text), start + 1 + int(width * 8))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "insert":
            text = text[:start] + token + text[start:]
        elif kind == "replace":
            text = text[:start] + token + text[end:]
        else:
            text = text[:start] + text[start:end] * 2 + text[end:]
    _check(text)


def test_the_valid_seeds_are_valid() -> None:
    for text in VALID:
        parse_rule(text, SYMBOLS)
    assert "[[rule]]" in BENCH_RULES


@settings(max_examples=60, deadline=None)
@given(
    opener=st.sampled_from(["(", "not ", "-", "abs(", "[", "min(1, ", "((", "-(", "x in ["]),
    count=st.integers(1, 3000),
    tail=st.sampled_from(["", "amount", "amount > 1", ")" * 10]),
)
def test_deep_nesting_is_a_limit_error_not_a_recursion_error(
    opener: str, count: int, tail: str
) -> None:
    text = opener * count + tail
    with contextlib.suppress(RuleError):
        parse_rule(text, SYMBOLS)


WORST_CASES = [
    "(" * 4096,
    "(" * 64 + "1" * 4000,
    "not " * 1024,
    "-" * 4096,
    "a+" * 2047 + "a",
    "amount > 1 or " * 292 + "true",
    "'" + "\\'" * 2046 + "'",
    "'" + "a" * 4094,
    "x in [" + "1," * 999 + "1]",
    "x in [" + "'a'," * 1000 + "]",
    "amount" * 682,
    "_" * 4096,
    "1" * 4096,
    "1." + "1" * 4094,
    " " * 4095 + "(",
    "\n" * 4096,
    "é" * 4096,
    "min(" * 30 + "1" + ", 1)" * 30 + " > 0",
]


# A hang guard, not a performance claim: pytest-timeout fails the test if the parser
# ever loops or backtracks without bound on these inputs.
@pytest.mark.timeout(30)
@pytest.mark.parametrize("text", WORST_CASES, ids=lambda t: f"{t[:12]!r}x{len(t)}")
def test_worst_case_inputs_terminate(text: str) -> None:
    with contextlib.suppress(RuleError):
        parse_rule(text[:4096], SYMBOLS)


@pytest.mark.timeout(30)
def test_over_length_text_is_refused_before_parsing() -> None:
    with pytest.raises(RuleLimitError):
        parse_rule("(" * 10_000_000, SYMBOLS)
