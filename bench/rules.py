"""`riskstream bench rules`: the starter pack on real simulated features, two evaluators.

Measured side by side in one run, on the same batch and the same list snapshot:

* **compiled**: :meth:`rules.lang.RuleSet.evaluate`, every rule over NumPy columns (what
  the stream runs per batch);
* **interpreted**: :func:`rules.lang.interpret`, the reference interpreter, one rule and
  one row at a time.

The batch is the offline twin's features for simulated traffic (the tail of a few
days, so velocity windows are warm) plus the identifiers and a model score; each list
the pack consults holds 2 % of the batch's distinct values, so list rules hit too. Both evaluators
must agree on every row and rule before anything is timed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from features import FeatureRegistry, OfflineFeatures, RatesTable
from rules import Policy
from rules.backtest import BacktestData, ScoreModel
from rules.lang import ColumnBatch, InMemoryLists, StringColumn, interpret
from simulator import SimulationConfig, Simulator, to_frame

__all__ = ["RulesBench", "run_rules_bench"]

Progress = Callable[[str], None]
_PER_DAY = 1500  # about what the default simulated population makes per day


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RulesBench:
    rows: int
    rules: int
    hit_rate: float  # rows with at least one hit
    compiled_s: float  # best of the repeats
    interpreted_s: float
    compiled_rule_evals_per_s: float
    interpreted_rule_evals_per_s: float
    ratio: float  # compiled / interpreted throughput
    model_version: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _best(repeat: int, run: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _lists(policy: Policy, batch: ColumnBatch) -> InMemoryLists:
    """Each consulted list holds 2 % of the distinct values the batch has (1 to 100)."""
    members: dict[str, set[str]] = {}
    for lookup in policy.ruleset.required_lists():
        column = batch.columns.get(lookup.value)
        values: set[str] = set()
        if isinstance(column, StringColumn):
            distinct = sorted({str(v) for v in column.values[~column.null]})
            count = max(1, min(100, len(distinct) // 50))
            values = set(distinct[:: max(1, len(distinct) // count)][:count])
        members.setdefault(lookup.list_name, set()).update(values)
    return InMemoryLists(members)


def run_rules_bench(
    policy: Policy,
    registry: FeatureRegistry,
    *,
    rows: int = 10_000,
    seed: int = 7,
    repeat: int = 3,
    model: ScoreModel | None = None,
    progress: Progress = _quiet,
) -> RulesBench:
    """Rule evaluations per second, compiled vs interpreted, on ``rows`` real rows."""
    days = max(2, math.ceil(rows / _PER_DAY) + 1)
    progress(f"simulating {days} days (seed {seed})")
    frame = to_frame(Simulator(SimulationConfig(seed=seed, days=days)).transactions())
    progress(f"features for {len(frame):,} transactions")
    features = OfflineFeatures(registry, RatesTable.from_mapping()).compute(frame)
    fraud = np.zeros(len(frame), dtype=np.bool_)
    data = BacktestData.from_frames(frame, features, fraud, model=model)
    start = max(0, data.size - rows)
    batch = policy.batch(data.rows(start, data.size), data.size - start)
    lists = _lists(policy, batch)
    conditions = [rule.condition for rule in policy.ruleset.rules]
    table = [batch.row(i) for i in range(batch.size)]

    def compiled() -> dict[str, Any]:
        return dict(policy.ruleset.evaluate(batch, lists))

    def interpreted() -> list[list[bool]]:
        return [[interpret(c, row, lists) is True for c in conditions] for row in table]

    progress("checking that both evaluators agree")
    expected = np.array(interpreted(), dtype=np.bool_).reshape(batch.size, len(conditions))
    hits = compiled()
    got = np.column_stack([hits[rule.id] for rule in policy.ruleset.rules])
    if not np.array_equal(expected, got):
        raise RuntimeError("the compiled and interpreted evaluators disagree")
    progress(f"timing {batch.size:,} rows x {len(conditions)} rules, best of {repeat}")
    # The compiled pass takes milliseconds: ten times the repeats keep scheduler noise out.
    t_compiled = _best(10 * repeat, compiled)
    t_interpreted = _best(repeat, interpreted)
    evaluations = batch.size * len(conditions)
    return RulesBench(
        rows=batch.size,
        rules=len(conditions),
        hit_rate=float(got.any(axis=1).mean()) if batch.size else 0.0,
        compiled_s=t_compiled,
        interpreted_s=t_interpreted,
        compiled_rule_evals_per_s=evaluations / t_compiled,
        interpreted_rule_evals_per_s=evaluations / t_interpreted,
        ratio=t_interpreted / t_compiled,
        model_version=model.version if model is not None else None,
    )
