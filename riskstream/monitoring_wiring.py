"""Monitoring as the commands run it: the guard rolls the champion back through the
model lifecycle (local alias, registry alias and the ``model.rolled_back`` audit record)."""

from __future__ import annotations

from collections.abc import Callable

from audit import AuditLog
from contracts import Clock, Settings
from db import Database
from models import AliasChange
from monitoring.app import Monitoring

__all__ = ["GUARD_ACTOR", "build_monitoring", "champion_rollback"]

GUARD_ACTOR = "system:rollout_guard"


def champion_rollback(settings: Settings) -> Callable[[], AliasChange]:
    """The guard's champion rollback: the same move as `riskstream models rollback`."""

    def rollback() -> AliasChange:
        from riskstream.model_ops import move_alias

        return move_alias(settings, "rollback", "champion", actor=GUARD_ACTOR).change

    return rollback


def build_monitoring(
    settings: Settings, *, database: Database, audit: AuditLog, clock: Clock
) -> Monitoring:
    return Monitoring.build(
        settings,
        database=database,
        audit=audit,
        clock=clock,
        model_rollback=champion_rollback(settings),
    )
