"""The numbers behind the dashboard and the report, from the decision log and label store.

Every rate is per decision cohort: the decisions made in the period (by ``decided_at``,
UTC days), joined with every label known *now*, however late it arrived. Accepted
means not declined (approve, challenge, review). The fraud rate is accepted decisions
later labelled fraud per accepted decision; the chargeback rate is accepted decisions
with a chargeback (fraud or service) per accepted decision; both in basis points.
Queries run unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from contracts import ACTIONS
from disputes.models import DisputeRecord, LabelRecord
from features.money import RatesTable
from monitoring.tables import Cell, Period, Table, bps
from review_queue.models import DecisionLogEntry, DecisionRuleHit

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "action_mix",
    "breakdown",
    "day_bucket",
    "disputes_summary",
    "money",
    "rule_performance",
    "score_bins",
]

Dimension = Literal["day", "merchant", "bin", "country"]
DIMENSIONS: tuple[Dimension, ...] = ("day", "merchant", "bin", "country")
TOP = 20

D = DecisionLogEntry
L = LabelRecord


def day_bucket(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a UTC timestamp column, on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _labels() -> Subquery:
    """Per transaction: 1 if any label says fraud, 1 if any label is a chargeback."""
    return (
        select(
            L.transaction_id.label("transaction_id"),
            func.max(case((L.is_fraud.is_(True), 1), else_=0)).label("fraud"),
            func.max(case((L.source == "chargeback", 1), else_=0)).label("chargeback"),
        )
        .group_by(L.transaction_id)
        .subquery("labels")
    )


def _in(period: Period, column: Any) -> list[ColumnElement[bool]]:
    return [column >= period.start, column < period.end]


def _dimension(session: Session, dimension: Dimension) -> ColumnElement[Any]:
    if dimension == "day":
        return day_bucket(session, D.decided_at)
    column = {"merchant": D.merchant_id, "bin": D.card_bin, "country": D.card_country}[dimension]
    return func.coalesce(column, literal("unknown"))


def breakdown(session: Session, period: Period, dimension: Dimension) -> Table:
    """Fraud and chargeback rates by day, merchant, BIN or card country."""
    labels = _labels()
    key = _dimension(session, dimension).label("key")
    accepted = case((D.action != "decline", 1), else_=0)
    fraud = func.coalesce(labels.c.fraud, 0)
    chargeback = func.coalesce(labels.c.chargeback, 0)
    query: Select[Any] = (
        select(
            key,
            func.count().label("decisions"),
            func.sum(accepted).label("accepted"),
            func.sum(fraud).label("fraud_all"),
            func.sum(accepted * fraud).label("fraud_accepted"),
            func.sum(accepted * chargeback).label("chargebacks"),
        )
        .select_from(D)
        .outerjoin(labels, labels.c.transaction_id == D.transaction_id)
        .where(*_in(period, D.decided_at))
        .group_by(key)
    )
    if dimension == "day":
        query = query.order_by(key)
    else:
        query = query.order_by(func.count().desc(), key).limit(TOP)
    rows = []
    for row in session.execute(query):
        acc = int(row.accepted or 0)
        rows.append(
            (
                str(row.key),
                int(row.decisions),
                acc,
                int(row.fraud_all or 0),
                int(row.fraud_accepted or 0),
                int(row.chargebacks or 0),
                bps(int(row.fraud_accepted or 0), acc),
                bps(int(row.chargebacks or 0), acc),
            )  # fmt: skip
        )
    names = {"day": "day", "merchant": "merchant_id", "bin": "card_bin", "country": "card_country"}
    return Table(
        f"fraud_by_{dimension}",
        f"Fraud and chargeback rate by {dimension}"
        + ("" if dimension == "day" else f" (top {TOP} by volume)"),
        (
            names[dimension],
            "decisions",
            "accepted",
            "labelled_fraud",
            "fraud_accepted",
            "chargebacks",
            "fraud_rate_bps",
            "chargeback_rate_bps",
        ),  # fmt: skip
        tuple(rows),
    )


def action_mix(session: Session, period: Period) -> Table:
    """Approve / challenge / review / decline counts and shares per day."""
    day = day_bucket(session, D.decided_at).label("day")
    counts = [func.sum(case((D.action == a, 1), else_=0)).label(a) for a in ACTIONS]
    query = (
        select(day, func.count().label("total"), *counts)
        .where(*_in(period, D.decided_at))
        .group_by(day)
        .order_by(day)
    )
    rows = []
    for row in session.execute(query):
        total = int(row.total)
        values = [int(getattr(row, a) or 0) for a in ACTIONS]
        shares = [round(v / total * 100, 2) if total else None for v in values]
        rows.append((str(row.day), total, *values, *shares))
    return Table(
        "action_mix",
        "Decision mix per day",
        ("day", "decisions", *ACTIONS, *(f"{a}_pct" for a in ACTIONS)),
        tuple(rows),
    )


def rule_performance(session: Session, period: Period) -> Table:
    """Per rule: hits, hit rate, labelled-fraud hits and precision."""
    H = DecisionRuleHit  # noqa: N806 - a table alias
    labels = _labels()
    total = session.execute(
        select(func.count()).select_from(D).where(*_in(period, D.decided_at))
    ).scalar_one()
    fraud = func.coalesce(labels.c.fraud, 0)
    labelled = case((labels.c.transaction_id.is_not(None), 1), else_=0)
    query = (
        select(
            H.rule_id,
            func.max(H.action).label("action"),
            func.max(case((H.shadow.is_(True), 1), else_=0)).label("shadow"),
            func.count().label("hits"),
            func.sum(labelled).label("labelled"),
            func.sum(fraud).label("fraud"),
        )
        .select_from(H)
        .outerjoin(labels, labels.c.transaction_id == H.transaction_id)
        .where(*_in(period, H.decided_at))
        .group_by(H.rule_id)
        .order_by(func.count().desc(), H.rule_id)
    )
    rows = []
    for row in session.execute(query):
        hits, fraud_hits = int(row.hits), int(row.fraud or 0)
        rows.append(
            (
                row.rule_id,
                row.action,
                "yes" if row.shadow else "no",
                hits,
                bps(hits, int(total)),
                int(row.labelled or 0),
                fraud_hits,
                round(fraud_hits / hits * 100, 2) if hits else None,
            )  # fmt: skip
        )
    return Table(
        "rules",
        "Rule hit rate and precision from labels",
        (
            "rule_id",
            "action",
            "shadow",
            "hits",
            "hit_rate_bps",
            "labelled",
            "labelled_fraud",
            "precision_pct",
        ),  # fmt: skip
        tuple(rows),
        note="Precision counts labelled fraud among the rule's hits; declined payments are "
        "rarely charged back, so precision of decline rules is a lower bound.",
    )


def score_bins(
    session: Session, period: Period, model_version: str, edges: Sequence[float]
) -> dict[str, list[int]]:
    """Per day, how many of the model's scores fell in each bin (see ``drift.bin_index``)."""
    whens = [(D.score < edge, index) for index, edge in enumerate(edges)]
    bucket = case(*whens, else_=len(edges)).label("bucket") if whens else literal(0)
    day = day_bucket(session, D.decided_at).label("day")
    query = (
        select(day, bucket, func.count().label("n"))
        .where(*_in(period, D.decided_at), D.model_version == model_version, D.score.is_not(None))
        .group_by(day, bucket)
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * (len(edges) + 1))
    for row in session.execute(query):
        counts[str(row.day)][int(row.bucket)] += int(row.n)
    return dict(sorted(counts.items()))


def money(session: Session, period: Period, rates: RatesTable) -> Table:
    """Per day, in base-currency minor units: blocked, saved, lost, good payments blocked.

    * blocked: declined amount; saved: declined amount later labelled fraud;
    * lost: accepted amount later labelled fraud (what chargebacks cost);
    * good blocked: declined amount never labelled fraud (false declines, so far).
    """
    labels = _labels()
    day = day_bucket(session, D.decided_at).label("day")
    declined = case((D.action == "decline", 1), else_=0)
    fraud = func.coalesce(labels.c.fraud, 0)
    query = (
        select(
            day,
            D.currency,
            func.sum(D.amount * declined).label("blocked"),
            func.sum(D.amount * declined * fraud).label("saved"),
            func.sum(D.amount * (1 - declined) * fraud).label("lost"),
            func.sum(D.amount).label("volume"),
        )
        .select_from(D)
        .outerjoin(labels, labels.c.transaction_id == D.transaction_id)
        .where(*_in(period, D.decided_at))
        .group_by(day, D.currency)
    )
    per_day: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4))
    unconverted: set[str] = set()
    for row in session.execute(query):
        factor = rates.factors.get(row.currency)
        if factor is None:
            unconverted.add(row.currency)
            continue
        values = np.array([row.volume or 0, row.blocked or 0, row.saved or 0, row.lost or 0])
        per_day[str(row.day)] += np.round(values.astype(np.float64) * factor)
    rows: list[tuple[Cell, ...]] = []
    for key in sorted(per_day):
        volume, blocked, saved, lost = (int(v) for v in per_day[key])
        rows.append((key, volume, blocked, saved, lost, blocked - saved))
    note = f"Amounts in minor units of {rates.base}."
    if unconverted:
        note += f" Left out (no rate): {', '.join(sorted(unconverted))}."
    return Table(
        "money",
        f"Money saved vs money blocked ({rates.base})",
        ("day", "volume", "blocked", "saved", "lost_to_fraud", "good_blocked"),
        tuple(rows),
        note=note,
        money_columns=frozenset({"volume", "blocked", "saved", "lost_to_fraud", "good_blocked"}),
    )


def disputes_summary(session: Session, period: Period) -> tuple[Table, Table]:
    """Notices received in the period by kind and category, and the unmatched ones."""
    R = DisputeRecord  # noqa: N806 - a table alias
    matched = func.sum(case((R.matched.is_(True), 1), else_=0))
    query = (
        select(R.kind, R.category, func.count().label("n"), matched.label("matched"))
        .where(*_in(period, R.received_at))
        .group_by(R.kind, R.category)
        .order_by(R.kind, R.category)
    )
    counts = tuple(
        (r.kind, r.category, int(r.n), int(r.matched or 0), int(r.n) - int(r.matched or 0))
        for r in session.execute(query)
    )
    unmatched_rows = session.execute(
        select(
            R.received_at,
            R.kind,
            R.category,
            R.transaction_id,
            R.charge_id,
            R.object_id,
            R.amount,
            R.currency,
        )  # fmt: skip
        .where(R.matched.is_(False))
        .order_by(R.received_at.desc())
        .limit(50)
    ).all()
    unmatched = tuple(
        (
            _iso(r.received_at),
            r.kind,
            r.category,
            r.transaction_id or r.charge_id,
            r.object_id,
            r.amount,
            r.currency,
        )  # fmt: skip
        for r in unmatched_rows
    )
    return (
        Table(
            "disputes",
            "Chargebacks, early fraud warnings and refunds received",
            ("kind", "category", "received", "matched", "unmatched"),
            counts,
        ),
        Table(
            "unmatched_disputes",
            "Unmatched notices (kept; matched again as decisions arrive)",
            ("received_at", "kind", "category", "transaction", "object", "amount", "currency"),
            unmatched,
            note="Amounts in minor units of the notice's currency.",
        ),
    )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
