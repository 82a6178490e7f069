"""Whole-database audit operations for the ``riskstream audit …`` commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TextIO

from audit.log import AuditLog, ChainHead, PruneResult
from audit.verify import VerifyReport
from contracts import Clock, Settings, SystemClock
from db import Database

__all__ = ["export_audit_log", "prune_audit_log", "run_audit_retention", "verify_audit_log"]

log = logging.getLogger(__name__)


def _audit(settings: Settings, clock: Clock | None = None) -> AuditLog:
    return AuditLog(
        environment=settings.environment,
        clock=clock or SystemClock(),
        retention_days=settings.audit_retention_days,
    )


def _database(settings: Settings, database: Database | None) -> tuple[Database, bool]:
    if database is not None:
        return database, False
    return Database.from_settings(settings), True


def verify_audit_log(
    settings: Settings,
    *,
    database: Database | None = None,
    expected_head: ChainHead | None = None,
) -> VerifyReport:
    """``riskstream audit verify``: re-walk the chain; ``report.ok`` / ``report.summary()``."""
    db, owned = _database(settings, database)
    try:
        with db.transaction() as session:
            return _audit(settings).verify(session, expected_head=expected_head)
    finally:
        if owned:
            db.dispose()


def export_audit_log(
    settings: Settings,
    out: TextIO,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    database: Database | None = None,
) -> int:
    """``riskstream audit export``: JSON lines for auditors; returns the record count."""
    db, owned = _database(settings, database)
    try:
        with db.transaction() as session:
            return _audit(settings).export_jsonl(session, out, since=since, until=until)
    finally:
        if owned:
            db.dispose()


def prune_audit_log(
    settings: Settings, *, clock: Clock | None = None, database: Database | None = None
) -> PruneResult:
    """``riskstream audit prune``: drop records older than ``audit_retention_days``."""
    db, owned = _database(settings, database)
    try:
        with db.transaction() as session:
            return _audit(settings, clock).prune(session)
    finally:
        if owned:
            db.dispose()


async def run_audit_retention(
    database: Database, audit: AuditLog, stop: asyncio.Event, *, interval_s: float = 86_400
) -> None:
    """Prune once per ``interval_s`` until ``stop`` is set (errors are logged, retried)."""
    while not stop.is_set():
        try:
            result = await asyncio.to_thread(_prune, database, audit)
            if result.deleted:
                log.info("audit retention pruned %d records", result.deleted)
        except Exception:
            log.exception("audit retention failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


def _prune(database: Database, audit: AuditLog) -> PruneResult:
    with database.transaction() as session:
        return audit.prune(session)
