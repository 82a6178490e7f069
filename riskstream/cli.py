"""The `riskstream` command: one entry point for operators, analysts and data scientists."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from pathlib import Path

import click

from contracts import topic_specs
from riskstream.cli_admin import register as register_admin
from riskstream.cli_bench import register as register_bench
from riskstream.cli_models import register as register_models
from riskstream.cli_monitoring import register as register_monitoring
from riskstream.cli_perf import register as register_perf
from riskstream.cli_rules import register as register_rules
from riskstream.cli_support import fail, services, settings_from_env, setup_logging
from riskstream.stack import EmbeddedStack, StackError, bootstrap, run_sync

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="riskstream")
def main() -> None:
    """riskstream: streaming fraud detection and risk scoring for card payments."""


@main.command()
def up() -> None:
    """Start the embedded stack (broker + Redis) and keep it running until Ctrl-C."""
    settings = settings_from_env()
    setup_logging(settings.log_level)
    stack = EmbeddedStack(settings)
    try:
        state = stack.start()
    except StackError as exc:
        fail(str(exc))
    click.echo(f"kafka  {state.kafka_bootstrap}")
    click.echo(f"redis  {state.redis_url}")
    click.echo(f"state  {stack.state_path}  (other riskstream commands find the stack here)")
    click.echo("Ctrl-C (or SIGTERM) stops the stack.")
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Set explicitly: a shell starts background jobs with SIGINT ignored.
        signal.signal(sig, lambda *_: stopped.set())
    try:
        stopped.wait()
        click.echo("stopping…")
    finally:
        stack.stop()


@main.command()
def worker() -> None:
    """Run the stream worker: transactions in, decisions out."""
    from pipeline.admin import ensure_topics
    from pipeline.worker import run_worker

    settings = services(settings_from_env())
    setup_logging(settings.log_level)
    run_sync(ensure_topics(bootstrap(settings), topic_specs(settings)))
    observer = None
    if settings.worker_metrics_port:
        from prometheus_client import CollectorRegistry

        from monitoring.metrics import ScoringMetrics, serve_metrics

        registry = CollectorRegistry()
        observer = ScoringMetrics(registry)
        serve_metrics(registry, settings.worker_metrics_port)
        click.echo(f"metrics on :{settings.worker_metrics_port}/metrics", err=True)
    run_worker(settings, observer=observer)


@main.command()
@click.option("--host", default=None, help="bind address (default RISKSTREAM_HTTP_HOST)")
@click.option("--port", type=int, default=None, help="port (default RISKSTREAM_HTTP_PORT)")
@click.option(
    "--review-workers/--no-review-workers",
    default=True,
    show_default=True,
    help="also run the review queue's workers in this process",
)
def serve(host: str | None, port: int | None, review_workers: bool) -> None:
    """Serve the HTTP API and UI: /v1/score, /v1/reviews, /reviews, /openapi.json."""
    import uvicorn

    from riskstream.http import create_http_app

    settings = services(settings_from_env())
    setup_logging(settings.log_level)
    app = create_http_app(settings, review_workers=review_workers)
    uvicorn.run(
        app,
        host=host or settings.http_host,
        port=port if port is not None else settings.http_port,
        log_level="warning",
        access_log=False,
    )


@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=float, default=30.0, show_default=True, help="simulated days")
@click.option("--out", type=click.Path(path_type=Path), help="write JSONL (or .parquet) here")
@click.option("--labels-out", type=click.Path(path_type=Path), help="write labels JSONL here")
@click.option("--kafka", "to_kafka", is_flag=True, help="produce to the transactions topic")
@click.option("--rate", type=float, default=None, help="events per second (Kafka)")
@click.option("--limit", type=int, default=None, help="stop after this many events")
def simulate(
    seed: int,
    days: float,
    out: Path | None,
    labels_out: Path | None,
    to_kafka: bool,
    rate: float | None,
    limit: int | None,
) -> None:
    """Generate realistic card traffic (deterministic by seed) to a file or to Kafka."""
    import itertools

    from simulator import (
        SimulationConfig,
        Simulator,
        produce,
        write_jsonl,
        write_labels_jsonl,
        write_parquet,
    )

    settings = settings_from_env()
    setup_logging(settings.log_level)
    if not out and not to_kafka:
        fail("say where the events go: --out FILE and/or --kafka")
    simulator = Simulator(SimulationConfig(seed=seed, days=days))
    if out or labels_out:
        transactions = list(itertools.islice(simulator.transactions(), limit))
        if out and out.suffix == ".parquet":
            write_parquet(out, transactions)
        elif out:
            write_jsonl(out, transactions)
        if labels_out:
            write_labels_jsonl(labels_out, transactions)
        click.echo(f"wrote {len(transactions):,} transactions", err=True)
    if to_kafka:
        settings = services(settings)
        result = asyncio.run(
            produce(
                bootstrap(settings),
                settings.topic("transactions"),
                simulator.stream() if limit or rate else simulator.transactions(),
                rate_per_s=rate,
                limit=limit,
            )
        )
        click.echo(
            f"produced {result.events:,} events in {result.elapsed_s:.1f}s "
            f"({result.events_per_s:,.0f}/s)",
            err=True,
        )


@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=float, default=45.0, show_default=True, help="simulated history")
@click.option(
    "--maturity-days",
    type=float,
    default=10.0,
    show_default=True,
    help="train only on transactions this old: younger ones have no chargebacks yet",
)
@click.option("--promote/--no-promote", default=None, help="make it the champion")
def train(seed: int, days: float, maturity_days: float, promote: bool | None) -> None:
    """Train a LightGBM model on simulated history and store it (champion if first)."""
    settings = settings_from_env()
    setup_logging(settings.log_level)
    from riskstream.models_cli import train_first_model

    train_first_model(settings, seed=seed, days=days, promote=promote, maturity_days=maturity_days)


@main.command()
@click.option("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")
@click.option("--rate", type=float, default=400.0, show_default=True, help="events per second")
@click.option("--seed", type=int, default=7, show_default=True)
def demo(seconds: float | None, rate: float, seed: int) -> None:
    """The whole engine on the embedded stack, with a live summary."""
    from riskstream.demo import run_demo

    settings = settings_from_env()
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    try:
        code = run_demo(settings, seconds=seconds, rate=rate, seed=seed)
    except StackError as exc:
        fail(str(exc))
    sys.exit(code)


register_admin(main)
register_monitoring(main)
register_models(main)
register_rules(main)
register_bench(main)
register_perf(main)

if __name__ == "__main__":  # pragma: no cover - `python -m riskstream.cli`
    main()
