"""Backtests: per-rule and whole-set numbers on a history small enough to check by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from rules import Policy, load_ruleset, symbol_table
from rules.backtest import (
    BacktestData,
    backtest,
    backtest_frames,
    compare,
    format_report,
    major,
    write_chart,
    write_csv,
    write_diff_csv,
)
from rules.errors import BacktestError
from rules.lang import InMemoryLists

SYMBOLS = {"amount_base": "number", "score": "number", "card_fingerprint": "string"}

RULES = """
version = "t-1"

[[rule]]
id = "allow_vip"
when = "in_list('allow_card', card_fingerprint)"
action = "approve"
priority = 100
reason = "allowlisted"
description = "VIP cards."

[[rule]]
id = "big"
when = "amount_base >= 10000"
action = "review"
priority = 50
reason = "big_amount"
description = "100 USD or more."

[[rule]]
id = "huge"
when = "amount_base >= 50000"
action = "decline"
priority = 40
reason = "huge_amount"
description = "500 USD or more."

[[rule]]
id = "risky"
when = "score >= 0.5"
action = "challenge"
priority = 30
reason = "score"
description = "Risky by the model."

[[rule]]
id = "trial"
when = "amount_base >= 100"
action = "decline"
priority = 20
reason = "trial"
description = "A trial in shadow mode."
shadow = true
"""

# row: amount_base, score, fraud, day, card
ROWS = [
    (200, 0.1, False, "2026-01-05T10:00:00Z", "fp_a"),  # trial (shadow) only -> approve
    (20_000, 0.2, True, "2026-01-05T11:00:00Z", "fp_b"),  # big -> review
    (60_000, 0.9, True, "2026-01-06T09:00:00Z", "fp_c"),  # big, huge, risky -> decline
    (15_000, float("nan"), False, "2026-01-06T10:00:00Z", "fp_d"),  # big -> review
    (50, 0.7, False, "2026-01-06T23:59:00Z", "fp_e"),  # risky -> challenge
    (60_000, 0.1, True, "2026-01-06T12:00:00Z", "fp_vip"),  # allow list (when given)
]


class TableModel:
    """A model whose scores are given in advance (one per row)."""

    version = "table-1"
    feature_names = ("amount_base",)

    def __init__(self, scores: list[float]) -> None:
        self.scores = np.array(scores, dtype=np.float64)

    def predict(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        assert matrix.shape == (len(self.scores), 1)
        return self.scores


def _policy(text: str = RULES) -> Policy:
    return Policy(load_ruleset(text, symbol_table(SYMBOLS)), SYMBOLS)


@pytest.fixture
def data() -> BacktestData:
    history = pd.DataFrame(
        {
            "transaction_id": [f"pi_{i}" for i in range(len(ROWS))],
            "event_time": pd.to_datetime([r[3] for r in ROWS], utc=True),
            "card_fingerprint": [r[4] for r in ROWS],
        }
    )
    features = pd.DataFrame({"amount_base": [float(r[0]) for r in ROWS]})
    fraud = np.array([r[2] for r in ROWS], dtype=np.bool_)
    model = TableModel([r[1] for r in ROWS])
    return BacktestData.from_frames(history, features, fraud, model=model)


VIP = InMemoryLists({"allow_card": ["fp_vip"]})


def test_per_rule_numbers(data: BacktestData) -> None:
    result = backtest(data, _policy(), lists=VIP)
    big = result.rule("big")
    assert (big.tally.hits, big.tally.fraud_hits) == (4, 3)
    assert big.tally.precision == pytest.approx(0.75)
    assert big.tally.recall == pytest.approx(1.0)
    assert big.fraud_amount_stopped == 140_000 and big.good_amount_blocked == 15_000
    assert big.decided == 2  # rows 1 and 3; row 2 went to huge, row 5 to the allow rule
    assert big.reviews_per_day == pytest.approx(2.0)
    huge = result.rule("huge")
    assert (huge.tally.hits, huge.tally.fraud_hits, huge.decided) == (2, 2, 1)
    allow = result.rule("allow_vip")
    assert (allow.tally.hits, allow.decided) == (1, 1)
    assert allow.fraud_amount_stopped == 0 and allow.good_amount_blocked == 0
    assert result.rule("risky").decided == 1
    assert [s.rule_id for s in result.shadow] == ["trial"]
    trial = result.rule("trial")
    assert (trial.tally.hits, trial.tally.fraud_hits, trial.decided) == (5, 3, 0)


def test_whole_set_uses_the_policy_semantics(data: BacktestData) -> None:
    policy = _policy()
    result = backtest(data, policy, lists=VIP, chunk_rows=4)
    expected = [o.action for o in policy.decide(policy.batch(data.columns, data.size), VIP)]
    assert [["approve", "challenge", "review", "decline"][a] for a in result.actions] == expected
    assert expected == ["approve", "review", "decline", "review", "challenge", "approve"]
    flagged = result.flagged
    assert (flagged.hits, flagged.fraud_hits) == (4, 2)
    assert flagged.precision == pytest.approx(0.5)
    assert flagged.recall == pytest.approx(2 / 3)
    assert (flagged.fraud_amount, flagged.good_amount) == (80_000, 15_050)
    assert result.by_action["approve"].fraud_hits == 1  # the allow-listed fraud got through
    assert [str(d) for d in result.days] == ["2026-01-05", "2026-01-06"]
    assert result.reviews_per_day.tolist() == [1, 1]
    assert (result.frauds, result.fraud_amount_total) == (3, 140_000)
    assert result.model_version == "table-1"


def test_lists_default_to_empty(data: BacktestData) -> None:
    result = backtest(data, _policy())
    assert result.rule("allow_vip").tally.hits == 0
    assert result.actions[5] == 3  # the VIP row is declined by `huge`


def test_without_a_model_the_score_is_null() -> None:
    history = pd.DataFrame({"event_time": pd.to_datetime(["2026-01-05T00:00:00Z"], utc=True)})
    features = pd.DataFrame({"amount_base": [100.0]})
    result = backtest_frames(history, features, np.array([True]), _policy())
    assert result.rule("risky").tally.hits == 0 and result.model_version is None


def test_misaligned_inputs_are_refused() -> None:
    history = pd.DataFrame({"event_time": pd.to_datetime(["2026-01-05T00:00:00Z"], utc=True)})
    features = pd.DataFrame({"amount_base": [1.0, 2.0]})
    with pytest.raises(BacktestError, match="aligned"):
        BacktestData.from_frames(history, features, np.array([True]))


def test_compare_reports_rule_and_set_deltas(data: BacktestData) -> None:
    old = backtest(data, _policy(), lists=VIP)
    text = RULES.replace('version = "t-1"', 'version = "t-2"').replace(
        'when = "amount_base >= 10000"', 'when = "amount_base >= 30000"'
    )
    text = text[: text.index('[[rule]]\nid = "trial"')]  # drop the shadow rule
    text += '[[rule]]\nid = "tiny"\nwhen = "amount_base < 100"\naction = "decline"\n'
    text += 'priority = 10\nreason = "tiny"\ndescription = "Tiny amounts."\n'
    new = backtest(data, _policy(text), lists=VIP)
    diff = compare(new, old)
    status = {d.rule_id: d.status for d in diff.rules}
    assert status == {
        "allow_vip": "unchanged",
        "big": "changed",
        "huge": "unchanged",
        "risky": "unchanged",
        "tiny": "added",
        "trial": "removed",
    }
    big = next(d for d in diff.rules if d.rule_id == "big")
    assert big.delta.hits == -2 and big.delta.good_amount == -15_000
    # rows 1 and 3 leave review (1 approves, 3 approves); row 4 goes challenge -> decline
    assert diff.transitions == {("review", "approve"): 2, ("challenge", "decline"): 1}
    assert diff.changed_decisions == 3
    assert diff.flagged.hits == -2
    assert diff.mean_reviews_per_day == pytest.approx(-1.0)


def test_report_csv_and_chart(data: BacktestData, tmp_path: Path) -> None:
    result = backtest(data, _policy(), lists=VIP)
    diff = compare(result, result)
    text = format_report(result, diff)
    assert "live rules" in text and "shadow rules" in text and "whole set" in text
    assert "1,400.00" in text  # big's fraud stopped, in major units
    assert "every label in the file counts" in text
    assert "decisions changed: 0" in text

    write_csv(result, tmp_path / "backtest.csv")
    with (tmp_path / "backtest.csv").open() as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert rows["big"]["precision"] == "0.750000"
    assert rows["big"]["fraud_stopped_USD"] == "1400.00"
    assert rows["trial"]["scope"] == "shadow"
    assert rows["flagged"]["scope"] == "set" and rows["flagged"]["hits"] == "4"

    write_diff_csv(diff, tmp_path / "diff.csv")
    with (tmp_path / "diff.csv").open() as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert names[-1] == "whole_set_flagged" and "big" in names

    chart = write_chart(result, tmp_path / "backtest.png", diff)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_major_units() -> None:
    assert major(123_456, 2) == "1,234.56"
    assert major(-5, 2, signed=True) == "-0.05"
    assert major(5, 3, signed=True) == "+0.005"
    assert major(700, 0) == "700"
