"""Replay labelled history through a policy and measure every rule and the whole set.

Definitions (the report repeats them):

* **hit**: the rule's condition is true. A shadow rule's hits are what it *would* have
  hit; they are reported apart and never change an action.
* **flagged**: a rule (or, for the set, the final action) is not ``approve``.
* **precision** = fraud hits / hits; **recall** = fraud hits / all fraud in the history.
* **fraud amount stopped** / **good amount blocked**: base-currency minor units of the
  fraudulent / legitimate transactions flagged. For review and challenge this is an
  upper bound (the analyst or the cardholder decides); the per-action split shows it.
  Allow (``approve``) rules stop and block nothing.
* **review volume per day**: transactions whose action is ``review`` on each UTC day.

The actions come from :meth:`rules.policy.Policy.decide`, the code the stream runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from contracts import ACTIONS, Action
from rules.backtest.data import BacktestData, ScoreModel
from rules.lang import InMemoryLists, ListMembership, unparse
from rules.policy import Policy

__all__ = ["BacktestResult", "RuleStats", "Tally", "backtest", "backtest_frames", "empty_lists"]

Progress = Callable[[str], None]
IntArray = npt.NDArray[np.int64]
_APPROVE = ACTIONS.index("approve")
_REVIEW = ACTIONS.index("review")


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts and money (base-currency minor units) over a set of flagged rows."""

    hits: int
    fraud_hits: int
    fraud_amount: int
    good_amount: int
    total_fraud: int

    @property
    def precision(self) -> float | None:
        return self.fraud_hits / self.hits if self.hits else None

    @property
    def recall(self) -> float | None:
        return self.fraud_hits / self.total_fraud if self.total_fraud else None

    @classmethod
    def of(cls, mask: npt.NDArray[np.bool_], data: BacktestData) -> Tally:
        fraud = mask & data.fraud
        good = mask & ~data.fraud
        amounts = np.nan_to_num(data.amount_base)
        return cls(
            hits=int(mask.sum()),
            fraud_hits=int(fraud.sum()),
            fraud_amount=int(amounts[fraud].sum()),
            good_amount=int(amounts[good].sum()),
            total_fraud=int(data.fraud.sum()),
        )


@dataclass(frozen=True, slots=True)
class RuleStats:
    """One rule's numbers. ``decided``: rows where this rule set the final action."""

    rule_id: str
    when: str  # canonical condition text, to tell a changed rule from an unchanged one
    action: Action
    shadow: bool
    tally: Tally
    decided: int
    days: int

    @property
    def fraud_amount_stopped(self) -> int:
        return 0 if self.action == "approve" else self.tally.fraud_amount

    @property
    def good_amount_blocked(self) -> int:
        return 0 if self.action == "approve" else self.tally.good_amount

    @property
    def reviews_per_day(self) -> float:
        """Review volume this rule alone would send per day (0 for other actions)."""
        return self.tally.hits / self.days if self.action == "review" and self.days else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    """A policy version's backtest: per rule, per action and for the whole set."""

    version: str
    content_hash: str
    rows: int
    frauds: int
    fraud_amount_total: int
    base_currency: str
    exponent: int
    model_version: str | None
    truth: str  # "labels" or the column the ground truth came from
    rules: tuple[RuleStats, ...]  # priority order, live and shadow
    flagged: Tally  # final action is not approve
    by_action: dict[Action, Tally]
    days: npt.NDArray[np.datetime64]
    reviews_per_day: IntArray  # aligned with ``days``
    actions: npt.NDArray[np.int8]  # final action per row, as an index into ACTIONS

    @property
    def live(self) -> tuple[RuleStats, ...]:
        return tuple(r for r in self.rules if not r.shadow)

    @property
    def shadow(self) -> tuple[RuleStats, ...]:
        return tuple(r for r in self.rules if r.shadow)

    @property
    def mean_reviews_per_day(self) -> float:
        return float(self.reviews_per_day.mean()) if len(self.reviews_per_day) else 0.0

    def rule(self, rule_id: str) -> RuleStats:
        for stats in self.rules:
            if stats.rule_id == rule_id:
                return stats
        raise KeyError(rule_id)


def empty_lists(policy: Policy) -> InMemoryLists:
    """Every list the policy consults, empty: history has no list snapshot to replay."""
    return InMemoryLists({lookup.list_name: () for lookup in policy.ruleset.required_lists()})


def _evaluate(
    policy: Policy,
    data: BacktestData,
    lists: ListMembership,
    chunk_rows: int,
    progress: Progress,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int8], IntArray]:
    """Hit matrix (rows x rules), final action and deciding rule (-1: none) per row."""
    rules = policy.ruleset.rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    hits = np.zeros((data.size, len(rules)), dtype=np.bool_)
    actions = np.zeros(data.size, dtype=np.int8)
    deciding = np.full(data.size, -1, dtype=np.int64)
    action_index = {action: i for i, action in enumerate(ACTIONS)}
    for start in range(0, data.size, chunk_rows):
        stop = min(start + chunk_rows, data.size)
        batch = policy.batch(data.rows(start, stop), stop - start)
        for offset, outcome in enumerate(policy.decide(batch, lists)):
            row = start + offset
            actions[row] = action_index[outcome.action]
            for hit in outcome.hits:
                hits[row, index[hit.rule_id]] = True
            if outcome.deciding is not None:
                deciding[row] = index[outcome.deciding.rule_id]
        progress(f"policy {policy.version}: {stop:,}/{data.size:,} transactions")
    return hits, actions, deciding


def backtest(
    data: BacktestData,
    policy: Policy,
    *,
    lists: ListMembership | None = None,
    chunk_rows: int = 20_000,
    progress: Progress = _quiet,
) -> BacktestResult:
    """Replay ``data`` through ``policy``; pure (no I/O) and deterministic.

    ``lists`` is the managed-list membership to assume (default: every list empty, so
    list rules never hit: history carries no snapshot of the lists as they were).
    """
    membership = lists if lists is not None else empty_lists(policy)
    hits, actions, deciding = _evaluate(policy, data, membership, max(1, chunk_rows), progress)
    days = data.days
    day_count = len(days)
    rules = tuple(
        RuleStats(
            rule_id=rule.id,
            when=unparse(rule.condition.root),
            action=rule.action,
            shadow=rule.shadow,
            tally=Tally.of(hits[:, i], data),
            decided=int((deciding == i).sum()),
            days=day_count,
        )
        for i, rule in enumerate(policy.ruleset.rules)
    )
    reviews = np.zeros(day_count, dtype=np.int64)
    if day_count:
        reviewed = data.day[actions == _REVIEW]
        positions = (reviewed - days[0]).astype(np.int64)
        reviews = np.bincount(positions, minlength=day_count).astype(np.int64)
    return BacktestResult(
        version=policy.version,
        content_hash=policy.ruleset.content_hash,
        rows=data.size,
        frauds=int(data.fraud.sum()),
        fraud_amount_total=int(np.nan_to_num(data.amount_base)[data.fraud].sum()),
        base_currency=data.base_currency,
        exponent=data.exponent,
        model_version=data.model_version,
        truth=data.truth,
        rules=rules,
        flagged=Tally.of(actions != _APPROVE, data),
        by_action={a: Tally.of(actions == i, data) for i, a in enumerate(ACTIONS)},
        days=days,
        reviews_per_day=reviews,
        actions=actions,
    )


def backtest_frames(
    history: pd.DataFrame,
    features: pd.DataFrame,
    fraud: npt.NDArray[np.bool_],
    policy: Policy,
    *,
    model: ScoreModel | None = None,
    base_currency: str = "USD",
    truth: str = "labels",
    lists: ListMembership | None = None,
    progress: Progress = _quiet,
) -> BacktestResult:
    """:func:`backtest` straight from frames: the history table, its features (the
    offline twin's output, aligned row for row) and the ground truth per row."""
    data = BacktestData.from_frames(
        history, features, fraud, model=model, base_currency=base_currency, truth=truth
    )
    return backtest(data, policy, lists=lists, progress=progress)
