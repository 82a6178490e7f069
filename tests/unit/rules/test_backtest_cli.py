"""`riskstream rules backtest` and its inputs, on a small simulated history (no services)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from riskstream.backtest_inputs import labelled_history, read_history, read_labels
from riskstream.cli import main
from rules import default_policy_path
from rules.errors import BacktestError
from simulator import (
    SimulationConfig,
    Simulator,
    write_jsonl,
    write_labels_jsonl,
    write_parquet,
)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Four simulated days as Parquet (with label columns), events JSONL and labels JSONL."""
    root = tmp_path_factory.mktemp("history")
    simulated = list(
        Simulator(
            SimulationConfig(seed=3, days=4, n_customers=300, n_merchants=40, fraud_rate=0.05)
        ).transactions()
    )
    paths = {
        "parquet": root / "h.parquet",
        "events": root / "h.jsonl",
        "labels": root / "l.jsonl",
    }
    write_parquet(paths["parquet"], simulated)
    write_jsonl(paths["events"], simulated)
    write_labels_jsonl(paths["labels"], simulated)
    return paths


def test_labels_from_columns_or_file_agree(history: dict[str, Path]) -> None:
    from_columns = labelled_history(history["parquet"], None)
    from_files = labelled_history(history["events"], history["labels"])
    assert from_columns.fraud.sum() > 0
    assert np.array_equal(from_columns.fraud, from_files.fraud)
    assert from_columns.feature_labels is not None
    assert len(from_columns.feature_labels) == len(read_labels(history["labels"]))
    truth = labelled_history(history["parquet"], None, truth_column="is_fraud")
    assert truth.fraud.sum() >= from_columns.fraud.sum()  # unreported fraud counts too
    assert truth.truth == "is_fraud" and from_columns.truth == "labels"


def test_bad_inputs_say_what_is_missing(history: dict[str, Path], tmp_path: Path) -> None:
    table = read_history(history["parquet"]).drop(columns=["amount"])
    table.to_parquet(tmp_path / "no_amount.parquet")
    with pytest.raises(BacktestError, match="amount"):
        read_history(tmp_path / "no_amount.parquet")
    pd.DataFrame({"transaction_id": ["pi_1"], "verdict": ["bad"]}).to_csv(tmp_path / "l.csv")
    with pytest.raises(BacktestError, match="is_fraud or a label"):
        read_labels(tmp_path / "l.csv")
    with pytest.raises(BacktestError, match="truth"):
        labelled_history(history["parquet"], None, truth_column="nope")


def test_backtest_command_prints_and_writes_everything(
    history: dict[str, Path], tmp_path: Path
) -> None:
    older = tmp_path / "older.toml"
    text = default_policy_path().read_text()
    older.write_text(
        text.replace('version = "starter-', 'version = "older-', 1).replace(
            '"three_ds_failed"\naction = "decline"', '"three_ds_failed"\naction = "review"'
        )
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "backtest",
            str(default_policy_path()),
            "--data",
            str(history["parquet"]),
            "--against",
            str(older),
            "--out",
            str(out),
        ],
        env={"RISKSTREAM_DATA_DIR": str(tmp_path / "data"), "RISKSTREAM_LOG_LEVEL": "error"},
    )
    assert result.exit_code == 0, result.output
    text_out = result.output
    for expected in ("live rules", "whole set", "against older-", "three_ds_failed", "changed"):
        assert expected in text_out
    assert "no model" in text_out or "none (score is null" in text_out
    for name in ("backtest.csv", "diff.csv", "reviews_per_day.csv", "backtest.png"):
        assert (out / name).stat().st_size > 0
    with (out / "diff.csv").open() as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert rows["three_ds_failed"]["status"] == "changed"
    days = (out / "reviews_per_day.csv").read_text().splitlines()
    assert len(days) == 1 + 4  # header + one line per simulated day


def test_backtest_command_lists_rule_file_problems(
    history: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        'version = "x"\n[[rule]]\nid = "a"\nwhen = "card_count_h1 > 3"\naction = "review"\n'
        'priority = 1\nreason = "r"\ndescription = "d"\n'
    )
    result = CliRunner().invoke(
        main,
        ["rules", "backtest", str(broken), "--data", str(history["parquet"])],
        env={"RISKSTREAM_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 1
    assert "card_count_1h" in result.output  # the did-you-mean hint


def test_rules_check_still_works() -> None:
    result = CliRunner().invoke(main, ["rules", "check", str(default_policy_path())])
    assert result.exit_code == 0 and "OK" in result.output
