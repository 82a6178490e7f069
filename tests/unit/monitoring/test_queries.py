"""Dashboard numbers from a hand-made history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import db
from audit import AuditLog
from contracts import FrozenClock, LabelEvent, Settings
from disputes import DisputeService, from_stripe_event, record_labels
from features.money import RatesTable
from monitoring import Period, ReferenceStore, ScoreReference, Table
from monitoring.charts import build_charts
from monitoring.report import write_report
from monitoring.snapshot import collect
from review_queue import ReviewService
from tests.dispute_support import dispute_event
from tests.review_support import make_decision

DAY1 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def _decision(action: str, at: datetime, merchant: str, card_bin: str, country: str,
              score: float, hits: list[dict[str, object]] | None = None) -> object:  # fmt: skip
    return make_decision(
        action=action, event_time=at, decided_at=at, merchant_id=merchant, card_bin=card_bin,
        card_country=country, amount=1000, currency="USD", score=score, model_version="m-test",
        rule_hits=hits or [], reasons=[],
    )  # fmt: skip


def _label(transaction_id: str, fraud: bool, source: str, at: datetime) -> LabelEvent:
    return LabelEvent(
        label_id=f"{source}-{transaction_id}", transaction_id=transaction_id, is_fraud=fraud,
        category="fraud" if fraud else "service_dispute", source=source,  # type: ignore[arg-type]
        reported_at=at,
    )  # fmt: skip


@pytest.fixture
def history(
    database: db.Database, audit_log: AuditLog, clock: FrozenClock, review_settings: Settings
) -> list[object]:
    day1 = [
        _decision("approve", DAY1 + timedelta(minutes=i), "acct_A", "424242", "US", 0.05,
                  [{"rule_id": "shadow_probe", "action": "decline", "reason_code": "probe",
                    "shadow": True}] if i == 0 else None)
        for i in range(8)
    ]  # fmt: skip
    day1.append(_decision("review", DAY1 + timedelta(minutes=9), "acct_A", "424242", "US", 0.6,
                          [{"rule_id": "score_review", "action": "review",
                            "reason_code": "elevated_risk_score"}]))  # fmt: skip
    day1.append(_decision("decline", DAY1 + timedelta(minutes=10), "acct_A", "424242", "US", 0.9,
                          [{"rule_id": "blocked_card", "action": "decline",
                            "reason_code": "card_blocklisted"}]))  # fmt: skip
    day2 = [
        _decision("approve", DAY2 + timedelta(minutes=i), "acct_B", "555555", "DE", 0.3)
        for i in range(10)
    ]
    decisions = day1 + day2
    ReviewService(database, audit_log, clock, settings=review_settings).ingest(decisions)  # type: ignore[arg-type]
    ids = [d.transaction_id for d in decisions]  # type: ignore[attr-defined]
    with database.transaction() as session:
        record_labels(
            session,
            [
                _label(ids[0], True, "chargeback", clock.now()),
                _label(ids[1], False, "chargeback", clock.now()),
                _label(ids[9], True, "fraud_report", clock.now()),
                _label(ids[10], True, "fraud_report", clock.now()),
            ],
            clock.now(),
        )
    service = DisputeService(database, audit_log, clock)
    for pi in ("pi_Unknown1", ids[0]):
        event = from_stripe_event(dispute_event(pi, at=clock.now()))
        assert event is not None
        service.record(event, via="stream", body_sha256=event.event_id.ljust(64, "0"))
    return decisions


def test_rates_mix_rules_money_and_disputes(
    history: list[object], database: db.Database, clock: FrozenClock, tmp_path: Path
) -> None:
    period = Period.days(DAY1.date(), DAY2.date())
    references = ReferenceStore(tmp_path)
    references.put(ScoreReference("m-test", (0.1, 0.5), (0.5, 0.3, 0.2), 1000, "test"))
    snapshot = collect(
        database, period, now=clock.now(), rates=RatesTable.from_mapping(), references=references
    )
    t = snapshot.tables
    assert t["fraud_by_day"].rows == (
        ("2026-11-01", 10, 9, 2, 1, 2, 1111.11, 2222.22),
        ("2026-11-02", 10, 10, 1, 1, 0, 1000.0, 0.0),
    )
    assert t["action_mix"].rows[0] == ("2026-11-01", 10, 8, 0, 1, 1, 80.0, 0.0, 10.0, 10.0)
    assert [r[0] for r in t["fraud_by_merchant"].rows] == ["acct_A", "acct_B"]
    assert [r[0] for r in t["fraud_by_bin"].rows] == ["424242", "555555"]
    assert t["fraud_by_country"].column("card_country") == ["DE", "US"]  # tie: by key
    rules = {r[0]: r for r in t["rules"].rows}
    assert rules["blocked_card"] == ("blocked_card", "decline", "no", 1, 500.0, 1, 1, 100.0)
    assert rules["score_review"][3:] == (1, 500.0, 0, 0, 0.0)
    assert rules["shadow_probe"][2] == "yes" and rules["shadow_probe"][7] == 100.0
    assert t["money"].rows == (
        ("2026-11-01", 10_000, 1000, 1000, 1000, 0),
        ("2026-11-02", 10_000, 0, 0, 1000, 0),
    )
    assert {(r[0], r[1]): r[2:] for r in t["disputes"].rows} == {("chargeback", "fraud"): (2, 1, 1)}
    assert t["unmatched_disputes"].column("transaction") == ["pi_Unknown1"]
    # Drift: day 1 scores 0.05 x8, 0.6, 0.9 → bins 8/0/2; day 2 0.3 x10 → bin 1.
    assert t["drift_bins"].column("served_pct") == [40.0, 50.0, 10.0]
    assert snapshot.drift is not None and snapshot.drift.psi is not None
    assert [r[:2] for r in t["drift_by_day"].rows] == [("2026-11-01", 10), ("2026-11-02", 10)]
    assert t["review_sla"].rows[0][1] == 1  # one case opened (the review decision)
    kpis = dict(snapshot.kpis)
    assert kpis["Decisions"] == "20" and kpis["Fraud rate"] == "1,052.6 bps"
    assert kpis["Unmatched disputes"] == "1" and kpis["Open review cases"] == "1"

    charts = {c.name: c for c in build_charts(snapshot)}
    assert all(chart.points > 0 for chart in charts.values()), {
        n: c.points for n, c in charts.items()
    }
    assert charts["fraud_by_day"].svg().startswith("<svg")

    html = write_report(database, tmp_path, period, tmp_path / "out" / "r.html",
                        now=clock.now(), rates=RatesTable.from_mapping())  # fmt: skip
    text = html.read_text()
    assert text.count("<svg") == len(charts) and "acct_A" in text
    for external in ('src="http', "href='http", 'href="http', "<script", "url(http"):
        assert external not in text  # one self-contained file
    pdf = write_report(database, tmp_path, period, tmp_path / "r.pdf", now=clock.now(),
                       rates=RatesTable.from_mapping())  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF")


def test_an_empty_period_draws_empty_charts(database: db.Database, clock: FrozenClock,
                                            tmp_path: Path) -> None:  # fmt: skip
    period = Period.days(DAY1.date(), DAY1.date())
    snapshot = collect(database, period, now=clock.now(), rates=RatesTable.from_mapping(),
                       references=ReferenceStore(tmp_path))  # fmt: skip
    charts = build_charts(snapshot)
    assert {c.points for c in charts} == {0}
    assert snapshot.drift is not None and "No model scored" in snapshot.drift.message


def test_csv_export_quotes_formulas_and_blanks_nulls() -> None:
    table = Table("t", "T", ("a", "b"), (("=HYPERLINK(1)", None), ("ok", 1.5)))
    assert table.to_csv() == "a,b\n'=HYPERLINK(1),\nok,1.5\n"
