"""Scoring metrics from decisions and stage timings; the migration backfills old decisions."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

import db
from monitoring import MonitoringMetrics
from tests.review_support import make_decision


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_batch_and_its_stages_become_metrics() -> None:
    metrics = MonitoringMetrics()
    decisions = [make_decision(action="decline", score=0.97), make_decision(action="approve")]
    metrics.scoring.observe_batch(decisions, dead_letters=1, pci_alerts=1)
    metrics.scoring.observe_stage("features", 0.004, 2)
    metrics.stream.observe_decisions([d.model_dump(mode="json") for d in decisions])
    samples = _samples(metrics.exposition().decode())
    assert samples[("riskstream_decisions_total", (("action", "decline"), ("mode", "full")))] == 1
    assert (
        samples[("riskstream_stream_decisions_total", (("action", "approve"), ("mode", "full")))]
        == 1
    )
    hit = (("action", "review"), ("rule_id", "velocity_card_1h"), ("shadow", "false"))
    assert samples[("riskstream_rule_hits_total", hit)] == 2
    assert samples[("riskstream_stage_latency_seconds_count", (("stage", "features"),))] == 1
    assert samples[("riskstream_decision_score_bucket", (("le", "0.95"),))] == 1
    assert samples[("riskstream_pci_alerts_total", ())] == 1
    assert samples[("riskstream_batch_events_count", ())] == 1


def test_revision_0004_fills_slices_and_rule_hits_of_logged_decisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url, "0003_review_queue")
    decision = make_decision(card_bin="52000000", card_country="DE", channel="moto")
    engine = db.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO decision_log (transaction_id, merchant_id, card_fingerprint, "
                    "card_brand, action, score, amount, currency, mode, model_version, "
                    "rule_set_version, event_time, decided_at, recorded_at, payload) VALUES "
                    "(:t, 'acct_X', 'fp', 'visa', 'review', 0.7, 100, 'EUR', 'full', 'm', 'r', "
                    ":at, :at, :at, :payload)"
                ),
                {
                    "t": decision.transaction_id,
                    "at": decision.decided_at.replace(tzinfo=None),
                    "payload": decision.model_dump_json(),
                },  # fmt: skip
            )
        db.upgrade(url)
        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT card_bin, card_country, channel, latency_ms FROM decision_log")
            ).one()
            hits = connection.execute(sa.text("SELECT rule_id FROM decision_rule_hits")).all()
    finally:
        engine.dispose()
    assert tuple(row) == ("52000000", "DE", "moto", 4.2)
    assert [h.rule_id for h in hits] == ["velocity_card_1h"]


def test_a_scored_batch_is_counted_from_arrays_and_edges_are_inclusive() -> None:
    metrics = MonitoringMetrics()
    metrics.scoring.observe_scored(
        ["approve", "approve", "decline"],
        [0.1, float("nan"), 0.99],  # NaN: no model score
        7.5,
        mode="full",
        rule_hits=[("score_decline", "decline", False), ("probe", "review", True)],
    )
    samples = _samples(metrics.exposition().decode())
    assert samples[("riskstream_decisions_total", (("action", "approve"), ("mode", "full")))] == 2
    assert samples[("riskstream_decision_score_count", ())] == 2
    assert samples[("riskstream_decision_score_bucket", (("le", "0.1"),))] == 1  # 0.1 <= 0.1
    assert samples[("riskstream_decision_score_bucket", (("le", "0.05"),))] == 0
    assert samples[("riskstream_decision_latency_seconds_count", ())] == 3
    shadow = (("action", "review"), ("rule_id", "probe"), ("shadow", "true"))
    assert samples[("riskstream_rule_hits_total", shadow)] == 1


def test_a_reference_is_built_from_the_scored_test_slice_stored_with_the_model(
    tmp_path: Path,
) -> None:
    import numpy as np
    import pandas as pd

    from monitoring import ReferenceStore

    version_dir = tmp_path / "models" / "versions" / "m-7"
    version_dir.mkdir(parents=True)
    scores = np.linspace(0.0, 1.0, 1001) ** 3
    pd.DataFrame({"score": scores, "target": 0}).to_parquet(version_dir / "holdout.parquet")
    store = ReferenceStore(tmp_path)
    reference = store.get("m-7")
    assert reference.rows == 1001 and len(reference.shares) == 10
    assert abs(sum(reference.shares) - 1.0) < 1e-9
    assert (tmp_path / "monitoring" / "references" / "m-7.json").is_file()  # kept
    assert store.find("m-unknown") is None
