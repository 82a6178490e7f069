"""`riskstream rules …`: check a policy file, backtest it on labelled history.

``register(main)`` also adds the ``lists`` commands (:mod:`riskstream.cli_lists`) and
``bench rules`` (:mod:`riskstream.cli_bench`), the other commands of the rules issue.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from contracts import Settings
from riskstream.cli_support import fail, progress_printer, settings_from_env, setup_logging

if TYPE_CHECKING:
    from rules import Policy

__all__ = ["register"]


@click.group("rules")
def rules_group() -> None:
    """Check, backtest and manage rules."""


@rules_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_check(path: Path) -> None:
    """Validate a rule file against the feature registry; non-zero exit on problems."""
    from rules import check_ruleset, symbol_table
    from scoring import policy_symbols
    from scoring.build import registry_for

    settings = settings_from_env()
    symbols = symbol_table(policy_symbols(registry_for(settings)))
    diagnostics = check_ruleset(path, symbols)
    if not diagnostics:
        click.echo(f"{path}: OK")
        return
    for diagnostic in diagnostics:
        click.echo(f"{path}: {diagnostic}", err=True)
    sys.exit(1)


def load_policy(settings: Settings, path: Path) -> Policy:
    """The policy in ``path``, checked against the registry; exits 1 listing problems."""
    from rules import Policy, RuleSetError, load_ruleset, symbol_table
    from scoring import policy_symbols
    from scoring.build import registry_for

    symbols = policy_symbols(registry_for(settings))
    try:
        return Policy(load_ruleset(path, symbol_table(symbols)), symbols)
    except RuleSetError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(f"{path}: {diagnostic}", err=True)
        sys.exit(1)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "policy"


@rules_group.command("backtest")
@click.argument("rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="history: simulator Parquet/JSONL, or a table with the transaction-table columns",
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="label file (JSONL/Parquet/CSV); default: the history's label columns",
)
@click.option(
    "--against",
    "against_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the policy to compare with (default: the live one, RISKSTREAM_RULES_PATH)",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="where the CSV files and the chart go (default: DATA_DIR/backtests/VERSION)",
)
@click.option(
    "--truth-column",
    default=None,
    help="a boolean history column to use as ground truth instead of the labels "
    "(e.g. the simulator's is_fraud, which includes fraud nobody reported)",
)
@click.option(
    "--model/--no-model",
    "use_model",
    default=True,
    show_default=True,
    help="fill `score` with the champion model (when there is one)",
)
def rules_backtest(
    rules_path: Path,
    data_path: Path,
    labels_path: Path | None,
    against_path: Path | None,
    out_dir: Path | None,
    truth_column: str | None,
    use_model: bool,
) -> None:
    """Replay labelled history through RULES; compare with another version.

    Per rule and for the whole set: hits, precision, recall, fraud amount stopped, good
    amount blocked, review volume per day. Writes backtest.csv, diff.csv,
    reviews_per_day.csv and backtest.png.
    """
    from riskstream.backtest_inputs import backtest_data, labelled_history, load_champion
    from rules import default_policy_path
    from rules.backtest import (
        backtest,
        compare,
        format_report,
        write_chart,
        write_csv,
        write_diff_csv,
    )
    from rules.errors import BacktestError

    settings = settings_from_env()
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    progress = progress_printer("backtest: ")
    policy = load_policy(settings, rules_path)
    other_path = against_path or settings.rules_path or default_policy_path()
    other = load_policy(settings, other_path)
    try:
        progress(f"reading {data_path}")
        history = labelled_history(data_path, labels_path, truth_column=truth_column)
        model = load_champion(settings) if use_model else None
        data = backtest_data(settings, history, model=model, progress=progress)
        result = backtest(data, policy, progress=progress)
        baseline = backtest(data, other, progress=progress)
    except BacktestError as exc:
        fail(str(exc))
    diff = compare(result, baseline)
    click.echo(format_report(result, diff))
    for note in history.notes:
        click.echo(f"note: {note}")
    target = out_dir or settings.data_dir / "backtests" / _slug(result.version)
    target.mkdir(parents=True, exist_ok=True)
    write_csv(result, target / "backtest.csv")
    write_diff_csv(diff, target / "diff.csv")
    with (target / "reviews_per_day.csv").open("w") as handle:
        handle.write(f"day,reviews_{_slug(result.version)},reviews_{_slug(baseline.version)}\n")
        for day, new, old in zip(
            result.days, result.reviews_per_day, baseline.reviews_per_day, strict=True
        ):
            handle.write(f"{day},{new},{old}\n")
    write_chart(result, target / "backtest.png", diff)
    click.echo(f"wrote backtest.csv, diff.csv, reviews_per_day.csv, backtest.png to {target}")


@click.command("rules")
@click.option("--rows", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="simulator seed")
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def bench_rules(rows: int, seed: int, repeat: int, json_path: Path | None) -> None:
    """The starter pack on real simulated features: compiled vs row-at-a-time interpreter."""
    import json

    from bench.rules import run_rules_bench
    from riskstream.backtest_inputs import load_champion
    from rules import default_policy_path
    from rules.errors import BacktestError
    from scoring.build import registry_for

    settings = settings_from_env()
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    policy = load_policy(settings, settings.rules_path or default_policy_path())
    try:
        model = load_champion(settings)
    except BacktestError as exc:
        fail(str(exc))
    result = run_rules_bench(
        policy,
        registry_for(settings),
        rows=rows,
        seed=seed,
        repeat=repeat,
        model=model,
        progress=progress_printer("bench rules: "),
    )
    click.echo(
        f"policy {policy.version}: {result.rules} rules on {result.rows:,} rows "
        f"({result.hit_rate:.1%} with a hit; score from {result.model_version or 'no model'})"
    )
    click.echo(
        f"compiled columnar   {result.compiled_rule_evals_per_s:>14,.0f} rule evaluations/s "
        f"({result.rows / result.compiled_s:,.0f} rows/s)"
    )
    click.echo(
        f"interpreter (row)   {result.interpreted_rule_evals_per_s:>14,.0f} rule evaluations/s "
        f"({result.rows / result.interpreted_s:,.0f} rows/s)"
    )
    click.echo(
        f"ratio               {result.ratio:>14,.1f}x (same run; best of {10 * repeat} "
        f"compiled and {repeat} interpreted passes)"
    )
    if json_path is not None:
        document = {"policy": policy.version, **result.as_dict()}
        json_path.write_text(json.dumps(document, indent=2) + "\n")
        click.echo(f"wrote {json_path}", err=True)


def register(main: click.Group) -> None:
    """Add ``rules``, ``lists`` and ``bench rules`` to the ``riskstream`` command."""
    from riskstream.cli_bench import bench_group
    from riskstream.cli_bench import register as register_bench
    from riskstream.cli_lists import register as register_lists

    main.add_command(rules_group)
    register_lists(main)
    bench_group.add_command(bench_rules)
    register_bench(main)  # idempotent: the same group, now with `bench rules`
