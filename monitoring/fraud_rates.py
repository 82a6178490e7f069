"""Measure the fraud rates the SCA exemption advice needs (rolling 90 days, by value).

PSD2 RTS Art. 19: the fraud rate is the value of fraudulent remote card payments over
the value of all remote card payments in the period. Here: e-commerce decisions that
were not declined, decided in the last ``window_days``; fraudulent when any label
says fraud. Values are converted to EUR. Merchants with fewer than
``min_merchant_payments`` such payments get no rate of their own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from db import Database
from disputes.models import LabelRecord
from features.money import RatesTable
from review_queue.models import DecisionLogEntry
from sca import FraudRates

__all__ = ["measure_fraud_rates"]


def measure_fraud_rates(
    database: Database,
    now: datetime,
    *,
    window_days: int = 90,
    min_merchant_payments: int = 100,
    eur: RatesTable | None = None,
) -> FraudRates:
    """The deployment's (acquirer's) and each merchant's remote-payment fraud rate."""
    eur = eur or RatesTable.from_mapping(base="EUR")
    D, L = DecisionLogEntry, LabelRecord  # noqa: N806 - table aliases
    fraud_ids = (
        select(L.transaction_id).where(L.is_fraud.is_(True)).group_by(L.transaction_id).subquery()
    )
    fraud = case((fraud_ids.c.transaction_id.is_not(None), 1), else_=0)
    query = (
        select(
            D.merchant_id,
            D.currency,
            func.count().label("n"),
            func.sum(D.amount).label("value"),
            func.sum(D.amount * fraud).label("fraud_value"),
        )
        .select_from(D)
        .outerjoin(fraud_ids, fraud_ids.c.transaction_id == D.transaction_id)
        .where(
            D.decided_at >= now - timedelta(days=window_days),
            D.decided_at < now,
            D.action != "decline",
            D.channel == "ecommerce",
        )
        .group_by(D.merchant_id, D.currency)
    )
    value: dict[str, float] = defaultdict(float)
    fraud_value: dict[str, float] = defaultdict(float)
    payments: dict[str, int] = defaultdict(int)
    with database.transaction() as session:
        for row in session.execute(query):
            factor = eur.factors.get(row.currency)
            if factor is None:
                continue
            value[row.merchant_id] += float(row.value or 0) * factor
            fraud_value[row.merchant_id] += float(row.fraud_value or 0) * factor
            payments[row.merchant_id] += int(row.n)
    total = sum(value.values())
    total_fraud = sum(fraud_value.values())
    merchants = {
        merchant: round(fraud_value[merchant] / value[merchant] * 10_000, 4)
        for merchant in value
        if payments[merchant] >= min_merchant_payments and value[merchant] > 0
    }
    return FraudRates(
        acquirer_bps=round(total_fraud / total * 10_000, 4) if total > 0 else None,
        merchant_bps=merchants,
        window_days=window_days,
        remote_value_eur_minor=round(total),
        fraud_value_eur_minor=round(total_fraud),
        computed_at=now.isoformat(),
    )
