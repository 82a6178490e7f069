"""ColumnBatch validation, managed lists and prefetch look-ups."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from rules.lang import (
    NUMBER,
    STRING,
    STRING_DTYPE,
    BoolColumn,
    ColumnBatch,
    InMemoryLists,
    ListLookup,
    ListMembership,
    NumberColumn,
    RuleDataError,
    StringColumn,
    SymbolType,
    bool_column,
    compile_expression,
    interpret,
    list_keys,
    number_column,
    parse_rule,
    required_lists,
    string_column,
)
from rules.lang.batch import BoolArray, StrArray


def test_from_rows_builds_typed_columns(symbols: Mapping[str, SymbolType]) -> None:
    batch = ColumnBatch.from_rows(
        [{"amount": 5, "card_country": "US", "is_prepaid": True}, {"amount": None}], symbols
    )
    amount = batch.columns["amount"]
    assert isinstance(amount, NumberColumn)
    assert amount.values.dtype == np.float64 and np.isnan(amount.values[1])
    country = batch.columns["card_country"]
    assert isinstance(country, StringColumn) and country.values.dtype == STRING_DTYPE
    assert country.null.tolist() == [False, True] and country.values.tolist() == ["US", ""]
    prepaid = batch.columns["is_prepaid"]
    assert isinstance(prepaid, BoolColumn) and prepaid.null.tolist() == [False, True]
    assert batch.row(0)["amount"] == 5.0 and batch.row(1)["card_country"] is None


@pytest.mark.parametrize(
    ("name", "value", "declared"),
    [
        ("amount", "5", "number"),
        ("amount", True, "number"),
        ("card_country", 5, "string"),
        ("is_prepaid", 1, "bool"),
        ("is_prepaid", "true", "bool"),
    ],
)
def test_wrong_value_types_are_refused_without_echoing_the_value(
    symbols: Mapping[str, SymbolType], name: str, value: object, declared: str
) -> None:
    with pytest.raises(RuleDataError) as info:
        ColumnBatch.from_rows([{name: value}], symbols)
    assert f"declared {declared}" in str(info.value)
    assert repr(value) not in str(info.value)
    condition = parse_rule(f"is_null({name})", symbols)
    with pytest.raises(RuleDataError):
        interpret(condition, {name: value})


def test_out_of_range_ints_and_lone_surrogates_are_refused() -> None:
    with pytest.raises(RuleDataError, match="too large"):
        number_column([10**400])
    with pytest.raises(RuleDataError, match="surrogate"):
        string_column(["a\udc80"])


def test_numpy_scalars_are_accepted() -> None:
    assert number_column([np.int64(3), np.float32(0.5)]).values.tolist() == [3.0, 0.5]
    assert bool_column([np.bool_(True), None]).values.tolist() == [True, False]


def test_batch_validates_shapes_and_dtypes() -> None:
    with pytest.raises(RuleDataError, match="shape"):
        ColumnBatch(3, {"x": number_column([1, 2])})
    with pytest.raises(RuleDataError, match="dtype"):
        ColumnBatch(1, {"x": NumberColumn(np.array([1], dtype=np.int64))})  # type: ignore[arg-type]
    with pytest.raises(RuleDataError, match="dtype"):
        ColumnBatch(1, {"s": StringColumn(np.array(["a"], dtype=object), np.zeros(1, bool))})
    with pytest.raises(RuleDataError, match="NumberColumn"):
        ColumnBatch(1, {"x": [1.0]})  # type: ignore[dict-item]
    with pytest.raises(RuleDataError, match="size"):
        ColumnBatch(-1, {})


def test_column_of_the_wrong_kind_is_refused_at_evaluation() -> None:
    condition = parse_rule("x > 1", {"x": NUMBER})
    batch = ColumnBatch(1, {"x": string_column(["1"])})
    with pytest.raises(RuleDataError, match="declares 'x' as number"):
        compile_expression(condition).evaluate(batch)


def test_batch_columns_are_read_only_mapping() -> None:
    batch = ColumnBatch(1, {"x": number_column([1])})
    with pytest.raises(TypeError):
        batch.columns["y"] = number_column([2])  # type: ignore[index]


def test_in_memory_lists() -> None:
    lists = InMemoryLists({"blocked": ["a", "b"], "empty": []})
    assert isinstance(lists, ListMembership)
    values = np.array(["a", "c", "b", ""], dtype=STRING_DTYPE)
    assert lists.contains("blocked", values).tolist() == [True, False, True, False]
    assert lists.contains("empty", values).tolist() == [False] * 4
    with pytest.raises(RuleDataError, match="'missing' was not provided"):
        lists.contains("missing", values)
    with pytest.raises(RuleDataError, match="strings"):
        InMemoryLists({"bad": [1]})  # type: ignore[list-item]
    assert repr(lists) == "InMemoryLists({blocked: 2, empty: 0})"


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 500])
def test_in_memory_lists_answer_the_same_for_small_and_large_batches(size: int) -> None:
    """Small batches use set look-ups, large ones np.isin: the answers agree."""
    members = [f"fp{i}" for i in range(0, 90, 3)]
    values = np.array([f"fp{i % 100}" for i in range(size)], dtype=STRING_DTYPE)
    found = InMemoryLists({"blocked": members}).contains("blocked", values)
    assert found.dtype == np.bool_ and found.shape == (size,)
    assert found.tolist() == [str(v) in set(members) for v in values]


class _WrongShape:
    def contains(self, list_name: str, values: StrArray) -> BoolArray:
        return np.zeros(len(values) + 1, dtype=np.bool_)


def test_a_bad_membership_answer_is_refused(symbols: Mapping[str, SymbolType]) -> None:
    condition = parse_rule("in_list('vip', email)", symbols)
    batch = ColumnBatch.from_rows([{"email": "a"}], symbols)
    with pytest.raises(RuleDataError, match="must return a bool array"):
        compile_expression(condition).evaluate(batch, _WrongShape())
    with pytest.raises(RuleDataError, match="must return a bool array"):
        interpret(condition, {"email": "a"}, _WrongShape())


class _Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def contains(self, list_name: str, values: StrArray) -> BoolArray:
        self.calls.append((list_name, values.tolist()))
        return np.isin(values, np.array(["a"], dtype=STRING_DTYPE))


def test_compiled_evaluator_makes_one_vectorised_lookup_without_nulls(
    symbols: Mapping[str, SymbolType],
) -> None:
    condition = parse_rule("in_list('vip', email)", symbols)
    batch = ColumnBatch.from_rows([{"email": "a"}, {}, {"email": "b"}], symbols)
    recorder = _Recording()
    truth = compile_expression(condition).truth(batch, recorder)
    assert recorder.calls == [("vip", ["a", "b"])]
    assert truth[0].tolist() == [True, False, False] and truth[1].tolist() == [False, False, True]


def test_required_lists_and_prefetch_keys() -> None:
    symbols = {"email": STRING, "ip": STRING, "amount": NUMBER}
    first = parse_rule("in_list('blocked_emails', email) and amount > 1", symbols)
    second = parse_rule("in_list('blocked_ips', ip) or in_list('blocked_emails', 'x@y')", symbols)
    assert required_lists(first, second) == {
        ListLookup("blocked_emails", "email"),
        ListLookup("blocked_ips", "ip"),
        ListLookup("blocked_emails", "'x@y'"),
    }
    assert compile_expression(first).required_lists() == {ListLookup("blocked_emails", "email")}
    batch = ColumnBatch.from_rows(
        [{"email": "b", "ip": "1.2.3.4"}, {"email": "a"}, {"email": "b"}], symbols
    )
    keys = list_keys([first, second], batch)
    assert {name: v.tolist() for name, v in keys.items()} == {
        "blocked_emails": ["a", "b", "x@y"],
        "blocked_ips": ["1.2.3.4"],
    }


def test_required_lists_accepts_compiled_conditions_and_rules() -> None:
    from rules.lang import load_ruleset

    symbols = {"email": STRING}
    condition = parse_rule("in_list('blocked_emails', email)", symbols)
    lookup = ("blocked_emails", "email")
    assert required_lists(compile_expression(condition)) == {lookup}
    ruleset = load_ruleset(
        'version = "1"\n[[rule]]\nid = "b"\nwhen = "in_list(\'blocked_emails\', email)"\n'
        'action = "decline"\npriority = 1\nreason = "b"\ndescription = "Blocked."\n',
        symbols,
    )
    assert required_lists(*ruleset.rules) == ruleset.required_lists() == {lookup}
    (found,) = ruleset.required_lists()
    assert found.list_name == "blocked_emails" and found.value == "email"
