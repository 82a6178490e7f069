"""The parser: what it accepts, how it groups, and where its errors point."""

from __future__ import annotations

import pytest

from rules.lang import RuleLimitError, RuleLimits, RuleSyntaxError, UnknownNameError, unparse
from rules.lang import parse_expression as parse
from rules.lang.nodes import Binary, Call, Compare, Literal, Logical, Membership, Name, Unary
from rules.lang.symbols import BOOL, NULL, NUMBER, STRING


def test_precedence_or_and_not_comparison_arithmetic() -> None:
    tree = parse("not a > 1 + 2 * -3 or b and c")
    assert isinstance(tree, Logical) and tree.op == "or"
    negation, conjunction = tree.operands
    assert isinstance(negation, Unary) and negation.op == "not"
    comparison = negation.operand
    assert isinstance(comparison, Compare) and comparison.op == ">"
    assert unparse(comparison.right) == "1 + 2 * -3"
    assert isinstance(conjunction, Logical) and conjunction.op == "and"


def test_arithmetic_is_left_associative() -> None:
    tree = parse("a - b - c / d / e")
    assert isinstance(tree, Binary) and tree.op == "-"
    assert isinstance(tree.left, Binary) and tree.left.op == "-"
    assert isinstance(tree.right, Binary) and tree.right.op == "/"
    assert isinstance(tree.right.left, Binary)


def test_and_or_chains_are_flattened() -> None:
    tree = parse(" or ".join(f"x{i}" for i in range(200)))
    assert isinstance(tree, Logical) and len(tree.operands) == 200


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("42", 42.0, NUMBER),
        ("0.5", 0.5, NUMBER),
        ("007.250", 7.25, NUMBER),
        ("'US'", "US", STRING),
        ('"US"', "US", STRING),
        (r"'it\'s'", "it's", STRING),
        (r'"say \"hi\""', 'say "hi"', STRING),
        (r"'back\\slash'", "back\\slash", STRING),
        ("''", "", STRING),
        ("'é中'", "é中", STRING),
        ("true", True, BOOL),
        ("false", False, BOOL),
        ("null", None, NULL),
    ],
)
def test_literals(text: str, value: object, kind: object) -> None:
    tree = parse(text)
    assert isinstance(tree, Literal)
    assert tree.value == value and tree.type is kind


def test_lists_allow_negatives_trailing_comma_and_empty() -> None:
    tree = parse("x in [1, -2.5, 3,]")
    assert isinstance(tree, Membership)
    assert tree.items == (1.0, -2.5, 3.0) and tree.item_type is NUMBER and not tree.negated
    empty = parse("x not in []")
    assert isinstance(empty, Membership) and empty.items == () and empty.negated


def test_function_calls_and_spans() -> None:
    tree = parse("in_list('blocked', email)")
    assert isinstance(tree, Call) and tree.func == "in_list"
    assert tree.span.start == 0 and tree.span.end == len("in_list('blocked', email)")
    name = tree.args[1]
    assert isinstance(name, Name) and (name.span.start, name.span.end) == (19, 24)


def test_whitespace_and_newlines_do_not_matter() -> None:
    assert parse("a>1 and\n\t( b<2 )") == parse("a > 1 and b < 2")


@pytest.mark.parametrize(
    "text",
    [
        "a - (b - c) * -(-d) / 2 > 1",
        "(a or b) and not (c and d) or e",
        "x in [1, -2.5, 1000000000000000000000000]",
        r"s not in ['it\'s', '', '\\']",
        "(a < b) == (c < d)",
        "min(a, max(b, -1)) <= abs(c - 0.1)",
        "is_null(null)",
    ],
)
def test_unparse_round_trips(text: str) -> None:
    tree = parse(text)
    assert parse(unparse(tree)) == tree


def _syntax_error(text: str) -> RuleSyntaxError:
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "token", "hint_part"),
    [
        ("amount = 5", 8, "=", "'=='"),
        ("a && b", 3, "&&", "'and'"),
        ("a || b", 3, "||", "'or'"),
        ("a ! b", 3, "!", "'!='"),
        ("card.country == 'US'", 5, ".", "no attribute access"),
        ("x > .5", 5, ".", "0.5"),
        ("x > 1.", 5, "1.", "digits after the point"),
        ("x > 1e5", 5, "1e5", "plain digits"),
        ("x > 1.2.3", 5, "1.2.3", "at most one decimal point"),
        ("True", 1, "True", "'true'"),
        ("x == None", 6, "None", "'null'"),
        ("x is null", 3, "is", "is_null"),
        ("lambda: 1", 1, "lambda", "no statements"),
        ("x == 'abc", 6, "'abc", "close it"),
        (r"x == 'a\n'", 8, r"\n", "escapes"),
        ("x[0] > 1", 2, "[", "no subscripts"),
        ("a b", 3, "b", "operator is missing"),
        ("(a > 1", 7, "end of rule", None),
        ("a > 1)", 6, ")", "no matching"),
        ("a < b < c", 7, "<", "chained"),
        ("a == b in [1]", 8, "in", "chained"),
        ("x in y", 6, "y", "list literal"),
        ("x in [1, 'a']", 10, "'a'", "only strings or only numbers"),
        ("x in [y]", 7, "y", "literals"),
        ("x in [null]", 7, "null", "is_null"),
        ("[1] == x", 1, "[", "only follow 'in'"),
        ("a not b", 3, "not", "not in"),
        ("a ** 2", 4, "*", "no power operator"),
        ("abs > 1", 1, "abs", "must be called"),
        ("min(a) > 1", 1, "min", "min(a, b)"),
        ("min(a, b, c) > 1", 1, "min", "min(a, b)"),
        ("", 1, "end of rule", "write a condition"),
        ("   ", 4, "end of rule", "write a condition"),
        ("a >", 4, "end of rule", "stops too early"),
        ("__class__", 1, "__class__", "dunder"),
        ("x # comment", 3, "#", "description"),
        ("x\x00", 2, "\x00", None),
    ],
)
def test_syntax_errors_point_at_the_token(
    text: str, column: int, token: str, hint_part: str | None
) -> None:
    error = _syntax_error(text)
    assert error.line == 1
    assert error.column == column, str(error)
    assert error.token == token
    if hint_part is not None:
        assert hint_part in str(error), str(error)


def test_error_position_on_a_later_line_and_caret_excerpt() -> None:
    error = _syntax_error("amount > 100\n  and card_country = 'US'")
    assert (error.line, error.column, error.offset) == (2, 20, 32)
    rendered = str(error)
    assert rendered.startswith("line 2, column 20: unexpected character '='")
    assert rendered.endswith("    and card_country = 'US'\n                     ^")


def test_unknown_function_is_rejected_by_the_grammar_with_a_suggestion() -> None:
    with pytest.raises(UnknownNameError) as info:
        parse("start_with(card_bin, '4')")
    assert info.value.kind == "function"
    assert info.value.suggestion == "starts_with"
    assert info.value.column == 1


def test_length_limit() -> None:
    limits = RuleLimits(max_length=20)
    with pytest.raises(RuleLimitError) as info:
        parse("amount > 1 and amount < 100000", limits=limits)
    assert info.value.limit == "max_length" and info.value.actual == 30
    assert info.value.column == 21


@pytest.mark.parametrize(
    "text",
    [
        "(" * 65 + "a" + ")" * 65,
        "not " * 65 + "a",
        "-" * 65 + "a > 1",
        "abs(" * 65 + "a" + ")" * 65 + " > 1",
        " + ".join(["a"] * 66) + " > 1",
    ],
)
def test_depth_limit(text: str) -> None:
    with pytest.raises(RuleLimitError) as info:
        parse(text)
    assert info.value.limit == "max_depth" and info.value.maximum == 64


@pytest.mark.parametrize(
    "text",
    ["(" * 5000 + "a", "not " * 1000 + "a", "-" * 4000, "abs(" * 1000, "[" * 4000],
)
def test_pathological_nesting_never_reaches_recursion_error(text: str) -> None:
    with pytest.raises((RuleLimitError, RuleSyntaxError)):
        parse(text)


def test_nesting_at_the_limit_is_fine() -> None:
    assert parse("(" * 63 + "a" + ")" * 63) == Name("a", parse("a").span)


def test_list_size_limit() -> None:
    items = ", ".join(str(i) for i in range(11))
    with pytest.raises(RuleLimitError) as info:
        parse(f"x in [{items}]", limits=RuleLimits(max_list_items=10))
    assert info.value.limit == "max_list_items"
    assert info.value.column == len("x in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ") + 1


def test_limits_validate_themselves() -> None:
    from rules.lang import RuleDataError

    with pytest.raises(RuleDataError, match="max_depth"):
        RuleLimits(max_depth=1000)
    with pytest.raises(RuleDataError, match="max_length"):
        RuleLimits(max_length=0)
