"""Backtests: replay labelled history through a policy, per rule and for the whole set.

The same code as the stream decides (:class:`rules.policy.Policy` on a
:class:`~rules.lang.ColumnBatch`); the caller supplies the feature values (the offline
twin, ``features.OfflineFeatures``) and, optionally, the model that fills ``score``::

    data = BacktestData.from_frames(history, features, fraud, model=champion)
    result = backtest(data, policy)
    print(format_report(result, compare(result, backtest(data, live_policy))))
"""

from rules.backtest.chart import write_chart
from rules.backtest.data import BacktestData, ScoreModel, model_scores
from rules.backtest.diff import BacktestDiff, RuleDelta, TallyDelta, compare
from rules.backtest.report import DEFINITIONS, format_report, major, write_csv, write_diff_csv
from rules.backtest.run import (
    BacktestResult,
    RuleStats,
    Tally,
    backtest,
    backtest_frames,
    empty_lists,
)

__all__ = [
    "DEFINITIONS",
    "BacktestData",
    "BacktestDiff",
    "BacktestResult",
    "RuleDelta",
    "RuleStats",
    "ScoreModel",
    "Tally",
    "TallyDelta",
    "backtest",
    "backtest_frames",
    "compare",
    "empty_lists",
    "format_report",
    "major",
    "model_scores",
    "write_chart",
    "write_csv",
    "write_diff_csv",
]
