"""`riskstream bench handbook` end to end on a small table with the handbook's columns."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner

from riskstream.cli import main
from tests.unit.bench.conftest import HandbookFactory


def test_command_writes_predictions_metrics_and_chart(
    tmp_path: Path, make_handbook: HandbookFactory
) -> None:
    frame = make_handbook()
    data = tmp_path / "transactions.parquet"
    frame.to_parquet(data)
    out = tmp_path / "out"
    args = ["bench", "handbook", "--data", str(data), "--out", str(out)]
    args += ["--protocol", "prequential", "--train-start", "2018-06-24", "--folds", "2"]
    env = {"RISKSTREAM_DATA_DIR": str(tmp_path / "data"), "RISKSTREAM_ENVIRONMENT": "test"}
    result = CliRunner(env=env).invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "riskstream LightGBM (ours)" in result.stdout
    assert "balanced bagging" in result.stdout  # the published prequential table

    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["TRANSACTION_ID", "score"]
    assert predictions["TRANSACTION_ID"].is_unique
    assert set(predictions["TRANSACTION_ID"]) <= set(frame["TRANSACTION_ID"])
    assert predictions["score"].between(0, 1).all()
    tested = frame.set_index("TRANSACTION_ID").loc[predictions["TRANSACTION_ID"], "TX_DATETIME"]
    assert tested.min() >= pd.Timestamp("2018-07-08")  # test weeks only, never training days

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "prequential"
    assert len(metrics["folds"]) == 2
    assert sum(f["test_rows"] for f in metrics["folds"]) == len(predictions)
    for name in ("auc_roc", "average_precision", "card_precision_at_100"):
        assert set(metrics["summary"][name]) == {"mean", "std"}
    assert "TX_FRAUD_SCENARIO" in metrics["data"]["never_used"]
    assert (out / "comparison.png").stat().st_size > 0

    # The run is in the MLflow store with its metrics and files.
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'data' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("riskstream-benchmarks")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_id in result.stdout
    assert run.data.params["protocol"] == "prequential" and run.data.params["folds"] == "2"
    mean_ap = metrics["summary"]["average_precision"]["mean"]
    assert run.data.metrics["average_precision_mean"] == pytest.approx(mean_ap)
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert logged == {"metrics.json", "comparison.png"}


def test_standard_split_and_a_clear_error_outside_the_data(
    tmp_path: Path, make_handbook: HandbookFactory
) -> None:
    data = tmp_path / "transactions.csv"
    make_handbook().to_csv(data, index=False)
    base = ["bench", "handbook", "--data", str(data), "--protocol", "standard", "--no-mlflow"]
    ok = CliRunner().invoke(
        main, [*base, "--out", str(tmp_path / "a"), "--train-start", "2018-07-01"]
    )
    assert ok.exit_code == 0, ok.output
    assert "XGBoost" in ok.stdout and "logistic regression" in ok.stdout
    assert len(json.loads((tmp_path / "a" / "metrics.json").read_text())["folds"]) == 1
    # The default dates (2018-07-25 on) are past this table's end.
    missing = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "b")])
    assert missing.exit_code == 2
    assert "--train-start" in missing.output


def test_several_seeds_are_one_model_each_and_bad_lists_are_refused(
    tmp_path: Path, make_handbook: HandbookFactory
) -> None:
    data = tmp_path / "transactions.parquet"
    make_handbook().to_parquet(data)
    base = ["bench", "handbook", "--data", str(data), "--protocol", "standard", "--no-mlflow"]
    base += ["--train-start", "2018-07-01", "--out", str(tmp_path / "out")]
    ok = CliRunner().invoke(main, [*base, "--seeds", "7,1"])
    assert ok.exit_code == 0, ok.output
    assert "riskstream LightGBM, mean of 2 seeds (ours)" in ok.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["model"]["seeds"] == [7, 1]
    assert len(metrics["folds"][0]["rounds"]) == 2

    for seeds, message in (("7,x", "comma-separated"), ("7,7", "repeats a seed")):
        refused = CliRunner().invoke(main, [*base, "--seeds", seeds])
        assert refused.exit_code == 2
        assert message in refused.output
