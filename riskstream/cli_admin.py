"""Operator commands: database migrations, users and tokens, the audit log, review workers."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime
from pathlib import Path

import click

from riskstream.cli_support import fail, services, settings_from_env, setup_logging

__all__ = ["register"]

ROLES = ("analyst", "lead", "admin", "service", "monitor")


@click.group("db")
def db_group() -> None:
    """The riskstream database (review queue, audit log, users)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to RISKSTREAM_DATABASE_URL (default: SQLite in the data dir)."""
    import db

    settings = settings_from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db.upgrade(settings.resolved_database_url, revision)
    except db.DatabaseError as exc:
        fail(str(exc))
    click.echo(f"database at revision {db.current_revision(settings.resolved_database_url)}")


@click.group("users")
def users_group() -> None:
    """People and machine clients, with their roles."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", is_flag=True, help="prompt for a password (for the web login)")
@click.option("--token", "with_token", is_flag=True, help="also issue an API token")
def users_add(username: str, role: str, password: bool, with_token: bool) -> None:
    """Create a user; `--token` prints an API token once (it is stored only hashed)."""
    from access import AccessError, UserDirectory

    settings = settings_from_env()
    secret = (
        click.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    )
    directory = UserDirectory.from_settings(settings)
    try:
        user = directory.create_user(username, role, password=secret)
        click.echo(f"created {user.username} ({user.role})")
        if with_token:
            issued = directory.create_token(username)
            click.echo(f"token (shown once): {issued.token}")
    except AccessError as exc:
        fail(str(exc))


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for users and machine clients."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="default", show_default=True)
def tokens_create(username: str, name: str) -> None:
    """Issue an API token; it is printed once and stored only as a hash."""
    from access import AccessError, UserDirectory

    try:
        issued = UserDirectory.from_settings(settings_from_env()).create_token(username, name)
    except AccessError as exc:
        fail(str(exc))
    click.echo(issued.token)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Re-walk the hash chain; non-zero exit names the edited or deleted record."""
    from audit import verify_audit_log

    report = verify_audit_log(settings_from_env())
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@audit_group.command("export")
@click.option("--out", type=click.Path(path_type=Path), help="file (default: stdout)")
@click.option("--since", type=click.DateTime(), default=None)
@click.option("--until", type=click.DateTime(), default=None)
def audit_export(out: Path | None, since: datetime | None, until: datetime | None) -> None:
    """Write the audit records as JSON lines for auditors (times in UTC)."""
    from datetime import UTC

    from audit import export_audit_log

    settings = settings_from_env()
    bounds = [d.replace(tzinfo=UTC) if d else None for d in (since, until)]
    if out is None:
        count = export_audit_log(settings, sys.stdout, since=bounds[0], until=bounds[1])
    else:
        with out.open("w") as handle:
            count = export_audit_log(settings, handle, since=bounds[0], until=bounds[1])
    click.echo(f"exported {count} records", err=True)


@audit_group.command("prune")
def audit_prune() -> None:
    """Drop records older than RISKSTREAM_AUDIT_RETENTION_DAYS (the chain stays verifiable)."""
    from audit import prune_audit_log

    result = prune_audit_log(settings_from_env())
    click.echo(str(result))


@click.command("review-workers")
def review_workers() -> None:
    """Run the review queue's workers alone: ingest decisions, send commands, apply SLAs."""
    from contracts import SystemClock
    from review_queue import run_review_workers

    settings = services(settings_from_env())
    setup_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_review_workers(settings, stop, clock=SystemClock())

    asyncio.run(run())


def register(main: click.Group) -> None:
    for command in (db_group, users_group, tokens_group, audit_group, review_workers):
        main.add_command(command)
