"""Rule files: loading, ordering, hashing and the collect-everything check."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from rules.lang import (
    ColumnBatch,
    InMemoryLists,
    RuleFileError,
    RuleLimitError,
    RuleLimits,
    RuleSet,
    RuleSetError,
    RuleSyntaxError,
    RuleTypeError,
    SymbolType,
    UnknownNameError,
    check_ruleset,
    load_ruleset,
    run_check,
)


def rule_file(*rules: str, version: str | None = '"2024-06-01.1"') -> str:
    head = f"version = {version}\n" if version is not None else ""
    return head + "".join(f"\n[[rule]]\n{body.strip()}\n" for body in rules)


def rule(
    rule_id: str = "high_amount",
    when: str = "amount > 100000",
    *,
    action: str = "review",
    priority: int = 10,
    extra: str = "",
) -> str:
    return (
        f'id = "{rule_id}"\nwhen = "{when}"\naction = "{action}"\npriority = {priority}\n'
        f'reason = "{rule_id}"\ndescription = "Test rule {rule_id}."\n{extra}'
    )


GOOD = rule_file(
    rule("low", "amount > 10", priority=1),
    rule("blocked", "in_list('blocked_emails', email)", action="decline", priority=100),
    rule("mid_a", "card_country != ip_country", action="challenge", priority=50),
    rule("mid_b", "is_null(score)", priority=50, extra="shadow = true"),
)


def test_load_sorts_by_priority_keeping_file_order_for_ties(
    symbols: Mapping[str, SymbolType],
) -> None:
    ruleset = load_ruleset(GOOD, symbols)
    assert ruleset.version == "2024-06-01.1"
    assert [r.id for r in ruleset.rules] == ["blocked", "mid_a", "mid_b", "low"]
    assert ruleset.rule("mid_b").shadow and not ruleset.rule("low").shadow
    assert ruleset.rule("blocked").action == "decline"
    assert ruleset.rule("low").when == "amount > 10"
    assert len(ruleset) == 4
    with pytest.raises(KeyError):
        ruleset.rule("nope")


def test_ruleset_is_frozen(symbols: Mapping[str, SymbolType]) -> None:
    ruleset = load_ruleset(GOOD, symbols)
    with pytest.raises(AttributeError):
        ruleset.version = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ruleset.rules[0].priority = 5  # type: ignore[misc]


def test_evaluate_returns_a_hit_array_per_rule(
    symbols: Mapping[str, SymbolType], lists: InMemoryLists
) -> None:
    ruleset = load_ruleset(GOOD, symbols)
    batch = ColumnBatch.from_rows(
        [
            {"amount": 50, "email": "bad@example.com", "card_country": "US", "ip_country": "US"},
            {"amount": 5, "score": 0.5, "card_country": "US", "ip_country": "DE"},
        ],
        symbols,
    )
    hits = ruleset.evaluate(batch, lists)
    assert list(hits) == ["blocked", "mid_a", "mid_b", "low"]
    assert {k: v.tolist() for k, v in hits.items()} == {
        "blocked": [True, False],
        "mid_a": [False, True],
        "mid_b": [True, False],
        "low": [True, False],
    }
    assert all(v.dtype == np.bool_ for v in hits.values())
    assert {lookup.list_name for lookup in ruleset.required_lists()} == {"blocked_emails"}
    assert ruleset.list_keys(batch)["blocked_emails"].tolist() == ["bad@example.com"]


def test_content_hash_ignores_formatting_but_not_meaning(
    symbols: Mapping[str, SymbolType],
) -> None:
    base = load_ruleset(rule_file(rule(when="amount > 100000")), symbols)
    spaced = load_ruleset("# a comment\n" + rule_file(rule(when="( amount>100000 )")), symbols)
    changed = load_ruleset(rule_file(rule(when="amount >= 100000")), symbols)
    bumped = load_ruleset(rule_file(rule(), version='"2024-06-02"'), symbols)
    assert base.content_hash.startswith("sha256:") and len(base.content_hash) == 71
    assert base.content_hash == spaced.content_hash
    assert base.content_hash != changed.content_hash
    assert base.content_hash != bumped.content_hash


def test_path_and_empty_rule_list(tmp_path: Path, symbols: Mapping[str, SymbolType]) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_ruleset(path, symbols).content_hash == load_ruleset(GOOD, symbols).content_hash
    assert len(load_ruleset('version = "empty"', symbols)) == 0


def _only(diagnostics: list[object]) -> object:
    assert len(diagnostics) == 1, [str(d) for d in diagnostics]
    return diagnostics[0]


def test_expression_errors_name_the_rule_and_the_position_inside_when(
    symbols: Mapping[str, SymbolType],
) -> None:
    text = rule_file(rule("velocity", "amount > 500 and card_count_h1 > 3"))
    diagnostic = check_ruleset(text, symbols)[0]
    assert (diagnostic.code, diagnostic.rule_id, diagnostic.rule_index) == (
        "unknown_name",
        "velocity",
        1,
    )
    assert (diagnostic.field, diagnostic.line, diagnostic.column) == ("when", 1, 18)
    assert str(diagnostic).startswith(
        "rule 'velocity' (when), line 1, column 18: unknown name 'card_count_h1'; "
        "did you mean 'card_count_1h'?"
    )
    with pytest.raises(RuleSetError) as info:
        load_ruleset(text, symbols)
    assert isinstance(info.value.diagnostics[0].error, UnknownNameError)
    assert "the rule file has 1 problem" in str(info.value)


def test_check_collects_every_problem(symbols: Mapping[str, SymbolType]) -> None:
    text = rule_file(
        rule("a", "amont > 1 and card_country > 'US'"),
        rule("b", "amount >", action="block"),
        rule("a", "amount > 1"),
        'id = "Bad Id"\nwhen = "true"\naction = "approve"\npriority = true\n'
        'reason = "r"\ndescription = ""\nshadow = "yes"\nactoin = "x"',
        version=None,
    )
    problems = [(d.rule_id, d.rule_index, d.field, d.code) for d in check_ruleset(text, symbols)]
    assert problems == [
        (None, None, None, "file"),  # no version
        ("a", 1, "when", "unknown_name"),
        ("a", 1, "when", "type"),  # card_country > ...
        ("a", 1, "when", "type"),  # ... > 'US'
        ("b", 2, "action", "file"),
        ("b", 2, "when", "syntax"),
        ("a", 3, "id", "file"),  # duplicate
        (None, 4, "actoin", "file"),
        (None, 4, "id", "file"),
        (None, 4, "priority", "file"),
        (None, 4, "description", "file"),
        (None, 4, "shadow", "file"),
    ]
    with pytest.raises(RuleSetError) as info:
        load_ruleset(text, symbols)
    assert len(info.value.diagnostics) == len(problems)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (rule_file(rule(action="block")), "action 'block' is not one of", "pick one"),
        (rule_file(rule(action="decilne")), "action 'decilne'", "did you mean 'decline'?"),
        (rule_file(rule(extra="prio = 1")), "unknown key 'prio'", "did you mean 'priority'?"),
        (rule_file(rule(), rule()), "duplicate rule id 'high_amount' (rule #1", "own id"),
        (rule_file(rule(priority=10**7)), "priority must be an integer", "priority = 100"),
        (rule_file(rule(extra="shadow = 1")), "shadow must be true or false", None),
        (rule_file(rule("x" * 65)), "id must be a slug", 'id = "'),
        (rule_file(rule().replace('reason = "high_amount"', 'reason = "High"')), "reason", None),
        (rule_file(rule().replace('when = "amount > 100000"', "when = 5")), "when must be", None),
        (rule_file(rule().replace("description", "#")), "missing key 'description'", None),
        (rule_file(rule(), version="1"), "version must be a non-empty", "version = "),
        (rule_file(rule(), version='""'), "version must be a non-empty", None),
        (rule_file(rule(), version=None), "the rule file has no version", "version = "),
        ('version = "1"\nverison = "2"', "unknown key 'verison'", None),
        ('version = "1"\n[rule]\nid = "x"', "'rule' is a single table", "[[rule]]"),
        ('version = "1"\nrule = 5', "'rule' must be an array of tables", None),
        ('version = "1"\nrule = [5]', "a rule must be a table", None),
        ("version = ", "not valid TOML", "fix the TOML syntax"),
        ("rules.toml", "not valid TOML", "pass a pathlib.Path"),
    ],
)
def test_file_errors(
    symbols: Mapping[str, SymbolType], text: str, message: str, hint: str | None
) -> None:
    diagnostics = check_ruleset(text, symbols)
    assert diagnostics, text
    rendered = "\n".join(str(d) for d in diagnostics)
    assert message in rendered
    if hint is not None:
        assert hint in rendered


def test_errors_name_the_rule_id(symbols: Mapping[str, SymbolType]) -> None:
    diagnostic = _only(check_ruleset(rule_file(rule("risky", action="block")), symbols))
    assert str(diagnostic).startswith("rule 'risky' (action): action 'block'")
    unnamed = check_ruleset(rule_file(rule().replace('id = "high_amount"\n', "")), symbols)
    assert str(unnamed[0]).startswith("rule #1 (id): missing key 'id'")


def test_unreadable_files(tmp_path: Path, symbols: Mapping[str, SymbolType]) -> None:
    missing = check_ruleset(tmp_path / "nope.toml", symbols)
    assert "cannot read rule file" in str(missing[0])
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"version = '\xff'")
    assert "not UTF-8" in str(check_ruleset(binary, symbols)[0])


def test_limits_apply_to_files(symbols: Mapping[str, SymbolType]) -> None:
    text = rule_file(rule("a"), rule("b"), rule("c"))
    diagnostics = check_ruleset(text, symbols, limits=RuleLimits(max_rules=2))
    assert isinstance(diagnostics[0].error, RuleLimitError)
    long_rule = rule_file(rule(when="amount > 1 and amount > 2"))
    diagnostic = _only(check_ruleset(long_rule, symbols, limits=RuleLimits(max_length=10)))
    assert isinstance(diagnostic.error, RuleLimitError)  # type: ignore[attr-defined]


def test_known_lists_are_checked(symbols: Mapping[str, SymbolType]) -> None:
    text = rule_file(rule(when="in_list('blocked_email', email)"))
    diagnostic = _only(check_ruleset(text, symbols, lists={"blocked_emails"}))
    assert "did you mean 'blocked_emails'?" in str(diagnostic)


def test_multiline_when_positions(symbols: Mapping[str, SymbolType]) -> None:
    text = (
        'version = "1"\n[[rule]]\nid = "m"\naction = "review"\npriority = 1\nreason = "m"\n'
        'description = "Multi-line."\nwhen = """\namount > 1\n  and card_country > 2"""\n'
    )
    diagnostic = _only(check_ruleset(text, symbols))
    assert isinstance(diagnostic.error, RuleTypeError)  # type: ignore[attr-defined]
    assert (diagnostic.line, diagnostic.column) == (2, 7)  # type: ignore[attr-defined]


def test_run_check_prints_and_returns_exit_code(
    tmp_path: Path, symbols: Mapping[str, SymbolType]
) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(rule_file(rule("x", "amount >"), rule("y", action="nope")), encoding="utf-8")
    out = io.StringIO()
    assert run_check(good, symbols, out=out) == 0
    assert out.getvalue() == f"{good}: ok\n"
    out = io.StringIO()
    assert run_check(bad, symbols, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{bad}: rule 'x' (when), line 1, column 9: expected a value")
    assert lines[-1] == f"{bad}: 2 problems"


def test_ruleset_constructor_refuses_duplicate_ids(symbols: Mapping[str, SymbolType]) -> None:
    ruleset = load_ruleset(GOOD, symbols)
    with pytest.raises(RuleFileError, match="duplicate rule id 'low'"):
        RuleSet("v", [*ruleset.rules, ruleset.rule("low")])


def test_syntax_error_inside_when_is_a_syntax_error(symbols: Mapping[str, SymbolType]) -> None:
    diagnostic = _only(check_ruleset(rule_file(rule(when="amount >> 1")), symbols))
    assert isinstance(diagnostic.error, RuleSyntaxError)  # type: ignore[attr-defined]
