"""`riskstream bench …`: public and internal benchmarks, one subcommand each.

``bench handbook`` runs the Fraud Detection Handbook's public card-fraud benchmark
(:mod:`bench.handbook`). Other benchmarks add their subcommand to :data:`bench_group`.
:func:`register` may be called more than once (it adds the same group again).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from riskstream.cli_support import fail, progress_printer

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
def handbook(data: Path, protocol: str, out: Path, train_start: datetime, folds: int) -> None:
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


def register(main: click.Group) -> None:
    """Add ``bench`` to the ``riskstream`` command."""
    main.add_command(bench_group)
