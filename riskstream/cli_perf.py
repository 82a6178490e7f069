"""`riskstream bench stream|http|features|feature-sets`: the engine measured.

Each runs on the running stack (`riskstream up`, or configured servers) or starts one
for its duration, trains a first model if the data directory has none, prints the
numbers with their ratios, and can write them as JSON (`--json`) and a chart.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from contracts import Settings
from riskstream.cli_bench import bench_group
from riskstream.cli_support import progress_printer, settings_from_env, setup_logging
from riskstream.stack import (
    EmbeddedStack,
    StackError,
    bootstrap,
    read_state,
    resolve_services,
)

__all__ = ["register"]


@dataclass(frozen=True, slots=True)
class _Running:
    settings: Settings
    broker_pid: int | None  # the embedded broker's process; None for a configured one


@contextlib.contextmanager
def _stack(settings: Settings) -> Iterator[_Running]:
    """The running stack's settings, or a fresh embedded stack for the duration."""
    try:
        resolved = resolve_services(settings)
    except StackError:
        pass
    else:
        state = read_state(settings.data_dir)
        embedded = state is not None and bootstrap(resolved) == state.kafka_bootstrap
        yield _Running(resolved, state.broker_pid if embedded and state else None)
        return
    stack = EmbeddedStack(settings, write_state=False)
    stack.start()
    try:
        yield _Running(stack.settings(), stack.broker_pid)
    finally:
        stack.stop()


def _with_model(settings: Settings) -> None:
    from riskstream.models_cli import model_store, train_first_model

    if model_store(settings).alias("champion") is None:
        click.echo("no champion model yet: training one on simulated history", err=True)
        train_first_model(settings, seed=7, days=45.0, promote=True)


def _emit(result: dict[str, Any], json_path: Path | None) -> None:
    click.echo(json.dumps(result, indent=2))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        click.echo(f"wrote {json_path}", err=True)


@click.command("stream")
@click.option("--events", type=int, default=20_000, show_default=True)
@click.option("--naive-events", type=int, default=1_500, show_default=True)
@click.option("--latency-seconds", type=float, default=15.0, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@click.option("--chart", type=click.Path(path_type=Path), default=Path("bench-stream.png"))
def bench_stream(
    events: int, naive_events: int, latency_seconds: float, json_path: Path | None, chart: Path
) -> None:
    """The worker vs a naive path vs the no-work loops (Faust, bare aiokafka)."""
    from bench.stream import plot_stream_bench, run_stream_bench

    settings = settings_from_env()
    setup_logging("warn")
    with _stack(settings) as running:
        resolved = running.settings
        _with_model(resolved)
        result = asyncio.run(
            run_stream_bench(
                resolved,
                events=events,
                naive_events=naive_events,
                latency_seconds=latency_seconds,
                log_dir=resolved.data_dir / "logs" / "bench",
                broker_pid=running.broker_pid,
                progress=progress_printer("bench stream: "),
            )
        )
    plot_stream_bench(result, chart)
    click.echo(f"chart: {chart}", err=True)
    _emit(result.as_dict(), json_path)


@click.command("http")
@click.option(
    "--rate",
    "rates",
    type=float,
    multiple=True,
    default=(100.0, 250.0, 500.0, 1000.0),
    show_default=True,
    help="requests/s; repeat for a sweep (the highest is the headline)",
)
@click.option("--seconds", type=float, default=20.0, show_default=True, help="per rate")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@click.option("--chart", type=click.Path(path_type=Path), default=Path("bench-http.png"))
def bench_http(
    rates: tuple[float, ...], seconds: float, json_path: Path | None, chart: Path
) -> None:
    """POST /v1/score at fixed rates from a separate load-generator process, and
    GET /healthz at the highest rate (the server doing no work)."""
    from bench.http import plot_http_bench, run_http_bench

    settings = settings_from_env()
    setup_logging("warn")
    with _stack(settings) as running:
        resolved = running.settings
        _with_model(resolved)
        result = run_http_bench(
            resolved,
            rates=rates,
            seconds=seconds,
            log_dir=resolved.data_dir / "logs" / "bench",
            progress=progress_printer("bench http: "),
        )
    plot_http_bench(result, chart)
    click.echo(f"chart: {chart}", err=True)
    _emit(result.as_dict(), json_path)


@click.command("features")
@click.option("--events", type=int, default=20_000, show_default=True)
@click.option("--batch", type=int, default=500, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def bench_features(events: int, batch: int, json_path: Path | None) -> None:
    """Our batched feature update vs one round trip per feature vs a pipelined no-op."""
    from bench.features import run_feature_bench
    from simulator import SimulationConfig, Simulator

    settings = settings_from_env()
    setup_logging("warn")
    stream = Simulator(SimulationConfig(seed=3, days=60)).transactions()
    sample = [t.event for t in itertools.islice(stream, events)]
    with _stack(settings) as running:
        result = asyncio.run(
            run_feature_bench(
                str(running.settings.redis_url),
                sample,
                batch_size=batch,
                progress=progress_printer("bench features: "),
            )
        )
    _emit(result.as_dict(), json_path)


@click.command("feature-sets")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=float, default=60.0, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def bench_feature_sets(seed: int, days: float, json_path: Path | None) -> None:
    """AP on a time-split test week: the full feature registry vs the first path's."""
    from bench.feature_sets import compare_feature_sets

    results = compare_feature_sets(
        seed=seed, days=days, progress=progress_printer("bench feature-sets: ")
    )
    for result in results:
        click.echo(
            f"{result.feature_set:>10}: {result.features:3d} model inputs  "
            f"AP {result.average_precision:.4f}  AUC {result.auc:.4f}  "
            f"(test week: {result.test_rows:,} transactions, {result.test_frauds} frauds)"
        )
    _emit({r.feature_set: r.as_dict() for r in results}, json_path)


def register(main: click.Group) -> None:
    """Add stream, http and features to `riskstream bench` (the group itself: cli_bench)."""
    del main  # the commands hang on the bench group, which cli_bench adds to main
    for command in (bench_stream, bench_http, bench_features, bench_feature_sets):
        bench_group.add_command(command)
