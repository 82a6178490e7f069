"""The stream worker (`riskstream worker`, a child process) on the real broker and Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import ACTIONS, Settings
from tests.factories import event_dict, luhn_complete, token
from tests.served import free_port
from tests.streams import (
    create_topics,
    metric_sum,
    produce,
    read_topic,
    running_worker,
    scrape_until,
)

pytestmark = pytest.mark.integration


def _messages(events: list[dict[str, Any]]) -> list[tuple[bytes | None, bytes]]:
    return [(e["card"]["fingerprint"].encode(), orjson.dumps(e)) for e in events]


def _by_id(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["transaction_id"], []).append(record)
    return grouped


def test_events_come_back_as_decisions_and_bad_ones_go_aside(
    stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings
    asyncio.run(create_topics(settings))
    valid = [event_dict() for _ in range(40)]
    pan = luhn_complete("4", 16)
    with_pan = event_dict(metadata={"note": f"card {pan}"})
    schema_bad = event_dict(amount=12.5)
    messages = _messages(valid[:20])
    messages += [
        (None, b"{not json"),
        (None, orjson.dumps(with_pan)),
        (None, orjson.dumps(schema_bad)),
    ]
    messages += _messages(valid[20:])

    port = free_port()
    metrics_env = {"RISKSTREAM_WORKER_METRICS_PORT": str(port)}
    with running_worker(settings, tmp_path / "worker", **metrics_env) as log_path:
        asyncio.run(produce(settings, settings.topic("transactions"), messages))
        decisions = asyncio.run(
            read_topic(
                settings,
                settings.topic("decisions"),
                until=lambda records: len(_by_id(records)) >= len(valid),
                timeout_s=90,
            )
        )
        dead = asyncio.run(
            read_topic(settings, settings.topic("transactions.dlq"), until=lambda r: len(r) >= 3)
        )
        alerts = asyncio.run(
            read_topic(settings, settings.topic("alerts.pci"), until=lambda r: len(r) >= 1)
        )
        metrics = scrape_until(
            port, lambda text: metric_sum(text, "riskstream_decisions_total") >= len(valid)
        )
    log_text = log_path.read_text(errors="replace")

    by_id = _by_id(decisions)
    assert set(by_id) == {e["transaction_id"] for e in valid}, log_text[-3000:]
    for records in by_id.values():
        assert all(r == records[0] for r in records)  # a redelivery repeats, never differs
        assert records[0]["action"] in ACTIONS
        assert records[0]["mode"] == "rules_only"  # no model in this data dir
    assert with_pan["transaction_id"] not in by_id
    assert schema_bad["transaction_id"] not in by_id

    reasons = Counter(letter["reason"] for letter in dead)
    assert reasons == {"invalid_json": 1, "pci_violation": 1, "schema": 1}
    pci_letter = next(letter for letter in dead if letter["reason"] == "pci_violation")
    assert pci_letter["payload"] is None
    assert next(letter for letter in dead if letter["reason"] == "schema")["payload"]
    assert all(letter["position"]["offset"] is not None for letter in dead)

    assert len(alerts) == 1
    assert alerts[0]["transaction_id"] == with_pan["transaction_id"]
    assert alerts[0]["findings"] == [{"path": "metadata.note", "kind": "card_number"}]
    # the worker's own Prometheus page (RISKSTREAM_WORKER_METRICS_PORT); at-least-once
    # delivery may count a redelivered batch twice, never fewer
    assert metric_sum(metrics, "riskstream_decisions_total") >= len(valid)
    assert metric_sum(metrics, "riskstream_dead_letters_total") >= 3
    assert metric_sum(metrics, "riskstream_pci_alerts_total") >= 1
    assert 'riskstream_stage_latency_seconds_count{stage="features"}' in metrics
    everything = orjson.dumps([decisions, dead, alerts]).decode() + log_text + metrics
    assert pan not in everything


def test_a_redelivered_batch_changes_no_velocity_counter(
    stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings
    asyncio.run(create_topics(settings))
    card = {"fingerprint": token("fpRedeliver", 8)}
    customer = token("cus_")
    first = [event_dict(card=card, customer_id=customer) for _ in range(3)]
    probe = event_dict(card=card, customer_id=customer)
    topic = settings.topic("transactions")

    def decided(ids: set[str]) -> Any:
        return lambda records: ids <= {r["transaction_id"] for r in records}

    with running_worker(settings, tmp_path / "worker"):
        asyncio.run(produce(settings, topic, _messages(first)))
        asyncio.run(
            read_topic(
                settings,
                settings.topic("decisions"),
                until=decided({e["transaction_id"] for e in first}),
            )
        )
        asyncio.run(produce(settings, topic, _messages(first)))  # the same batch again
        asyncio.run(produce(settings, topic, _messages([probe])))
        records = asyncio.run(
            read_topic(
                settings, settings.topic("decisions"), until=decided({probe["transaction_id"]})
            )
        )
    by_id = _by_id(records)
    features = by_id[probe["transaction_id"]][0]["features"]
    assert features["card_count_1h"] == 3
    assert features["customer_count_1h"] == 3
    assert features["card_amount_sum_1h"] == 3 * 2500
    for event in first:  # each redelivered transaction got its first decision back
        copies = by_id[event["transaction_id"]]
        assert len(copies) == 2 and copies[0] == copies[1]


def test_labels_feed_the_merchant_fraud_share(stack_settings: Settings, tmp_path: Path) -> None:
    """A fraud label on `labels` moves the merchant's delayed fraud share for later events."""
    from datetime import datetime, timedelta

    from contracts import LabelEvent
    from tests.factories import BASE_TIME

    settings = stack_settings
    asyncio.run(create_topics(settings))
    merchant = "acct_" + token("Labelled", 6)[8:] + "x"
    day0 = [
        event_dict(merchant_id=merchant, event_time=(BASE_TIME + timedelta(hours=i)).isoformat())
        for i in range(4)
    ]
    fraud = day0[0]
    label = LabelEvent(
        label_id="cb-1",
        transaction_id=fraud["transaction_id"],
        is_fraud=True,
        category="fraud",
        source="chargeback",
        merchant_id=merchant,
        card_bin=fraud["card"]["bin"],
        event_time=datetime.fromisoformat(fraud["event_time"]),
        reported_at=BASE_TIME + timedelta(days=5),
    )

    def probe(n: int) -> dict[str, Any]:
        return event_dict(
            merchant_id=merchant, event_time=(BASE_TIME + timedelta(days=8, minutes=n)).isoformat()
        )

    topic = settings.topic("transactions")
    with running_worker(settings, tmp_path / "worker"):
        asyncio.run(produce(settings, topic, _messages(day0)))
        ids = {e["transaction_id"] for e in day0}
        asyncio.run(
            read_topic(
                settings,
                settings.topic("decisions"),
                until=lambda r: ids <= {d["transaction_id"] for d in r},
            )
        )
        asyncio.run(
            produce(settings, settings.topic("labels"), [(None, label.model_dump_json().encode())])
        )
        shares: list[float] = []
        for attempt in range(30):
            event = probe(attempt)
            asyncio.run(produce(settings, topic, _messages([event])))
            records = asyncio.run(
                read_topic(
                    settings,
                    settings.topic("decisions"),
                    until=lambda r, t=event["transaction_id"]: any(
                        d["transaction_id"] == t for d in r
                    ),
                )
            )
            decision = next(d for d in records if d["transaction_id"] == event["transaction_id"])
            shares.append(decision["features"].get("merchant_fraud_share_30d", 0.0))
            if shares[-1] > 0:
                break
    # 1 fraud among the merchant's 4 transactions of the window ending 7 days before
    assert shares[-1] == 0.25
