"""`riskstream models …`: train, list, promote, roll back, retire, thresholds, benchmarks.

MLflow (SQLite in the data directory unless RISKSTREAM_MLFLOW_TRACKING_URI says
otherwise) records every run and the registry; workers serve the local store's
champion and follow alias moves within seconds, without a restart.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from riskstream.cli_support import fail, progress_printer, settings_from_env, setup_logging

__all__ = ["register"]

ALIASES = ("champion", "challenger")


@click.group("models")
def models_group() -> None:
    """Retrain, compare, promote and roll back models (MLflow-tracked)."""


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@models_group.command("train")
@click.option("--simulate-days", type=float, default=None, help="train on simulated history")
@click.option("--seed", type=int, default=7, show_default=True, help="simulator seed")
@click.option(
    "--transactions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="events (.jsonl) or a table (.parquet/.csv)",
)
@click.option(
    "--labels",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="labels (.jsonl) or a label table (.parquet/.csv)",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="column mapping for external tables (.toml/.json/.yaml; docs/training.md)",
)
@click.option("--as-of", type=click.DateTime(), default=None, help="label cut-off (UTC)")
@click.option("--maturity-days", type=float, default=10.0, show_default=True)
@click.option(
    "--calibration", type=click.Choice(["platt", "isotonic"]), default="platt", show_default=True
)
@click.option("--search", "trials", type=int, default=0, help="random-search trials (max 40)")
@click.option("--prequential", "blocks", type=int, default=0, help="also evaluate N blocks")
@click.option("--promote", "promote_to", type=click.Choice(ALIASES), default=None)
@click.option("--track/--no-track", default=True, show_default=True, help="log to MLflow")
def models_train(
    simulate_days: float | None,
    seed: int,
    transactions: Path | None,
    labels: Path | None,
    mapping: Path | None,
    as_of: datetime | None,
    maturity_days: float,
    calibration: str,
    trials: int,
    blocks: int,
    promote_to: str | None,
    track: bool,
) -> None:
    """Build a point-in-time training set, train LightGBM, report, register in MLflow."""
    from riskstream.model_ops import move_alias, train_and_store
    from riskstream.models_cli import current_user
    from training import TrainingError
    from training.train import TrainConfig

    settings = settings_from_env()
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    progress = progress_printer()
    cutoff = _aware(as_of)
    try:
        if transactions is not None:
            if labels is None:
                fail("--transactions needs --labels (chargebacks, fraud reports, decisions)")
            from training.tables import load_labels, load_mapping, load_transactions

            column_mapping = load_mapping(mapping) if mapping else None
            progress(f"reading {transactions} and {labels}")
            frame = load_transactions(transactions, column_mapping)
            label_frame = load_labels(labels, column_mapping)
            source = f"{transactions.name} + {labels.name}"
        else:
            from simulator import SimulationConfig
            from training.simulated import simulate_history

            days = simulate_days or 45.0
            sim = SimulationConfig(seed=seed, days=days)
            progress(f"simulating {days:g} days (seed {seed})")
            frame, label_frame = simulate_history(sim)
            cutoff = cutoff or sim.end
            source = f"simulated {days:g} days, seed {seed}"
        config = TrainConfig(calibration="isotonic" if calibration == "isotonic" else "platt")
        outcome = train_and_store(
            settings,
            frame,
            label_frame,
            source=source,
            as_of=cutoff,
            maturity=timedelta(days=maturity_days),
            config=config,
            search_trials=trials,
            track=track,
            progress=progress,
        )
        if blocks:
            from training.search import prequential

            table = prequential(outcome.data, config, blocks=blocks, progress=progress)
            out = outcome.report.directory / "prequential.csv"
            table.to_csv(out, index=False)
            click.echo(table[["block", "rows", "frauds", "auc", "average_precision"]].to_string())
            progress(f"prequential table: {out}")
    except TrainingError as exc:
        fail(str(exc))
    version = outcome.fitted.meta.version
    metrics = outcome.fitted.metrics
    click.echo(
        f"{version}  AUC {metrics['auc']:.4f}  AP {metrics['average_precision']:.4f}  "
        f"CP@100 {metrics['card_precision_at_100']:.4f}  registry "
        f"{outcome.registry_version or '-'}"
    )
    if promote_to is not None:
        moved = move_alias(
            settings,
            "promote",
            "challenger" if promote_to == "challenger" else "champion",
            actor=current_user(),
            version=version,
            track=track,
        )
        click.echo(f"{promote_to}: {moved.change.before or '(none)'} -> {version}")


@models_group.command("list")
@click.option("--track/--no-track", default=True, show_default=True, help="read MLflow too")
def models_list(track: bool) -> None:
    """Model versions (oldest first) with their aliases, registry version and test metrics."""
    from riskstream.model_ops import version_rows

    settings = settings_from_env()
    rows = version_rows(settings, track=track)
    if not rows:
        click.echo("no models yet: run `riskstream models train`")
        return
    click.echo(
        f"{'version':30} {'aliases':20} {'registry':>8} {'trained_at':20} {'AUC':>7} {'AP':>7}"
    )
    for row in rows:
        click.echo(
            f"{row['version']:30} {row['aliases']:20} {row['registry']:>8} "
            f"{row['trained_at']:20} {_num(row['auc']):>7} {_num(row['ap']):>7}"
        )


def _num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4f}"


def _move(move: str, alias: str, actor: str | None, version: str | None, track: bool) -> None:
    from models import ModelError
    from riskstream.model_ops import move_alias
    from riskstream.models_cli import current_user
    from training import TrainingError

    settings = settings_from_env()
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    try:
        moved = move_alias(
            settings,
            "promote" if move == "promote" else "rollback" if move == "rollback" else "retire",
            "challenger" if alias == "challenger" else "champion",
            actor=actor or current_user(),
            version=version,
            track=track,
        )
    except (ModelError, TrainingError) as exc:
        fail(str(exc))
    change = moved.change
    registry = f" (registry version {moved.registry_version})" if moved.registry_version else ""
    click.echo(f"{alias}: {change.before or '(none)'} -> {change.after or '(none)'}{registry}")
    click.echo("workers and the HTTP endpoint switch within seconds; no restart needed")


_actor = click.option("--actor", default=None, help="who acts (audit log; default: OS user)")
_alias = click.option("--alias", type=click.Choice(ALIASES), default="champion", show_default=True)
_track = click.option("--track/--no-track", default=True, show_default=True, help="move MLflow too")


@models_group.command("promote")
@click.argument("version")
@_alias
@_actor
@_track
def models_promote(version: str, alias: str, actor: str | None, track: bool) -> None:
    """Point ALIAS at VERSION (a version id, or an MLflow registry version number)."""
    _move("promote", alias, actor, version, track)


@models_group.command("rollback")
@_alias
@_actor
@_track
def models_rollback(alias: str, actor: str | None, track: bool) -> None:
    """Point ALIAS back at the model it named before the last promotion."""
    _move("rollback", alias, actor, None, track)


@models_group.command("retire")
@click.option("--alias", type=click.Choice(ALIASES), default="challenger", show_default=True)
@_actor
@_track
def models_retire(alias: str, actor: str | None, track: bool) -> None:
    """Stop serving ALIAS (usually the challenger: its shadow scores stop)."""
    _move("retire", alias, actor, None, track)


@models_group.command("thresholds")
@click.option("--version", default=None, help="model version (default: the champion)")
@click.option(
    "--costs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML/JSON cost model (docs/training.md); defaults otherwise",
)
@click.option("--capacity", type=float, required=True, help="reviews per day the team can work")
@click.option("--rules", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--base-rules",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="rule file to copy (default RISKSTREAM_RULES_PATH or the starter pack)",
)
def models_thresholds(
    version: str | None, costs: Path | None, capacity: float, out: Path, base_rules: Path | None
) -> None:
    """Choose cost-minimising score bands on the model's test slice; write them as rules."""
    import pandas as pd

    from models import ModelError
    from riskstream.model_ops import model_store
    from rules import check_ruleset, default_policy_path, symbol_table
    from scoring import policy_symbols
    from scoring.build import registry_for
    from training import TrainingError
    from training.thresholds import CostModel, choose_bands, evaluate_bands, write_score_bands

    settings = settings_from_env()
    store = model_store(settings)
    chosen = version or store.alias("champion")
    if chosen is None:
        fail("no champion: pass --version or promote a model first")
    try:
        holdout = pd.read_parquet(store.path(chosen) / "holdout.parquet")
    except (ModelError, FileNotFoundError) as exc:
        fail(f"{exc}: retrain with `riskstream models train` (it keeps the scored test slice)")
    source = base_rules or settings.rules_path or default_policy_path()
    try:
        model = CostModel.from_file(costs) if costs else CostModel()
        args: dict[str, Any] = {
            "scores": holdout["score"].to_numpy(),
            "fraud": holdout["target"].to_numpy(),
            "amount": holdout["amount_base"].to_numpy(),
            "times": holdout["event_time"],
            "costs": model,
            "liability_shift": holdout["liability_shift"].to_numpy(),
        }
        bands = choose_bands(**args, capacity_per_day=capacity)
        current = _current_bands(source)
        before = evaluate_bands(thresholds=current, **args) if current else None
        write_score_bands(source, bands, out, version_suffix=f"bands-{chosen}")
    except TrainingError as exc:
        fail(str(exc))
    diagnostics = check_ruleset(out, symbol_table(policy_symbols(registry_for(settings))))
    if diagnostics:
        for diagnostic in diagnostics:
            click.echo(f"{out}: {diagnostic}", err=True)
        sys.exit(1)
    click.echo(f"model {chosen}, {len(holdout):,} test transactions")
    unit = settings.base_currency
    if before is not None:
        click.echo(f"current bands {_bands(before, unit)}")
    click.echo(f"chosen bands  {_bands(bands, unit)}")
    click.echo(f"wrote {out} (check it, then point RISKSTREAM_RULES_PATH at it)")


def _bands(b: Any, currency: str) -> str:
    from contracts.currency import minor_unit_exponent

    major = b.cost_per_day / 10 ** minor_unit_exponent(currency)
    return (
        f"challenge >= {b.challenge:.4f}, review >= {b.review:.4f}, decline >= {b.decline:.4f}: "
        f"expected cost {major:,.2f} {currency}/day, {b.reviews_per_day:.1f} reviews/day"
    )


def _current_bands(path: Path) -> tuple[float, float, float] | None:
    import re
    import tomllib

    try:
        rules = {r.get("id"): r.get("when", "") for r in tomllib.loads(path.read_text())["rule"]}
        values = []
        for rule_id in ("score_challenge", "score_review", "score_decline"):
            found = re.search(r"score\s*>=\s*([0-9.]+)", rules[rule_id])
            if found is None:
                return None
            values.append(float(found.group(1)))
    except (KeyError, ValueError, OSError):
        return None
    return values[0], values[1], values[2]


@models_group.command("bench-inference")
@click.option("--version", default=None, help="model version (default: the champion)")
@click.option("--days", type=float, default=5.0, show_default=True, help="simulated rows")
@click.option("--batch", type=int, default=500, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def models_bench_inference(version: str | None, days: float, batch: int, out: Path | None) -> None:
    """Single-row and batch inference cost, side by side (ratios + a PNG chart)."""
    import numpy as np

    from bench.inference import measure_inference, plot_inference
    from features import OfflineFeatures, RatesTable
    from models import LightGBMScorer
    from riskstream.model_ops import model_store
    from scoring.build import registry_for
    from simulator import SimulationConfig
    from training import normalise_labels
    from training.simulated import simulate_history

    settings = settings_from_env()
    progress = progress_printer()
    store = model_store(settings)
    chosen = version or store.alias("champion")
    if chosen is None:
        fail("no champion: pass --version or train a model first")
    scorer = LightGBMScorer.load(store.path(chosen))
    progress(f"simulating {days:g} days for feature rows")
    frame, labels = simulate_history(SimulationConfig(seed=11, days=days))
    features = OfflineFeatures(
        registry_for(settings), RatesTable.from_mapping(base=settings.base_currency)
    ).compute(frame, normalise_labels(labels))
    rows = features[list(scorer.feature_names)].to_numpy(np.float64)
    results = measure_inference(scorer._booster, rows, batch=batch, progress=progress)
    base = next(r for r in results if r.name == "lightgbm num_threads=1")
    click.echo(f"model {chosen}: {scorer._booster.num_trees()} trees, {rows.shape[1]} features")
    click.echo(
        f"{'variant':32} {'1 row µs':>10} {'vs 1 thread':>12} {'rows/s':>12} {'vs 1 thread':>12}"
    )
    for r in results:
        ratio = base.single_row_us / r.single_row_us
        batch_ratio = r.batch_rows_per_s / base.batch_rows_per_s if r.batch_rows_per_s else 0
        click.echo(
            f"{r.name:32} {r.single_row_us:10.1f} {ratio:11.2f}x "
            f"{r.batch_rows_per_s:12,.0f} {batch_ratio:11.2f}x"
        )
    path = plot_inference(
        results, out or settings.data_dir / "reports" / "inference.png", batch=batch
    )
    click.echo(f"chart: {path}")


@models_group.command("bench-calibration")
@click.option("--seeds", default="1,2,3", show_default=True, help="simulated worlds")
@click.option("--days", type=float, default=45.0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def models_bench_calibration(seeds: str, days: float, out: Path | None) -> None:
    """Where to early-stop and calibrate: layouts compared on the same test slices."""
    from bench.calibration import METRICS, measure_calibration, plot_calibration

    settings = settings_from_env()
    try:
        worlds = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail("--seeds takes comma-separated integers, e.g. 1,2,3")
    results = measure_calibration(worlds, days=days, progress=progress_printer())
    click.echo(f"{'layout':34}" + "".join(f"{m:>19}" for m in METRICS))
    for name, values in results.items():
        click.echo(f"{name:34}" + "".join(f"{values[m]:19.5f}" for m in METRICS))
    path = plot_calibration(results, out or settings.data_dir / "reports" / "calibration.png")
    click.echo(f"chart: {path}")


def register(main: click.Group) -> None:
    main.add_command(models_group)
