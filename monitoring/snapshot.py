"""Everything the dashboard and the report show for one period, read in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts.currency import ISO_4217_EXPONENTS
from db import Database
from disputes.models import DisputeRecord
from features.money import RatesTable
from monitoring.drift import (
    ReferenceStore,
    ScoreReference,
    population_stability_index,
    psi_level,
)
from monitoring.queries import (
    action_mix,
    breakdown,
    disputes_summary,
    money,
    rule_performance,
    score_bins,
)
from monitoring.review_sla import QueueState, queue_state, review_sla
from monitoring.tables import Cell, Period, Table, bps
from review_queue.models import DecisionLogEntry

__all__ = ["DriftView", "Snapshot", "collect", "format_minor"]


@dataclass(frozen=True, slots=True)
class DriftView:
    model_version: str | None
    reference: ScoreReference | None
    served: int
    psi: float | None
    bins: Table
    by_day: Table
    message: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    period: Period
    generated_at: datetime
    base_currency: str
    kpis: tuple[tuple[str, str], ...]
    tables: dict[str, Table] = field(default_factory=dict)
    drift: DriftView | None = None
    queue: QueueState | None = None

    def table(self, name: str) -> Table:
        return self.tables[name]


def format_minor(amount: int, currency: str) -> str:
    """Minor units as a readable major amount (integer arithmetic).

    >>> format_minor(123456, "USD")
    '1,234.56 USD'
    """
    exponent = ISO_4217_EXPONENTS.get(currency, 2)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(int(amount)), 10**exponent)
    return f"{sign}{major:,}" + (f".{minor:0{exponent}d}" if exponent else "") + f" {currency}"


def _model_in_period(session: Session, period: Period) -> str | None:
    D = DecisionLogEntry  # noqa: N806 - a table alias
    row = session.execute(
        select(D.model_version, func.count().label("n"))
        .where(
            D.decided_at >= period.start, D.decided_at < period.end, D.model_version.is_not(None)
        )
        .group_by(D.model_version)
        .order_by(func.count().desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else str(row.model_version)


def _drift(
    session: Session, period: Period, version: str | None, references: ReferenceStore
) -> DriftView:
    bins_columns = ("bin", "training_pct", "served_pct", "psi_contribution")
    day_columns = ("day", "scores", "psi")
    reference = references.find(version)
    if version is None or reference is None:
        message = (
            "No model scored in this period."
            if version is None
            else f"No training score distribution for {version}: run `riskstream monitoring "
            f"reference --model {version}`."
        )
        empty = (Table("drift_bins", "Score distribution", bins_columns, ()), Table(
            "drift_by_day", "Population stability index by day", day_columns, ()
        ))  # fmt: skip
        return DriftView(version, reference, 0, None, empty[0], empty[1], message)
    per_day = score_bins(session, period, version, reference.edges)
    totals = [sum(day[i] for day in per_day.values()) for i in range(len(reference.shares))]
    served = sum(totals)
    shares = [t / served for t in totals] if served else [0.0] * len(totals)
    psi = population_stability_index(shares, reference.shares) if served else None
    bin_rows: list[tuple[Cell, ...]] = []
    for label, expected, actual in zip(
        reference.bin_labels(), reference.shares, shares, strict=True
    ):
        contribution = population_stability_index([actual], [expected]) if served else None
        bin_rows.append(
            (
                label,
                round(expected * 100, 2),
                round(actual * 100, 2),
                None if contribution is None else round(contribution, 4),
            )  # fmt: skip
        )
    day_rows: list[tuple[Cell, ...]] = []
    for day, counts in per_day.items():
        n = sum(counts)
        if n:
            day_psi = population_stability_index([c / n for c in counts], reference.shares)
            day_rows.append((day, n, round(day_psi, 4)))
    message = (
        f"Model {version}: PSI {psi:.3f} ({psi_level(psi)}) over {served:,} scores "
        f"against {reference.rows:,} training scores ({reference.source})."
        if psi is not None
        else f"Model {version} scored nothing in this period."
    )
    return DriftView(
        version, reference, served, psi,
        Table("drift_bins", f"Score distribution of {version}: training vs served",
              bins_columns, tuple(bin_rows)),
        Table("drift_by_day", "Population stability index by day", day_columns, tuple(day_rows)),
        message,
    )  # fmt: skip


def collect(
    database: Database,
    period: Period,
    *,
    now: datetime,
    rates: RatesTable,
    references: ReferenceStore,
    model_version: str | None = None,
) -> Snapshot:
    """Read every table for ``period``; ``model_version`` (default: the period's most
    used model) is the one whose drift is measured."""
    with database.transaction() as session:
        tables = {
            t.name: t
            for t in (
                breakdown(session, period, "day"),
                action_mix(session, period),
                breakdown(session, period, "merchant"),
                breakdown(session, period, "bin"),
                breakdown(session, period, "country"),
                rule_performance(session, period),
                money(session, period, rates),
                review_sla(session, period),
                *disputes_summary(session, period),
            )
        }
        version = model_version or _model_in_period(session, period)
        drift = _drift(session, period, version, references)
        queue = queue_state(session, now)
        unmatched = session.execute(
            select(func.count()).select_from(DisputeRecord).where(DisputeRecord.matched.is_(False))
        ).scalar_one()
    tables[drift.bins.name] = drift.bins
    tables[drift.by_day.name] = drift.by_day
    return Snapshot(
        period, now, rates.base, _kpis(tables, drift, queue, int(unmatched), rates.base),
        tables, drift, queue,
    )  # fmt: skip


def _kpis(
    tables: dict[str, Table], drift: DriftView, queue: QueueState, unmatched: int, base: str
) -> tuple[tuple[str, str], ...]:
    days = tables["fraud_by_day"]
    decisions = sum(int(v or 0) for v in days.column("decisions"))
    accepted = sum(int(v or 0) for v in days.column("accepted"))
    fraud = sum(int(v or 0) for v in days.column("fraud_accepted"))
    chargebacks = sum(int(v or 0) for v in days.column("chargebacks"))
    cash = tables["money"]
    blocked = sum(int(v or 0) for v in cash.column("blocked"))
    saved = sum(int(v or 0) for v in cash.column("saved"))

    def show(value: float | None, unit: str) -> str:
        return "—" if value is None else f"{value:,.1f} {unit}"

    return (
        ("Decisions", f"{decisions:,}"),
        ("Declined", show(bps(decisions - accepted, decisions), "bps")),
        ("Fraud rate", show(bps(fraud, accepted), "bps")),
        ("Chargeback rate", show(bps(chargebacks, accepted), "bps")),
        ("Money blocked", format_minor(blocked, base)),
        ("Money saved", format_minor(saved, base)),
        ("Open review cases", f"{queue.open_cases:,}"),
        ("Unmatched disputes", f"{unmatched:,}"),
        ("Score PSI", "—" if drift.psi is None else f"{drift.psi:.3f}"),
    )
