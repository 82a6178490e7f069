"""`riskstream lists …`: block and allow lists in Redis, every change audited.

Changes are recorded in the audit log with the actor ``cli:<os user>`` (or ``--owner``),
like the REST API records the logged-in user.
"""

from __future__ import annotations

import asyncio
import getpass
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from contracts import Settings
from riskstream.cli_support import fail, services, settings_from_env, setup_logging

__all__ = ["register"]

T = TypeVar("T")

_OWNER = click.option(
    "--owner", default=None, help="who answers for the change (default: cli:<os user>)"
)


def _actor(owner: str | None) -> str:
    if owner:
        return owner
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or password database
        return "cli:unknown"


def _run(
    settings: Settings,
    work: Callable[..., Awaitable[T]],
    *,
    check_lists: bool = True,
) -> T:
    """Open Redis, the database and the audit log; run ``work(manager)``; close them."""
    import db
    from audit import AuditLog
    from contracts import SystemClock
    from riskstream.lists_wiring import list_manager, live_policy
    from rules import RuleSetError
    from rules.errors import RulesError
    from scoring.build import redis_client

    if settings.environment != "production":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db.upgrade(settings.resolved_database_url)
    database = db.Database.from_settings(settings)
    clock = SystemClock()
    audit = AuditLog(
        environment=settings.environment,
        clock=clock,
        retention_days=settings.audit_retention_days,
    )
    policy = None
    if check_lists:
        try:
            policy = live_policy(settings)
        except RuleSetError as exc:
            click.echo(f"warning: the live policy does not load ({exc}); any list is accepted")

    async def main() -> T:
        client = redis_client(settings)
        try:
            manager = list_manager(
                settings,
                client,
                clock,
                database=database,
                audit=audit,
                policy=policy,
                any_list=policy is None,
            )
            return await work(manager)
        finally:
            await client.aclose()

    try:
        return asyncio.run(main())
    except RulesError as exc:
        fail(str(exc))
    finally:
        database.dispose()


@click.group("lists")
def lists_group() -> None:
    """Managed block and allow lists (block_card, allow_card, block_ip, …)."""


@lists_group.command("add")
@click.argument("list_name")
@click.argument("value")
@click.option("--reason", required=True, help="why (kept with the entry and in the audit log)")
@_OWNER
@click.option("--expires", default=None, help="lifetime such as 30m, 12h, 7d or 2w")
@click.option(
    "--any-list", is_flag=True, help="allow a list no rule consults yet (to fill it in advance)"
)
def lists_add(
    list_name: str,
    value: str,
    reason: str,
    owner: str | None,
    expires: str | None,
    any_list: bool,
) -> None:
    """Add VALUE to LIST_NAME (or replace its entry)."""
    from access import RequestContext
    from rules.errors import ListNameError
    from rules.lists_admin import ListManager, parse_duration

    settings = services(settings_from_env())
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    try:
        lifetime = parse_duration(expires) if expires else None
    except ListNameError as exc:
        fail(str(exc))
    ctx = RequestContext(_actor(owner), "cli", None, uuid.uuid4().hex)

    async def work(manager: ListManager) -> None:
        now = manager.clock.now()
        entry = await manager.add(
            list_name,
            value,
            ctx,
            reason=reason,
            expires_at=now + lifetime if lifetime else None,
        )
        until = f" until {entry.expires_at}" if entry.expires_at else ""
        click.echo(f"{list_name}: added {entry.value} (owner {entry.owner}){until}")

    _run(settings, work, check_lists=not any_list)


@lists_group.command("remove")
@click.argument("list_name")
@click.argument("value")
@_OWNER
def lists_remove(list_name: str, value: str, owner: str | None) -> None:
    """Remove VALUE from LIST_NAME."""
    from access import RequestContext
    from rules.lists_admin import ListManager

    settings = services(settings_from_env())
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    ctx = RequestContext(_actor(owner), "cli", None, uuid.uuid4().hex)

    async def work(manager: ListManager) -> None:
        removed = await manager.remove(list_name, value, ctx)
        click.echo(f"{list_name}: removed {removed.value} (added by {removed.owner})")

    _run(settings, work, check_lists=False)


@lists_group.command("show")
@click.argument("list_name")
def lists_show(list_name: str) -> None:
    """Print the entries of LIST_NAME (expired ones marked; they count as absent)."""
    from rules.lists_admin import ListManager

    settings = services(settings_from_env())
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)

    async def work(manager: ListManager) -> None:
        now = manager.clock.now()
        entries = await manager.entries(list_name)
        if not entries:
            click.echo(f"{list_name}: empty")
            return
        for e in entries:
            state = "expired" if e.expired(now) else "active"
            until = e.expires_at or "never"
            click.echo(
                f"{e.value}\t{state}\towner={e.owner}\tadded={e.added_at}\t"
                f"expires={until}\treason={e.reason}"
            )
        click.echo(f"{list_name}: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")

    _run(settings, work, check_lists=False)


@lists_group.command("purge-expired")
@click.argument("list_name")
@_OWNER
def lists_purge_expired(list_name: str, owner: str | None) -> None:
    """Delete the expired entries of LIST_NAME (each one audited)."""
    from access import RequestContext
    from rules.lists_admin import ListManager

    settings = services(settings_from_env())
    setup_logging("warn" if settings.log_level == "info" else settings.log_level)
    ctx = RequestContext(_actor(owner), "cli", None, uuid.uuid4().hex)

    async def work(manager: ListManager) -> None:
        purged = await manager.purge_expired(list_name, ctx)
        click.echo(
            f"{list_name}: purged {len(purged)} expired entr{'y' if len(purged) == 1 else 'ies'}"
        )

    _run(settings, work, check_lists=False)


def register(main: click.Group) -> None:
    main.add_command(lists_group)
