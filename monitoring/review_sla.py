"""Review SLA: how fast people decide held payments, and how many the clock decided.

A case meets its SLA when an analyst approves or declines it before ``sla_due_at``;
a case the SLA sweeper closed with the default action (``defaulted``) missed it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitoring.tables import Cell, Period, Table
from review_queue.models import ReviewCase
from review_queue.views import OPEN_STATUSES

__all__ = ["QueueState", "queue_state", "review_sla"]

DECIDED = frozenset({"approved", "declined"})


@dataclass(frozen=True, slots=True)
class QueueState:
    depth: dict[str, int]
    oldest_age_s: float
    overdue: int

    @property
    def open_cases(self) -> int:
        return sum(self.depth.values())


def queue_state(session: Session, now: datetime) -> QueueState:
    """Open cases by status, the oldest one's age, how many are past their SLA."""
    C = ReviewCase  # noqa: N806 - a table alias
    depth = {
        status: int(n)
        for status, n in session.execute(
            select(C.status, func.count()).where(C.status.in_(OPEN_STATUSES)).group_by(C.status)
        )
    }
    oldest = session.execute(
        select(func.min(C.created_at)).where(C.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()
    overdue = session.execute(
        select(func.count()).where(C.status.in_(OPEN_STATUSES), C.sla_due_at < now)
    ).scalar_one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return QueueState(depth, age, int(overdue))


def review_sla(session: Session, period: Period) -> Table:
    """Per day of case creation: opened, decided in time, late, defaulted, median hours."""
    C = ReviewCase  # noqa: N806 - a table alias
    rows = session.execute(
        select(C.created_at, C.status, C.resolved_at, C.sla_due_at).where(
            C.created_at >= period.start, C.created_at < period.end
        )
    ).all()
    opened: dict[str, int] = defaultdict(int)
    in_time: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    defaulted: dict[str, int] = defaultdict(int)
    hours: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        day = row.created_at.date().isoformat()
        opened[day] += 1
        if row.status == "defaulted":
            defaulted[day] += 1
        elif row.status in DECIDED and row.resolved_at is not None:
            hours[day].append((row.resolved_at - row.created_at).total_seconds() / 3600)
            if row.resolved_at <= row.sla_due_at:
                in_time[day] += 1
            else:
                late[day] += 1
    table_rows: list[tuple[Cell, ...]] = []
    for day in sorted(opened):
        closed = in_time[day] + late[day] + defaulted[day]
        table_rows.append(
            (
                day,
                opened[day],
                in_time[day],
                late[day],
                defaulted[day],
                opened[day] - closed,
                round(in_time[day] / closed * 100, 2) if closed else None,
                round(statistics.median(hours[day]), 2) if hours[day] else None,
            )  # fmt: skip
        )
    return Table(
        "review_sla",
        "Review SLA by day of case creation",
        (
            "day",
            "opened",
            "decided_in_sla",
            "decided_late",
            "defaulted",
            "still_open",
            "in_sla_pct",
            "median_hours_to_decision",
        ),  # fmt: skip
        tuple(table_rows),
        note="Defaulted cases were closed by the SLA sweeper with the default action.",
    )
