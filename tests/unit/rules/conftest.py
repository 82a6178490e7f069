"""Factories for the rules-language tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest

from rules.lang import (
    BOOL,
    NUMBER,
    STRING,
    ColumnBatch,
    InMemoryLists,
    ListMembership,
    SymbolType,
    compile_expression,
    interpret,
    parse_rule,
)

SYMBOLS: Mapping[str, SymbolType] = {
    "amount": NUMBER,
    "card_country": STRING,
    "ip_country": STRING,
    "avs_result": STRING,
    "card_count_1h": NUMBER,
    "score": NUMBER,
    "is_prepaid": BOOL,
    "email": STRING,
}

Evaluate = Callable[..., list[bool | None]]


@pytest.fixture
def symbols() -> Mapping[str, SymbolType]:
    return SYMBOLS


@pytest.fixture
def lists() -> InMemoryLists:
    return InMemoryLists({"blocked_emails": ["bad@example.com", ""], "vip": []})


@pytest.fixture
def evaluate(lists: InMemoryLists) -> Evaluate:
    """Evaluate a rule on rows with both evaluators, assert they agree, return the results."""

    def run(
        text: str,
        rows: Sequence[Mapping[str, object]],
        *,
        symbols: Mapping[str, SymbolType] = SYMBOLS,
        membership: ListMembership | None = None,
    ) -> list[bool | None]:
        source = membership if membership is not None else lists
        condition = parse_rule(text, symbols)
        expected = [interpret(condition, row, source) for row in rows]
        is_true, is_false = compile_expression(condition).truth(
            ColumnBatch.from_rows(rows, symbols), source
        )
        got = [True if t else False if f else None for t, f in zip(is_true, is_false, strict=True)]
        assert got == expected, text
        assert not np.any(is_true & is_false)
        return expected

    return run
