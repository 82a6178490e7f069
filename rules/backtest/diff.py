"""Two backtests of the same history, side by side: what a new policy version changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from contracts import ACTIONS, Action
from rules.backtest.run import BacktestResult, RuleStats, Tally
from rules.errors import BacktestError

__all__ = ["BacktestDiff", "RuleDelta", "TallyDelta", "compare"]

Status = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class TallyDelta:
    """``new - old`` for each number of a :class:`Tally` (None when a side is undefined)."""

    hits: int
    fraud_hits: int
    fraud_amount: int
    good_amount: int
    precision: float | None
    recall: float | None

    @classmethod
    def between(cls, new: Tally, old: Tally) -> TallyDelta:
        return cls(
            hits=new.hits - old.hits,
            fraud_hits=new.fraud_hits - old.fraud_hits,
            fraud_amount=new.fraud_amount - old.fraud_amount,
            good_amount=new.good_amount - old.good_amount,
            precision=_minus(new.precision, old.precision),
            recall=_minus(new.recall, old.recall),
        )


def _minus(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old


_EMPTY = Tally(0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class RuleDelta:
    """One rule id across both versions."""

    rule_id: str
    status: Status
    new: RuleStats | None
    old: RuleStats | None

    @property
    def delta(self) -> TallyDelta:
        return TallyDelta.between(
            self.new.tally if self.new else _EMPTY, self.old.tally if self.old else _EMPTY
        )


@dataclass(frozen=True, slots=True, eq=False)
class BacktestDiff:
    """``new`` against ``old`` on the same rows."""

    new: BacktestResult
    old: BacktestResult
    rules: tuple[RuleDelta, ...]
    transitions: dict[tuple[Action, Action], int]  # (old action, new action) -> rows, changed only

    @property
    def flagged(self) -> TallyDelta:
        return TallyDelta.between(self.new.flagged, self.old.flagged)

    @property
    def changed_decisions(self) -> int:
        return sum(self.transitions.values())

    @property
    def mean_reviews_per_day(self) -> float:
        return self.new.mean_reviews_per_day - self.old.mean_reviews_per_day


def _status(new: RuleStats | None, old: RuleStats | None) -> Status:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    same = (new.when, new.action, new.shadow) == (old.when, old.action, old.shadow)
    return "unchanged" if same else "changed"


def compare(new: BacktestResult, old: BacktestResult) -> BacktestDiff:
    """Per-rule and whole-set deltas, and how many decisions move between actions."""
    if new.rows != old.rows or new.frauds != old.frauds:
        raise BacktestError("the two backtests ran on different data: compare like with like")
    old_by_id = {stats.rule_id: stats for stats in old.rules}
    new_ids = {stats.rule_id for stats in new.rules}
    deltas = [
        RuleDelta(s.rule_id, _status(s, old_by_id.get(s.rule_id)), s, old_by_id.get(s.rule_id))
        for s in new.rules
    ]
    deltas += [
        RuleDelta(s.rule_id, "removed", None, s) for s in old.rules if s.rule_id not in new_ids
    ]
    transitions: dict[tuple[Action, Action], int] = {}
    moved = new.actions != old.actions
    if moved.any():
        pairs = old.actions[moved].astype(np.int64) * len(ACTIONS) + new.actions[moved]
        for code, count in zip(*np.unique(pairs, return_counts=True), strict=True):
            before, after = divmod(int(code), len(ACTIONS))
            transitions[(ACTIONS[before], ACTIONS[after])] = int(count)
    return BacktestDiff(new, old, tuple(deltas), transitions)
