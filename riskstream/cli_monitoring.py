"""Monitoring and dispute commands: reports, the monitoring workers, drift references."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from riskstream.cli_support import (
    fail,
    progress_printer,
    services,
    settings_from_env,
    setup_logging,
)

__all__ = ["register"]


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--{name} must be a date like 2026-11-01, got {value!r}")


@click.command("report")
@click.option("--from", "first", required=True, help="first day (YYYY-MM-DD, UTC), included")
@click.option("--to", "last", required=True, help="last day (YYYY-MM-DD, UTC), included")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="file to write (default riskstream-report-<from>-<to>.<format>)",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default=None,
              help="default: from --out's suffix, else html")  # fmt: skip
def report(first: str, last: str, out: Path | None, fmt: str | None) -> None:
    """Write the dashboard for a period as an HTML or PDF file (for people who don't log in)."""
    from sqlalchemy.exc import SQLAlchemyError

    import db
    from contracts import SystemClock
    from features.money import RatesTable
    from monitoring import MonitoringError, Period
    from monitoring.report import write_report

    settings = settings_from_env()
    setup_logging(settings.log_level)
    start, end = _day(first, "from"), _day(last, "to")
    if end < start:
        fail("--to is before --from")
    chosen = fmt or (out.suffix.lstrip(".").lower() if out and out.suffix else "html")
    if chosen not in ("html", "pdf"):
        fail(f"unknown report format {chosen!r}: use --format html or pdf")
    target = out or Path(f"riskstream-report-{start.isoformat()}-{end.isoformat()}.{chosen}")
    database = db.Database.from_settings(settings)
    try:
        started = time.monotonic()
        written = write_report(
            database, settings.data_dir, Period.days(start, end), target,
            now=SystemClock().now(), rates=RatesTable.from_mapping(base=settings.base_currency),
            fmt=chosen,  # type: ignore[arg-type]
        )  # fmt: skip
    except (MonitoringError, db.DatabaseError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot read the database ({type(exc).__name__}); is it migrated? "
             "run `riskstream db upgrade`")  # fmt: skip
    finally:
        database.dispose()
    click.echo(f"wrote {written} ({written.stat().st_size:,} bytes, "
               f"{time.monotonic() - started:.1f}s)")  # fmt: skip


@click.command("monitoring-workers")
def monitoring_workers() -> None:
    """Run the monitoring workers alone: stream tap, rollout guard, dispute consumers."""
    import db
    from audit import AuditLog
    from contracts import SystemClock
    from monitoring import serve_metrics
    from riskstream.monitoring_wiring import build_monitoring

    settings = services(settings_from_env())
    setup_logging(settings.log_level)
    clock = SystemClock()
    database = db.Database.from_settings(settings)
    audit = AuditLog(
        environment=settings.environment, clock=clock,
        retention_days=settings.audit_retention_days,
    )  # fmt: skip
    monitoring = build_monitoring(settings, database=database, audit=audit, clock=clock)
    if settings.worker_metrics_port:
        serve_metrics(monitoring.metrics.registry, settings.worker_metrics_port)
        click.echo(f"metrics on :{settings.worker_metrics_port}/metrics", err=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await monitoring.run_workers(stop)

    try:
        asyncio.run(run())
    finally:
        database.dispose()


@click.group("monitoring")
def monitoring_group() -> None:
    """Drift references and measured fraud rates."""


@monitoring_group.command("reference")
@click.option("--model", "version", default=None, help="model version (default: the champion)")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=float, default=45.0, show_default=True, help="simulated history")
def monitoring_reference(version: str | None, seed: int, days: float) -> None:
    """Store a model's training score distribution by scoring the simulated history it
    was trained on (`riskstream train --seed --days`): the baseline of the drift chart."""
    from features import RatesTable
    from models import LocalModelStore
    from monitoring import ReferenceStore
    from monitoring.baseline import reference_from_simulation
    from scoring.build import registry_for
    from simulator import SimulationConfig

    settings = settings_from_env()
    store = LocalModelStore(settings.data_dir / "models")
    version = version or store.alias("champion")
    if version is None:
        fail("no champion model: name one with --model")
    reference = reference_from_simulation(
        store, version, SimulationConfig(seed=seed, days=days), registry_for(settings),
        RatesTable.from_mapping(base=settings.base_currency), progress=progress_printer(),
    )  # fmt: skip
    path = ReferenceStore(settings.data_dir).put(reference)
    click.echo(f"stored the score reference of {version} ({reference.rows:,} scores) in {path}")


@monitoring_group.command("fraud-rates")
def monitoring_fraud_rates() -> None:
    """Measure the 90-day remote-payment fraud rates (SCA advice) and write them for workers."""
    import db
    from monitoring.fraud_rates import measure_fraud_rates
    from sca import TRA_BANDS, rates_path

    settings = settings_from_env()
    database = db.Database.from_settings(settings)
    try:
        rates = measure_fraud_rates(database, datetime.now(UTC))
    finally:
        database.dispose()
    path = rates_path(settings.data_dir)
    rates.write(path)
    shown = "—" if rates.acquirer_bps is None else f"{rates.acquirer_bps:.2f} bps"
    click.echo(f"90-day fraud rate (by value, remote payments): {shown}  → {path}")
    for band in TRA_BANDS:
        ok = rates.acquirer_bps is not None and rates.acquirer_bps <= band.reference_bps
        click.echo(f"  TRA {band.label:>16}: reference {band.reference_bps:g} bps  "
                   f"{'eligible' if ok else 'not eligible'}")  # fmt: skip


@click.group("disputes")
def disputes_group() -> None:
    """Chargebacks, early fraud warnings and refunds."""


@disputes_group.command("unmatched")
@click.option("--limit", type=int, default=50, show_default=True)
def disputes_unmatched(limit: int) -> None:
    """List stored notices that match no decision yet (newest first)."""
    import db
    from audit import AuditLog
    from contracts import SystemClock
    from disputes import DisputeService

    settings = settings_from_env()
    database = db.Database.from_settings(settings)
    try:
        clock = SystemClock()
        service = DisputeService(
            database, AuditLog(environment=settings.environment, clock=clock), clock
        )
        rows = service.unmatched(limit=limit)
    finally:
        database.dispose()
    for row in rows:
        click.echo(
            f"{row.received_at:%Y-%m-%d %H:%M}  {row.kind:<20} {row.category:<16} "
            f"{row.transaction_id or row.charge_id}  {row.object_id}"
        )
    click.echo(f"{len(rows)} unmatched", err=True)


@disputes_group.command("sign")
@click.argument("payload", type=click.File("rb"))
def disputes_sign(payload: click.utils.LazyFile) -> None:
    """Print the Stripe-Signature header for a payload file, signed now with
    RISKSTREAM_WEBHOOK_SECRET (to test the webhook with curl)."""
    from disputes import signature_header

    settings = settings_from_env()
    if settings.webhook_secret is None:
        fail("RISKSTREAM_WEBHOOK_SECRET is not set")
    body = payload.read()
    header = signature_header(body, settings.webhook_secret.get_secret_value(), int(time.time()))
    sys.stdout.write(f"Stripe-Signature: {header}\n")


def register(main: click.Group) -> None:
    for command in (report, monitoring_workers, monitoring_group, disputes_group):
        main.add_command(command)
