"""Rules and rule sets: frozen specs, plus the compiled fast path that evaluates a batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts import Action
from rules.lang.batch import BoolArray, ColumnBatch, StrArray
from rules.lang.checker import CheckedExpr
from rules.lang.compiler import CompiledExpr, ListKeys, compile_expression, compile_list_keys
from rules.lang.errors import RuleFileError
from rules.lang.lists import ListLookup, ListMembership, required_lists
from rules.lang.unparse import unparse

__all__ = ["Rule", "RuleSet"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when ``condition`` is true, propose ``action`` with ``reason``.

    Attributes:
        id: a slug, unique in its rule set.
        condition: the checked ``when`` expression.
        action: approve, challenge, review or decline.
        priority: higher runs (and is reported) first.
        reason: the reason code recorded with a hit (a slug).
        description: what the rule is for, for analysts.
        shadow: shadow rules are evaluated and recorded but never acted on.
    """

    id: str
    condition: CheckedExpr
    action: Action
    priority: int
    reason: str
    description: str
    shadow: bool = False

    @property
    def when(self) -> str:
        """The condition as written."""
        return self.condition.text

    def canonical(self) -> dict[str, object]:
        """The rule's content in canonical form (condition unparsed), for hashing."""
        return {
            "id": self.id,
            "when": unparse(self.condition.root),
            "action": self.action,
            "priority": self.priority,
            "reason": self.reason,
            "description": self.description,
            "shadow": self.shadow,
        }


@dataclass(frozen=True, slots=True, init=False)
class RuleSet:
    """A versioned, immutable set of rules, sorted by priority (highest first; ties keep
    their given order), with each condition compiled for batch evaluation.

    ``content_hash`` is ``"sha256:<hex>"`` over the version and the rules in canonical form,
    so reformatting a condition does not change it but any change of meaning does.
    """

    version: str
    rules: tuple[Rule, ...]
    content_hash: str = field(init=False)
    _compiled: tuple[CompiledExpr, ...] = field(init=False, repr=False, compare=False)
    _list_keys: ListKeys = field(init=False, repr=False, compare=False)

    def __init__(self, version: str, rules: Iterable[Rule]) -> None:
        ordered = tuple(sorted(rules, key=lambda rule: -rule.priority))
        seen: set[str] = set()
        for rule in ordered:
            if rule.id in seen:
                raise RuleFileError(f"duplicate rule id {rule.id!r}", key="id")
            seen.add(rule.id)
        payload = json.dumps(
            {"version": version, "rules": [rule.canonical() for rule in ordered]},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "rules", ordered)
        object.__setattr__(
            self, "content_hash", "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
        )
        object.__setattr__(
            self, "_compiled", tuple(compile_expression(rule.condition) for rule in ordered)
        )
        object.__setattr__(
            self, "_list_keys", compile_list_keys([rule.condition for rule in ordered])
        )

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError if there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def required_lists(self) -> frozenset[ListLookup]:
        """Every managed-list look-up the rules make."""
        return required_lists(*(rule.condition for rule in self.rules))

    def list_keys(self, batch: ColumnBatch) -> dict[str, StrArray]:
        """Per managed list, the distinct values this batch will look up (to prefetch)."""
        return self._list_keys(batch)

    def evaluate(
        self, batch: ColumnBatch, lists: ListMembership | None = None
    ) -> dict[str, BoolArray]:
        """Per rule id (in priority order), a bool array: True where the rule hits."""
        return {
            rule.id: compiled.evaluate(batch, lists)
            for rule, compiled in zip(self.rules, self._compiled, strict=True)
        }
