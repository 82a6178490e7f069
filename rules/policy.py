"""From rule hits to one action per transaction, the way a payments team expects.

* A live ``approve`` rule is an allow rule: it overrides every other rule.
* Otherwise the most severe live hit wins: decline beats review beats challenge.
* No live hit: approve.
* Shadow rules are evaluated and recorded, never acted on.

Model score bands are ordinary rules over the ``score`` symbol (for example
``score >= 0.9`` → decline), so the whole policy reads in one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from contracts import ACTION_SEVERITY, ACTIONS, Action, RuleHit
from rules.lang import (
    BOOL,
    NUMBER,
    STRING,
    STRING_DTYPE,
    BoolColumn,
    Column,
    ColumnBatch,
    ListMembership,
    NumberColumn,
    RuleSet,
    StringColumn,
    SymbolType,
)

__all__ = ["IDENTIFIER_SYMBOLS", "Outcome", "Policy", "symbol_table", "to_column_batch"]

# Transaction identifiers rules may test (lists, prefixes) besides the features.
IDENTIFIER_SYMBOLS: dict[str, str] = {
    "card_fingerprint": "string",
    "customer_id": "string",
    "email_hash": "string",
    "device_id": "string",
    "ip": "string",
    "transaction_id": "string",
}
_TYPES = {"number": NUMBER, "string": STRING, "bool": BOOL}


def symbol_table(symbols: Mapping[str, str]) -> dict[str, SymbolType]:
    """The rules' typed symbol table from ``{name: "number" | "string" | "bool"}``."""
    return {name: _TYPES[kind] for name, kind in symbols.items()}


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    hits: tuple[RuleHit, ...]  # every hit, live and shadow, in priority order
    deciding: RuleHit | None  # the live hit that set the action (None: default approve)


def to_column_batch(
    columns: Mapping[str, Any], symbols: Mapping[str, SymbolType], size: int
) -> ColumnBatch:
    """Convert feature columns (float for numbers and bools, object for strings)."""
    converted: dict[str, Column] = {}
    for name, kind in symbols.items():
        values = columns.get(name)
        if values is None:
            continue
        if kind is NUMBER:
            converted[name] = NumberColumn(np.asarray(values, dtype=np.float64))
        elif kind is BOOL:
            floats = np.asarray(values, dtype=np.float64)
            converted[name] = BoolColumn(floats == 1.0, np.isnan(floats))
        else:
            null = np.fromiter((v is None for v in values), dtype=np.bool_, count=size)
            text = np.array(["" if v is None else v for v in values], dtype=STRING_DTYPE)
            converted[name] = StringColumn(text, null)
    return ColumnBatch(size, converted)


class Policy:
    """A loaded rule set plus the decision semantics above."""

    def __init__(self, ruleset: RuleSet, symbols: Mapping[str, str]) -> None:
        self.ruleset = ruleset
        self.symbols = symbol_table(symbols)
        # only the symbols some condition reads are converted per batch (the default
        # policy reads 27 of the 127 symbols)
        read = frozenset().union(*(rule.condition.names for rule in ruleset.rules))
        self._read = {name: kind for name, kind in self.symbols.items() if name in read}
        self._severity = np.array([ACTION_SEVERITY[r.action] for r in ruleset.rules], dtype=int)
        self._live = np.array([not r.shadow for r in ruleset.rules], dtype=bool)
        self._allow = np.array([r.action == "approve" for r in ruleset.rules], dtype=bool)
        self.descriptions = {r.id: r.description for r in ruleset.rules}
        self._hits = [
            RuleHit(rule_id=r.id, action=r.action, reason_code=r.reason, shadow=r.shadow)
            for r in ruleset.rules
        ]

    @property
    def version(self) -> str:
        return self.ruleset.version

    def batch(self, columns: Mapping[str, Any], size: int) -> ColumnBatch:
        """The columns the rules read, converted for evaluation."""
        return to_column_batch(columns, self._read, size)

    def decide(self, batch: ColumnBatch, lists: ListMembership | None) -> list[Outcome]:
        """One outcome per row of ``batch``."""
        results = self.ruleset.evaluate(batch, lists)
        if not results:
            return [Outcome("approve", (), None)] * batch.size
        matrix = np.column_stack([results[rule.id] for rule in self.ruleset.rules])
        live = matrix & self._live
        allowed = (live & self._allow).any(axis=1)
        severity = np.where(live, self._severity, -1).max(axis=1)
        outcomes: list[Outcome] = []
        for row in range(batch.size):
            if not matrix[row].any():
                outcomes.append(Outcome("approve", (), None))
                continue
            indices = np.flatnonzero(matrix[row])
            hits = tuple(self._hits[i] for i in indices)
            if allowed[row]:
                winner = next(i for i in indices if self._live[i] and self._allow[i])
            elif severity[row] >= 0:
                winner = next(
                    i for i in indices if self._live[i] and self._severity[i] == severity[row]
                )
            else:
                outcomes.append(Outcome("approve", hits, None))
                continue
            outcomes.append(Outcome(ACTIONS[self._severity[winner]], hits, self._hits[winner]))
        return outcomes
