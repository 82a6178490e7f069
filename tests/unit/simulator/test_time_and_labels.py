from __future__ import annotations

from collections import Counter
from datetime import timedelta

from simulator import (
    Label,
    SimulatedTransaction,
    Simulator,
    labels_in_order,
    with_labels,
)
from tests.unit.simulator.conftest import MONTH, SMALL


def test_events_are_in_event_time_order_inside_the_period(
    month: list[SimulatedTransaction],
) -> None:
    times = [t.event_time for t in month]
    assert times == sorted(times)
    assert times[0] >= MONTH.start
    assert times[-1] < MONTH.end


def test_transaction_ids_are_unique(month: list[SimulatedTransaction]) -> None:
    ids = Counter(t.transaction_id for t in month)
    assert ids.most_common(1)[0][1] == 1


def test_event_times_are_aware_utc(small: list[SimulatedTransaction]) -> None:
    assert all(t.event_time.utcoffset() == timedelta(0) for t in small)


def test_labels_never_precede_their_transaction(month: list[SimulatedTransaction]) -> None:
    labelled = [t for t in month if t.label is not None]
    assert labelled
    for transaction in labelled:
        assert transaction.label is not None
        assert transaction.label.transaction_id == transaction.transaction_id
        assert transaction.label.reported_at > transaction.event_time
        assert transaction.label.reported_at.utcoffset() == timedelta(0)


def test_label_kinds_match_the_ground_truth(month: list[SimulatedTransaction]) -> None:
    for transaction in month:
        if transaction.label is None:
            continue
        if transaction.is_fraud:
            assert transaction.label.label == "fraud"
        else:
            assert transaction.label.label == "legit_dispute"
            assert transaction.label.source == "chargeback"
            assert transaction.event.kind == "purchase"


def test_fraud_is_reported_late_and_not_always(month: list[SimulatedTransaction]) -> None:
    fraud = [t for t in month if t.is_fraud]
    reported = [t for t in fraud if t.label is not None]
    assert 0.5 < len(reported) / len(fraud) < 0.95  # some fraud is never reported
    delays = sorted((t.label.reported_at - t.event_time).days for t in reported if t.label)
    assert delays[0] >= 1
    assert delays[-1] <= 61
    assert delays[len(delays) // 2] <= 21  # skewed: most within three weeks
    sources = Counter(t.label.source for t in reported if t.label)
    assert sources["chargeback"] > 0 and sources["fraud_report"] > 0
    # Nobody files a chargeback for a zero-amount check.
    assert all(
        t.label is None or t.label.source == "fraud_report"
        for t in fraud
        if t.event.kind == "card_check"
    )


def test_some_legitimate_purchases_are_disputed(month: list[SimulatedTransaction]) -> None:
    legit = [t for t in month if not t.is_fraud]
    disputed = [t for t in legit if t.label is not None]
    assert 0.0005 < len(disputed) / len(legit) < 0.005


def test_label_stream_is_ordered_by_reported_at(month: list[SimulatedTransaction]) -> None:
    labels = labels_in_order(month)
    assert len(labels) == sum(t.label is not None for t in month)
    keys = [(label.reported_at, label.transaction_id) for label in labels]
    assert keys == sorted(keys)
    assert Simulator(SMALL).labels() == labels_in_order(Simulator(SMALL).run())


def test_with_labels_releases_each_label_once_event_time_passes_it(
    small: list[SimulatedTransaction],
) -> None:
    items = list(with_labels(small))
    positions = [i for i, item in enumerate(items) if isinstance(item, SimulatedTransaction)]
    at = {i: item for i, item in enumerate(items) if isinstance(item, SimulatedTransaction)}
    last = positions[-1]
    for index, item in enumerate(items):
        if not isinstance(item, Label):
            continue
        before = [at[p] for p in positions if p < index]
        after = [at[p] for p in positions if p > index]
        if before:
            assert before[-1].event_time < item.reported_at  # not released early
        if index < last:
            assert after[0].event_time >= item.reported_at  # released on time
    labels = [item for item in items if isinstance(item, Label)]
    assert len(labels) == len({label.transaction_id for label in labels})
    assert {label.transaction_id for label in labels} == {
        t.transaction_id for t in small if t.label is not None
    }
    tail = [item.reported_at for item in items[last + 1 :] if isinstance(item, Label)]
    assert tail == sorted(tail)


def test_labels_round_trip_through_dicts(month: list[SimulatedTransaction]) -> None:
    for label in labels_in_order(month)[:200]:
        assert Label.from_dict(label.to_dict()) == label
