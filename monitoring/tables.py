"""Tables of numbers: what the dashboard shows, the report prints and CSV exports.

Money columns hold integer minor units of the base currency (never floats); rates
are basis points (1 bps = 0.01 %). Periods are half-open UTC intervals.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from monitoring.errors import MonitoringError

__all__ = ["Cell", "Period", "Table", "bps"]

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise MonitoringError("a period needs timezone-aware bounds")
        if self.end <= self.start:
            raise MonitoringError("a period must end after it starts")

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """Whole UTC days from ``first`` to ``last``, both included.

        >>> Period.days(date(2026, 11, 1), date(2026, 11, 30)).end.isoformat()
        '2026-12-01T00:00:00+00:00'
        """
        return cls(
            datetime.combine(first, time(), UTC),
            datetime.combine(last + timedelta(days=1), time(), UTC),
        )

    @classmethod
    def last_days(cls, now: datetime, days: int) -> Period:
        today = now.astimezone(UTC).date()
        return cls.days(today - timedelta(days=days - 1), today)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()

    def label(self) -> str:
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()} (UTC)"


def bps(part: float, whole: float) -> float | None:
    """``part / whole`` in basis points, None when ``whole`` is 0.

    >>> bps(3, 1000), bps(1, 0)
    (30.0, None)
    """
    return round(part / whole * 10_000, 2) if whole else None


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table; ``name`` is its slug in CSV URLs and file names."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    money_columns: frozenset[str] = field(default_factory=frozenset)

    def column(self, name: str) -> list[Cell]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if cell is None else _csv_cell(cell) for cell in row])
        return out.getvalue()


def _csv_cell(cell: Cell) -> Cell:
    # A leading = + - @ makes spreadsheets run the cell as a formula.
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
