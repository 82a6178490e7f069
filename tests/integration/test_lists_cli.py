"""`riskstream lists …` on the real embedded Redis and SQLite, every change audited."""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result

import db
from audit import AuditLog
from contracts import Settings, SystemClock
from riskstream.cli import main
from riskstream.stack import bootstrap
from rules import RedisListStore
from scoring.build import redis_client

pytestmark = pytest.mark.integration


def _env(settings: Settings) -> dict[str, str]:
    return {
        "RISKSTREAM_ENVIRONMENT": "test",
        "RISKSTREAM_DATA_DIR": str(settings.data_dir),
        "RISKSTREAM_KAFKA_BOOTSTRAP": bootstrap(settings),
        "RISKSTREAM_REDIS_URL": str(settings.redis_url),
        "RISKSTREAM_REDIS_NAMESPACE": settings.redis_namespace,
        "RISKSTREAM_LOG_LEVEL": "error",
    }


def _run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, ["lists", *args], env=_env(settings))


def _audited(settings: Settings) -> list[tuple[str, str, str]]:
    database = db.Database.from_settings(settings)
    try:
        with database.transaction() as session:
            log = AuditLog(environment=settings.environment, clock=SystemClock())
            return [
                (r["actor"], r["command"], r["outcome"])
                for r in log.iter_records(session)
                if r["event_type"] == "list.changed"
            ]
    finally:
        database.dispose()


async def _add_expired(settings: Settings, value: str) -> None:
    client = redis_client(settings)
    try:
        past = datetime.now(UTC) - timedelta(days=2)
        await RedisListStore(client, namespace=settings.redis_namespace).add(
            "block_ip", value, owner="old", reason="old", now=past, expires_at=past
        )
    finally:
        await client.aclose()


def test_add_show_purge_remove(stack_settings: Settings) -> None:
    settings = stack_settings
    me = f"cli:{getpass.getuser()}"
    added = _run(
        settings, "add", "block_ip", "198.51.100.20", "--reason", "botnet", "--expires", "2h"
    )
    assert added.exit_code == 0, added.output
    assert "added 198.51.100.20" in added.output and "until" in added.output
    by_owner = _run(
        settings, "add", "block_ip", "198.51.100.21", "--reason", "r", "--owner", "lena"
    )
    assert by_owner.exit_code == 0, by_owner.output

    asyncio.run(_add_expired(settings, "198.51.100.22"))
    shown = _run(settings, "show", "block_ip")
    assert shown.exit_code == 0, shown.output
    lines = {line.split("\t")[0]: line for line in shown.output.splitlines() if "\t" in line}
    assert f"owner={me}" in lines["198.51.100.20"] and "active" in lines["198.51.100.20"]
    assert "owner=lena" in lines["198.51.100.21"]
    assert "expired" in lines["198.51.100.22"]

    purged = _run(settings, "purge-expired", "block_ip")
    assert purged.exit_code == 0 and "purged 1 expired entry" in purged.output
    removed = _run(settings, "remove", "block_ip", "198.51.100.21", "--owner", "lena")
    assert removed.exit_code == 0, removed.output
    missing = _run(settings, "remove", "block_ip", "198.51.100.21")
    assert missing.exit_code != 0 and "not on list" in missing.output
    remaining = _run(settings, "show", "block_ip").output
    assert "198.51.100.20" in remaining and "198.51.100.21" not in remaining

    assert _audited(settings) == [
        (me, "list_add", "added"),
        ("lena", "list_add", "added"),
        (me, "list_purge", "expired"),
        ("lena", "list_remove", "removed"),
    ]


def test_unknown_lists_need_any_list(stack_settings: Settings) -> None:
    typo = _run(stack_settings, "add", "block_cards", "fpX", "--reason", "r")
    assert typo.exit_code != 0 and "did you mean 'block_card'" in typo.output
    early = _run(stack_settings, "add", "block_merchant", "acct_1", "--reason", "r", "--any-list")
    assert early.exit_code == 0, early.output
    bad = _run(stack_settings, "add", "block_card", "fpX", "--reason", "r", "--expires", "7 days")
    assert bad.exit_code != 0 and "30m, 12h, 7d or 2w" in bad.output
    assert [c for _, c, _ in _audited(stack_settings)] == ["list_add"]


def test_a_change_the_audit_log_cannot_record_is_undone(stack_settings: Settings) -> None:
    from access import RequestContext
    from rules.errors import ListUnavailable
    from rules.lists_admin import ListManager

    settings = stack_settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    unmigrated = db.Database.from_settings(settings)  # no audit tables: appends fail
    clock = SystemClock()
    ctx = RequestContext("anna", "analyst", None, "trace")

    async def attempt() -> tuple[object, object]:
        client = redis_client(settings)
        try:
            store = RedisListStore(client, namespace=settings.redis_namespace)
            await store.add(
                "block_ip", "198.51.100.30", owner="lena", reason="kept", now=clock.now()
            )
            before = await store.get("block_ip", "198.51.100.30")
            manager = ListManager(
                store, unmigrated, AuditLog(environment="test", clock=clock), clock
            )
            with pytest.raises(ListUnavailable, match="undone"):
                await manager.add("block_ip", "198.51.100.31", ctx, reason="new")
            with pytest.raises(ListUnavailable, match="undone"):
                await manager.add("block_ip", "198.51.100.30", ctx, reason="replaced")
            with pytest.raises(ListUnavailable, match="undone"):
                await manager.remove("block_ip", "198.51.100.30", ctx)
            assert await store.get("block_ip", "198.51.100.31") is None
            return before, await store.get("block_ip", "198.51.100.30")
        finally:
            await client.aclose()

    try:
        before, after = asyncio.run(attempt())
    finally:
        unmigrated.dispose()
    assert after == before  # the replaced and the removed entry are back as they were
