"""Whatever text arrives, nothing but whitelisted nodes, names and functions comes out, and
parsing and checking never reach imports, files or dynamic code."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import NoReturn
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.lang import (
    BOOL,
    FUNCTIONS,
    NUMBER,
    STRING,
    InMemoryLists,
    RuleError,
    SymbolType,
    interpret,
    parse_rule,
)
from rules.lang.nodes import Binary, Call, Compare, Literal, Logical, Membership, Name, Unary, walk

SYMBOLS: Mapping[str, SymbolType] = {
    "amount": NUMBER,
    "card_country": STRING,
    "email": STRING,
    "is_prepaid": BOOL,
}
NODE_TYPES = (Literal, Name, Unary, Binary, Compare, Logical, Membership, Call)
VALID = [
    "amount > 1 and card_country == 'US'",
    "in_list('blocked', email) or is_prepaid",
    "starts_with(email, 'a') and abs(amount) < 5",
]
FRAGMENTS = [
    "__import__('os')", ".__class__", "().__class__", "[0]", "open('f')", "eval('1')",
    "exec('x')", "getattr(amount, 'real')", ".b", "lambda: 1", "a=1", "x: 1", "import os",
    "__builtins__", "globals()", "os.system('id')", "amount.real", "(1).__add__(2)",
    "email[0]", "{}", "type(amount)", "vars()", "compile('1', '', 'eval')",
]  # fmt: skip


def _forbidden(*_: object, **__: object) -> NoReturn:
    raise AssertionError("the rules language reached a forbidden builtin")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(VALID),
    fragment=st.sampled_from(FRAGMENTS),
    at=st.floats(0, 1),
    row=st.fixed_dictionaries(
        {},
        optional={
            "amount": st.one_of(st.none(), st.floats()),
            "card_country": st.one_of(st.none(), st.text(max_size=3)),
            "email": st.one_of(st.none(), st.text(max_size=3)),
            "is_prepaid": st.one_of(st.none(), st.booleans()),
        },
    ),
)
def test_injected_fragments_never_escape(
    base: str, fragment: str, at: float, row: dict[str, object]
) -> None:
    position = int(at * len(base))
    text = base[:position] + fragment + base[position:]
    with (
        mock.patch.object(builtins, "__import__", _forbidden),
        mock.patch.object(builtins, "open", _forbidden),
        mock.patch.object(builtins, "eval", _forbidden),
        mock.patch.object(builtins, "exec", _forbidden),
        mock.patch.object(builtins, "compile", _forbidden),
    ):
        try:
            checked = parse_rule(text, SYMBOLS, lists=["blocked"])
        except RuleError:
            return
        # Accepted only when the fragment landed inside a string literal: check the tree.
        for node in walk(checked.root):
            assert isinstance(node, NODE_TYPES)
            if isinstance(node, Name):
                assert node.name in SYMBOLS
            if isinstance(node, Call):
                assert node.func in FUNCTIONS
        interpret(checked, row, InMemoryLists({"blocked": ["x"]}))
    assert "'" in text or '"' in text
