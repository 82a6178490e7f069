"""Rule files: TOML in, a checked :class:`~rules.lang.ruleset.RuleSet` or every problem out.

A rule file looks like::

    version = "2024-06-01.1"

    [[rule]]
    id = "blocked_card"
    when = "in_list('blocked_cards', card_fingerprint)"
    action = "decline"            # approve | challenge | review | decline
    priority = 100                # higher first
    reason = "card_blocklisted"   # reason-code slug
    description = "The card is on the block list."
    shadow = false                # optional: record hits, never act on them

:func:`check_ruleset` collects *every* problem (for ``riskstream rules check FILE``);
:func:`load_ruleset` raises :class:`~rules.lang.errors.RuleSetError` listing them all.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TextIO

from contracts import ACTIONS, Action
from rules.lang.checker import diagnose_rule
from rules.lang.errors import (
    Diagnostic,
    RuleError,
    RuleFileError,
    RuleLimitError,
    RuleSetError,
    quote,
)
from rules.lang.limits import DEFAULT_LIMITS, RuleLimits
from rules.lang.ruleset import Rule, RuleSet
from rules.lang.symbols import SymbolTable, validate_symbols

__all__ = ["check_ruleset", "load_ruleset", "run_check"]

_TOP_KEYS = ("version", "rule")
_RULE_KEYS = ("id", "when", "action", "priority", "reason", "description", "shadow")
_REQUIRED = ("id", "when", "action", "priority", "reason", "description")
_SLUG_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz")
_SLUG_REST = _SLUG_FIRST | frozenset("0123456789_-")
_MAX_SLUG = 64
_MAX_VERSION = 100
_MAX_DESCRIPTION = 2000
_MAX_PRIORITY = 1_000_000

Source = Path | str


def load_ruleset(
    source: Source,
    symbols: SymbolTable,
    *,
    lists: Collection[str] | None = None,
    limits: RuleLimits = DEFAULT_LIMITS,
) -> RuleSet:
    """Load and check a rule file.

    Args:
        source: a :class:`~pathlib.Path` to read, or the TOML text itself (a ``str`` is
            always text, never a file name).
        symbols: the feature names rules may use and their types.
        lists: the managed lists that exist; when given, ``in_list`` of another name is an
            error.
        limits: size limits.

    Raises:
        RuleSetError: with ``diagnostics`` listing every problem found.
    """
    ruleset, diagnostics = _load(source, symbols, lists, limits)
    if diagnostics or ruleset is None:
        raise RuleSetError(tuple(diagnostics))
    return ruleset


def check_ruleset(
    source: Source,
    symbols: SymbolTable,
    *,
    lists: Collection[str] | None = None,
    limits: RuleLimits = DEFAULT_LIMITS,
) -> list[Diagnostic]:
    """Every problem in a rule file (empty when it loads cleanly); never raises RuleError."""
    return _load(source, symbols, lists, limits)[1]


def run_check(
    path: Path,
    symbols: SymbolTable,
    *,
    out: TextIO,
    lists: Collection[str] | None = None,
    limits: RuleLimits = DEFAULT_LIMITS,
) -> int:
    """Body of ``riskstream rules check FILE``: print the problems, return the exit code."""
    diagnostics = check_ruleset(path, symbols, lists=lists, limits=limits)
    for diagnostic in diagnostics:
        print(f"{path}: {diagnostic}", file=out)
    if diagnostics:
        count = len(diagnostics)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=out)
        return 1
    print(f"{path}: ok", file=out)
    return 0


def _read(source: Source) -> str:
    if isinstance(source, Path):
        try:
            return source.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise RuleFileError(
                f"cannot read rule file {str(source)!r}: not UTF-8 text (byte {error.start})"
            ) from None
        except OSError as error:
            raise RuleFileError(
                f"cannot read rule file {str(source)!r}: {error.strerror or error}"
            ) from None
    if isinstance(source, str):
        return source
    raise RuleFileError(f"a rule file source must be a Path or TOML text, got {type(source)}")


def _parse_toml(text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        hint = "fix the TOML syntax"
        stripped = text.strip()
        if "\n" not in stripped and stripped.endswith(".toml"):
            hint = "a str is TOML text; pass a pathlib.Path to read a file"
        raise RuleFileError(f"the rule file is not valid TOML: {error}", hint=hint) from None


def _is_slug(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_SLUG
        and value[0] in _SLUG_FIRST
        and all(c in _SLUG_REST for c in value)
    )


def _unknown_key(key: str, known: tuple[str, ...], where: str) -> RuleFileError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(known)
    return RuleFileError(f"unknown key {quote(key)} {where}", key=key, hint=hint)


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _load(
    source: Source,
    symbols: SymbolTable,
    lists: Collection[str] | None,
    limits: RuleLimits,
) -> tuple[RuleSet | None, list[Diagnostic]]:
    symbols = validate_symbols(symbols)
    try:
        data = _parse_toml(_read(source))
    except RuleFileError as error:
        return None, [Diagnostic.from_error(error)]
    problems: list[RuleError] = []

    for key in data:
        if key not in _TOP_KEYS:
            problems.append(_unknown_key(key, _TOP_KEYS, "at the top of the rule file"))

    version = data.get("version")
    if version is None:
        problems.append(
            RuleFileError(
                "the rule file has no version",
                key="version",
                hint='add a top-level line such as version = "2024-06-01.1"',
            )
        )
    elif (
        not isinstance(version, str)
        or not version.strip()
        or len(version) > _MAX_VERSION
        or not version.isprintable()
    ):
        problems.append(
            RuleFileError(
                f"version must be a non-empty one-line string of at most {_MAX_VERSION} "
                f"characters, got {_type_name(version)}",
                key="version",
                hint='write e.g. version = "2024-06-01.1"',
            )
        )

    raw_rules = data.get("rule", [])
    if isinstance(raw_rules, dict):
        problems.append(
            RuleFileError(
                "'rule' is a single table",
                key="rule",
                hint="write each rule as an array-of-tables entry: [[rule]], not [rule]",
            )
        )
        raw_rules = []
    elif not isinstance(raw_rules, list):
        problems.append(
            RuleFileError(
                f"'rule' must be an array of tables ([[rule]]), got {_type_name(raw_rules)}",
                key="rule",
            )
        )
        raw_rules = []
    if len(raw_rules) > limits.max_rules:
        problems.append(
            RuleLimitError(
                f"the rule file holds {len(raw_rules)} rules, more than {limits.max_rules}",
                limit="max_rules",
                maximum=limits.max_rules,
                actual=len(raw_rules),
                hint="split it, or raise RuleLimits.max_rules",
            )
        )
        raw_rules = []

    rules: list[Rule] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_rules, start=1):
        rule, rule_problems = _rule(raw, index, symbols, lists, limits)
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(rule_id, str) and _is_slug(rule_id):
            if rule_id in first_index:
                rule_problems.append(
                    RuleFileError(
                        f"duplicate rule id {rule_id!r} (rule #{first_index[rule_id]} has it too)",
                        key="id",
                        hint="give every rule its own id",
                    ).with_context(rule_id=rule_id, rule_index=index, field="id")
                )
                rule = None
            else:
                first_index[rule_id] = index
        if rule is not None:
            rules.append(rule)
        problems.extend(rule_problems)

    if problems or not isinstance(version, str):
        return None, [Diagnostic.from_error(p) for p in problems]
    return RuleSet(version, rules), []


def _rule(
    raw: object,
    index: int,
    symbols: SymbolTable,
    lists: Collection[str] | None,
    limits: RuleLimits,
) -> tuple[Rule | None, list[RuleError]]:
    if not isinstance(raw, dict):
        error = RuleFileError(f"a rule must be a table, got {_type_name(raw)}", key="rule")
        return None, [error.with_context(rule_id=None, rule_index=index)]
    raw_id = raw.get("id")
    rule_id = raw_id if _is_slug(raw_id) else None
    problems: list[RuleError] = []

    def problem(error: RuleError, key: str) -> None:
        problems.append(error.with_context(rule_id=rule_id, rule_index=index, field=key))

    for key in raw:
        if key not in _RULE_KEYS:
            problem(_unknown_key(key, _RULE_KEYS, "in a rule"), key)
    for key in _REQUIRED:
        if key not in raw:
            problem(RuleFileError(f"missing key {key!r}", key=key, hint=_EXAMPLES[key]), key)

    if "id" in raw and rule_id is None:
        problem(_slug_error("id", raw_id), "id")
    reason = raw.get("reason")
    if "reason" in raw and not _is_slug(reason):
        problem(_slug_error("reason", reason), "reason")

    action = raw.get("action")
    if "action" in raw and action not in ACTIONS:
        got = quote(action) if isinstance(action, str) else _type_name(action)
        close = difflib.get_close_matches(action, ACTIONS, n=1) if isinstance(action, str) else []
        problem(
            RuleFileError(
                f"action {got} is not one of {', '.join(ACTIONS)}",
                key="action",
                hint=f"did you mean {close[0]!r}?" if close else "pick one of those",
            ),
            "action",
        )

    priority = raw.get("priority")
    if "priority" in raw and (
        isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > _MAX_PRIORITY
    ):
        problem(
            RuleFileError(
                f"priority must be an integer between -{_MAX_PRIORITY} and {_MAX_PRIORITY}, "
                f"got {_type_name(priority)}",
                key="priority",
                hint="write e.g. priority = 100 (higher runs first)",
            ),
            "priority",
        )

    description = raw.get("description")
    if "description" in raw and (
        not isinstance(description, str)
        or not description.strip()
        or len(description) > _MAX_DESCRIPTION
    ):
        problem(
            RuleFileError(
                f"description must be a non-empty string of at most {_MAX_DESCRIPTION} "
                f"characters, got {_type_name(description)}",
                key="description",
                hint="say in a sentence what the rule catches",
            ),
            "description",
        )

    shadow = raw.get("shadow", False)
    if not isinstance(shadow, bool):
        problem(
            RuleFileError(
                f"shadow must be true or false, got {_type_name(shadow)}",
                key="shadow",
            ),
            "shadow",
        )

    when = raw.get("when")
    condition = None
    if "when" in raw:
        if not isinstance(when, str):
            problem(
                RuleFileError(
                    f"when must be a string holding the condition, got {_type_name(when)}",
                    key="when",
                    hint=_EXAMPLES["when"],
                ),
                "when",
            )
        else:
            condition, errors = diagnose_rule(when, symbols, lists=lists, limits=limits)
            for found in errors:
                problem(found, "when")

    if (
        problems
        or condition is None
        or rule_id is None
        or not isinstance(priority, int)
        or not isinstance(reason, str)
        or not isinstance(description, str)
        or not isinstance(shadow, bool)
    ):
        return None, problems
    return (
        Rule(
            id=rule_id,
            condition=condition,
            action=_action(action),
            priority=priority,
            reason=reason,
            description=description,
            shadow=shadow,
        ),
        [],
    )


def _action(value: object) -> Action:
    for action in ACTIONS:
        if value == action:
            return action
    raise RuleFileError(f"action {value!r} is not valid")  # pragma: no cover - checked before


def _slug_error(key: str, value: object) -> RuleFileError:
    got = quote(value) if isinstance(value, str) else _type_name(value)
    return RuleFileError(
        f"{key} must be a slug (lower-case letters, digits, '_' or '-', starting with a "
        f"letter, at most {_MAX_SLUG} characters), got {got}",
        key=key,
        hint=_EXAMPLES[key],
    )


_EXAMPLES: Mapping[str, str] = {
    "id": 'write e.g. id = "high_amount_new_card"',
    "when": 'write e.g. when = "amount > 100000 and card_country != ip_country"',
    "action": 'write e.g. action = "review" (approve, challenge, review or decline)',
    "priority": "write e.g. priority = 100 (higher runs first)",
    "reason": 'write e.g. reason = "high_amount"',
    "description": 'write e.g. description = "Large first purchase on a new card."',
}
