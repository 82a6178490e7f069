"""MLflow as the system of record: every training run tracked, every model registered.

A run logs the parameters (LightGBM and split settings, the data span and source),
the metrics, the feature list with its version, the evaluation report's plots and
the model itself: a pyfunc that returns the calibrated probability the engine
serves, with a signature, registered under ``Settings.mlflow_model_name`` and tagged
with the riskstream version id. Aliases ``champion`` / ``challenger`` mirror the
local model store's (:mod:`riskstream.model_ops` moves both).

The default store is SQLite in the data directory plus a local artifact folder: no
server. MLflow is imported inside these functions only, never by the serving path.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contracts import Settings
from models import LightGBMScorer
from training.errors import TrackingError
from training.report import EvaluationReport
from training.train import FittedModel

__all__ = [
    "RegisteredVersion",
    "TrackedRun",
    "Tracking",
    "clear_alias",
    "download_model",
    "log_benchmark_run",
    "log_training_run",
    "registered_versions",
    "set_alias",
]

Progress = Callable[[str], None]
VERSION_TAG = "riskstream_version"

# The models-from-code script MLflow stores with each model (no pickled objects).
_MODEL_CODE = """\
from mlflow.models import set_model

from training.mlflow_model import CalibratedLightGBM

set_model(CalibratedLightGBM())
"""


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Tracking:
    """Where runs and registered models live."""

    uri: str
    artifact_location: str
    experiment: str
    model_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracking:
        data_dir = settings.data_dir.resolve()
        return cls(
            uri=settings.mlflow_tracking_uri or f"sqlite:///{data_dir / 'mlflow.db'}",
            artifact_location=(data_dir / "mlartifacts").as_uri(),
            experiment=settings.mlflow_experiment,
            model_name=settings.mlflow_model_name,
        )


@dataclass(frozen=True, slots=True)
class TrackedRun:
    run_id: str
    experiment_id: str
    registered_version: str  # the MLflow model registry's version number


@dataclass(frozen=True, slots=True)
class RegisteredVersion:
    registry_version: str
    riskstream_version: str | None
    run_id: str | None
    aliases: tuple[str, ...]


def _mlflow(tracking: Tracking) -> Any:
    # Telemetry off before the first import: nothing may go out at run time.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking.uri)
    mlflow.set_registry_uri(tracking.uri)
    return mlflow


def _client(tracking: Tracking) -> Any:
    mlflow = _mlflow(tracking)
    return mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)


def _experiment_id(client: Any, tracking: Tracking) -> str:
    found = client.get_experiment_by_name(tracking.experiment)
    if found is not None:
        return str(found.experiment_id)
    return str(
        client.create_experiment(tracking.experiment, artifact_location=tracking.artifact_location)
    )


def _params(fitted: FittedModel, extra: Mapping[str, object]) -> dict[str, str]:
    config = fitted.meta.params.get("config", {})
    flat: dict[str, object] = {f"config.{k}": v for k, v in dict(config).items()}
    flat.update(
        {
            "feature_set_version": fitted.meta.feature_set_version,
            "n_features": len(fitted.meta.feature_names),
            "data_start": fitted.meta.data_span[0],
            "data_end": fitted.meta.data_span[1],
            **extra,
        }
    )
    return {k: str(v)[:6000] for k, v in flat.items()}


def log_training_run(
    tracking: Tracking,
    fitted: FittedModel,
    *,
    model_dir: Path,
    report: EvaluationReport | None = None,
    extra_params: Mapping[str, object] | None = None,
    extra_metrics: Mapping[str, float] | None = None,
    progress: Progress = _quiet,
) -> TrackedRun:
    """Log one training run and register its model; returns the run and registry version."""
    progress(f"tracking the run in MLflow ({tracking.uri})")
    mlflow = _mlflow(tracking)
    from mlflow.models import infer_signature

    client = mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    experiment_id = _experiment_id(client, tracking)
    meta = fitted.meta
    metrics = {**fitted.metrics, **(extra_metrics or {})}
    scorer = LightGBMScorer.load(model_dir)
    names = list(meta.feature_names)
    if fitted.test_set is not None and len(fitted.test_set):
        example = fitted.test_set.features[names].head(5).astype(np.float64)
    else:
        example = pd.DataFrame(np.zeros((1, len(names))), columns=names)
    signature = infer_signature(example, scorer.predict(example.to_numpy(np.float64)))
    with (
        tempfile.TemporaryDirectory() as workdir,
        mlflow.start_run(experiment_id=experiment_id, run_name=meta.version) as run,
    ):
        mlflow.log_params(_params(fitted, extra_params or {}))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if math.isfinite(v)})
        mlflow.set_tags(
            {
                VERSION_TAG: meta.version,
                "feature_set_version": meta.feature_set_version,
                "mlflow.note.content": meta.description or meta.version,
            }
        )
        mlflow.log_dict(
            {"feature_set_version": meta.feature_set_version, "features": names},
            "features.json",
        )
        mlflow.log_dict(asdict(meta), "model_meta.json")
        if report is not None:
            mlflow.log_artifacts(str(report.directory), "report")
        mlflow.log_artifacts(str(model_dir), "riskstream_model")
        code = Path(workdir) / "riskstream_pyfunc.py"
        code.write_text(_MODEL_CODE)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(code),
            artifacts={"model_dir": str(model_dir)},
            signature=signature,
            input_example=example,
            pip_requirements=["lightgbm", "numpy", "pandas", "riskstream"],
        )
        progress("registering the model")
        registered = mlflow.register_model(
            info.model_uri, tracking.model_name, tags={VERSION_TAG: meta.version}
        )
    return TrackedRun(run.info.run_id, experiment_id, str(registered.version))


def log_benchmark_run(
    tracking: Tracking,
    *,
    experiment: str,
    run_name: str,
    params: Mapping[str, object],
    metrics: Mapping[str, float],
    artifacts: Sequence[Path] = (),
    tags: Mapping[str, str] | None = None,
) -> str:
    """Log a benchmark run (no model is registered) in ``experiment``; returns its run id."""
    mlflow = _mlflow(tracking)
    client = mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    experiment_id = _experiment_id(client, replace(tracking, experiment=experiment))
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.log_params({k: str(v)[:6000] for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if math.isfinite(v)})
        if tags:
            mlflow.set_tags(dict(tags))
        for artifact in artifacts:
            mlflow.log_artifact(str(artifact))
    run_id: str = run.info.run_id
    return run_id


def registered_versions(tracking: Tracking) -> list[RegisteredVersion]:
    """Every registered version of the model, oldest first, with its aliases."""
    client = _client(tracking)
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(tracking.model_name)
    except MlflowException:
        return []
    by_version: dict[str, list[str]] = {}
    for alias, version in (model.aliases or {}).items():
        by_version.setdefault(str(version), []).append(alias)
    found = client.search_model_versions(f"name='{tracking.model_name}'")
    versions = [
        RegisteredVersion(
            str(mv.version),
            (mv.tags or {}).get(VERSION_TAG),
            mv.run_id,
            tuple(sorted(by_version.get(str(mv.version), []))),
        )
        for mv in found
    ]
    return sorted(versions, key=lambda v: int(v.registry_version))


def _registry_version(tracking: Tracking, riskstream_version: str) -> RegisteredVersion | None:
    for version in registered_versions(tracking):
        if riskstream_version in (version.riskstream_version, version.registry_version):
            return version
    return None


def set_alias(tracking: Tracking, riskstream_version: str, alias: str) -> str | None:
    """Point the registry alias at the version tagged ``riskstream_version``.

    Returns the registry version, or None when that model was never registered (for
    example a model trained by ``riskstream train --no-track``).
    """
    found = _registry_version(tracking, riskstream_version)
    if found is None:
        return None
    _client(tracking).set_registered_model_alias(tracking.model_name, alias, found.registry_version)
    return found.registry_version


def clear_alias(tracking: Tracking, alias: str) -> None:
    client = _client(tracking)
    from mlflow.exceptions import MlflowException

    try:
        client.delete_registered_model_alias(tracking.model_name, alias)
    except MlflowException:
        return


def download_model(tracking: Tracking, version: str, into: Path) -> tuple[str, Path]:
    """Fetch a registered model's riskstream files (``version``: registry number or id).

    Returns the riskstream version id and the directory holding ``model.txt`` and
    ``meta.json`` (to be saved into the local store for serving).
    """
    found = _registry_version(tracking, version)
    if found is None or found.run_id is None or found.riskstream_version is None:
        raise TrackingError(
            f"no registered model version {version!r} in {tracking.model_name!r}; "
            "see `riskstream models list`"
        )
    client = _client(tracking)
    path = client.download_artifacts(found.run_id, "riskstream_model", str(into))
    return found.riskstream_version, Path(path)
