"""MLflow (local SQLite store) records runs, registers models and mirrors the aliases."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest

from audit import verify_audit_log
from contracts import Settings
from models import LightGBMScorer
from riskstream.model_ops import model_store, move_alias, train_and_store, version_rows
from tests.unit.training.conftest import History
from training.tracking import Tracking, registered_versions

pytestmark = pytest.mark.slow


def test_runs_are_tracked_and_aliases_move_in_both_stores(
    history: History, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    versions = []
    for seed_days in (7, 8):  # two models: different label maturities, different data
        outcome = train_and_store(
            settings,
            history.transactions,
            history.labels,
            source="test history",
            as_of=history.config.end,
            maturity=timedelta(days=seed_days),
        )
        assert outcome.registry_version == str(len(versions) + 1)
        assert (outcome.report.directory / "pr_curve.png").stat().st_size > 1000
        versions.append(outcome.fitted.meta.version)
    first, second = versions
    tracking = Tracking.from_settings(settings)
    assert tracking.uri == f"sqlite:///{settings.data_dir.resolve() / 'mlflow.db'}"

    import mlflow

    run = mlflow.get_run(outcome.run_id)
    assert run.data.params["feature_set_version"].startswith("fs-")
    assert run.data.params["label_maturity_days"] == "8.0"
    assert run.data.metrics["auc"] == pytest.approx(outcome.fitted.metrics["auc"])
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"features.json", "report", "riskstream_model", "model_meta.json"} <= artifacts

    move_alias(settings, "promote", "champion", actor="anna", version=first)
    moved = move_alias(settings, "promote", "champion", actor="anna", version="2")  # by number
    assert (moved.change.before, moved.change.after, moved.registry_version) == (first, second, "2")
    # The registered model is the served one: same calibrated scores through pyfunc.
    served = mlflow.pyfunc.load_model(f"models:/{tracking.model_name}@champion")
    frame = outcome.fitted.test_set.features[list(outcome.fitted.meta.feature_names)].head(50)  # type: ignore[union-attr]
    scorer = LightGBMScorer.load(model_store(settings).path(second))
    assert np.allclose(served.predict(frame), scorer.predict(frame.to_numpy(np.float64)))
    assert served.metadata.get_input_schema().input_names()[:3] == list(frame.columns[:3])

    back = move_alias(settings, "rollback", "champion", actor="anna")
    assert back.change.after == first and back.registry_version == "1"
    aliases = {v.riskstream_version: v.aliases for v in registered_versions(tracking)}
    assert aliases == {first: ("champion",), second: ()}

    # MLflow is the system of record: a model missing locally is fetched on promotion.
    shutil.rmtree(model_store(settings).path(second))
    fetched = move_alias(settings, "promote", "challenger", actor="anna", version="2")
    assert fetched.change.after == second and model_store(settings).path(second).is_dir()
    rows = {r["version"]: r for r in version_rows(settings)}
    assert rows[second]["aliases"] == "challenger" and rows[second]["registry"] == "2"

    report = verify_audit_log(settings)
    assert report.ok
