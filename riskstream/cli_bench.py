"""`riskstream bench …`: public and internal benchmarks, one subcommand each.

``bench handbook`` runs the Fraud Detection Handbook's public card-fraud benchmark
(:mod:`bench.handbook`). Other benchmarks add their subcommand to :data:`bench_group`.
:func:`register` may be called more than once (it adds the same group again).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from riskstream.cli_support import fail, progress_printer, settings_from_env

if TYPE_CHECKING:
    from bench.handbook import HandbookResult
    from bench.handbook_model import ModelConfig

__all__ = ["bench_group", "register"]


@click.group("bench")
def bench_group() -> None:
    """Benchmarks: our engine measured against public results."""


@bench_group.command("handbook")
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the handbook's transaction table (.parquet or .csv) or any table with its columns",
)
@click.option(
    "--protocol",
    type=click.Choice(["standard", "prequential"]),
    default="prequential",
    show_default=True,
    help="standard split (one fold) or the prequential test protocol (4 folds)",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="directory for predictions.csv, metrics.json and comparison.png",
)
@click.option(
    "--train-start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2018-07-25",
    show_default=True,
    help="first training day: the standard split's, the prequential protocol's oldest fold",
)
@click.option(
    "--folds",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="prequential folds, one week apart (newest first)",
)
@click.option(
    "--seeds",
    "config",
    default="7",
    show_default=True,
    callback=lambda _ctx, _param, value: _model_config(value),
    help="LightGBM seeds, comma-separated: one model per seed, scores averaged "
    "(the fixed configuration is 7; another single seed shows how much the seed alone moves "
    "the metrics)",
)
@click.option(
    "--mlflow/--no-mlflow",
    "track",
    default=True,
    show_default=True,
    help="log the run (parameters, metrics, metrics.json, chart) in the MLflow store",
)
def handbook(
    data: Path,
    protocol: str,
    out: Path,
    train_start: datetime,
    folds: int,
    config: ModelConfig,
    track: bool,
) -> None:
    """Train and test on the Fraud Detection Handbook's dataset; print ours next to theirs."""
    from bench.handbook import HandbookError, run_handbook

    day: date = train_start.date()
    try:
        result = run_handbook(
            data,
            "standard" if protocol == "standard" else "prequential",
            out,
            first_train_day=day,
            folds=folds,
            config=config,
            progress=progress_printer("bench handbook: "),
        )
    except HandbookError as exc:
        fail(str(exc))
    click.echo(result.table)
    click.echo("")
    click.echo(
        f"wrote {result.predictions_path.name}, {result.metrics_path.name} and "
        f"{result.chart_path.name} to {out} in {result.seconds['total']:.1f} s "
        f"(features {result.seconds['features']:.1f} s)"
    )
    if track:
        _track_handbook(result, data, train_start.date(), folds)


def _track_handbook(result: HandbookResult, data: Path, train_start: date, folds: int) -> None:
    from training.tracking import Tracking, log_benchmark_run

    payload = json.loads(result.metrics_path.read_text())
    metrics = {
        f"{metric}_{stat}": value
        for metric, stats in result.summary.items()
        for stat, value in stats.items()
    }
    for index, fold in enumerate(result.folds):
        metrics.update(
            {f"fold{index}_{k}": v for k, v in fold.items() if isinstance(v, int | float)}
        )
        # one round count per seed; a single seed logs it as before
        metrics[f"fold{index}_rounds"] = sum(fold["rounds"]) / len(fold["rounds"])
    params: dict[str, object] = {
        "protocol": result.protocol,
        "data": data.name,
        "rows": payload["data"]["rows"],
        "train_start": train_start.isoformat(),
        "folds": folds,
        "feature_set_version": payload["feature_set_version"],
        "n_features": len(payload["features"]),
        **{f"model.{k}": v for k, v in payload["model"].items()},
    }
    tracking = Tracking.from_settings(settings_from_env())
    run_id = log_benchmark_run(
        tracking,
        experiment="riskstream-benchmarks",
        run_name=f"handbook-{result.protocol}",
        params=params,
        metrics=metrics,
        artifacts=(result.metrics_path, result.chart_path),
        tags={"benchmark": "fraud-detection-handbook"},
    )
    click.echo(f"MLflow run {run_id} (experiment riskstream-benchmarks, {tracking.uri})")


def _model_config(seeds: str) -> ModelConfig:
    """The benchmark's model with ``--seeds``; ModelConfig says what a bad list breaks."""
    from bench.handbook_errors import HandbookError
    from bench.handbook_model import ModelConfig

    try:
        return ModelConfig(seeds=tuple(int(part) for part in seeds.split(",")))
    except ValueError:
        raise click.BadParameter(
            f"{seeds!r} is not a comma-separated list of integers, e.g. 7 or 7,1,2"
        ) from None
    except HandbookError as exc:
        raise click.BadParameter(str(exc)) from None


def register(main: click.Group) -> None:
    """Add ``bench`` to the ``riskstream`` command."""
    main.add_command(bench_group)
