from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator import (
    FRAME_COLUMNS,
    LABEL_COLUMNS,
    SimulatedTransaction,
    SimulatorError,
    SinkError,
    labels_frame,
    labels_in_order,
    read_jsonl,
    read_labels_jsonl,
    read_parquet,
    to_frame,
    write_jsonl,
    write_labels_jsonl,
    write_parquet,
)
from tests.factories import luhn_complete

REQUIRED = (
    "transaction_id event_time merchant_id customer_id card_fingerprint card_bin card_country "
    "card_brand card_funding amount currency ip ip_country device_id email_hash billing_country "
    "shipping_country avs_result cvv_result three_ds channel kind is_fraud pattern "
    "label_reported_at"
).split()


def test_frame_has_the_flat_columns_and_types(small: list[SimulatedTransaction]) -> None:
    frame = to_frame(small)
    assert set(REQUIRED) <= set(frame.columns)
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert len(frame) == len(small)
    assert str(frame["event_time"].dtype) == "datetime64[us, UTC]"
    assert str(frame["label_reported_at"].dtype) == "datetime64[us, UTC]"
    assert frame["amount"].dtype == "int64"
    assert frame["is_fraud"].dtype == bool
    first = small[0]
    row = frame.iloc[0]
    assert row["transaction_id"] == first.transaction_id
    assert row["event_time"] == first.event_time
    assert row["card_fingerprint"] == first.event.card.fingerprint
    assert row["amount"] == first.event.amount


def test_frame_label_columns_match_the_labels(small: list[SimulatedTransaction]) -> None:
    frame = to_frame(small)
    has_label = [t.label is not None for t in small]
    unlabelled = frame[[not flag for flag in has_label]]
    assert unlabelled["label_reported_at"].isna().all()
    assert unlabelled["label"].isna().all()
    labelled = frame[has_label]
    expected = [t.label for t in small if t.label is not None]
    assert list(labelled["label_reported_at"]) == [label.reported_at for label in expected]
    assert list(labelled["label"]) == [label.label for label in expected]
    assert list(labelled["label_source"]) == [label.source for label in expected]


def test_empty_input_gives_an_empty_frame_with_the_columns() -> None:
    frame = to_frame([])
    assert frame.empty
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert tuple(labels_frame([]).columns) == LABEL_COLUMNS


def test_jsonl_is_exactly_model_dump_json_per_line(
    tmp_path: Path, small: list[SimulatedTransaction]
) -> None:
    path = tmp_path / "events.jsonl"
    assert write_jsonl(path, small) == len(small)
    lines = path.read_bytes().splitlines()
    assert lines == [t.event.model_dump_json().encode() for t in small]
    assert list(read_jsonl(path)) == [t.event for t in small]


def test_jsonl_accepts_bare_events(tmp_path: Path, small: list[SimulatedTransaction]) -> None:
    path = tmp_path / "events.jsonl"
    write_jsonl(path, (t.event for t in small[:10]))
    assert list(read_jsonl(path)) == [t.event for t in small[:10]]


def test_reading_a_bad_line_never_echoes_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    card_number = luhn_complete("4", 16)
    path.write_text(f'{{"transaction_id": "{card_number}"}}\n')
    with pytest.raises(SimulatorError) as caught:
        list(read_jsonl(path))
    assert card_number not in str(caught.value)
    assert "bad.jsonl:1" in str(caught.value)


def test_parquet_round_trips(tmp_path: Path, small: list[SimulatedTransaction]) -> None:
    path = tmp_path / "events.parquet"
    assert write_parquet(path, small) == len(small)
    pd.testing.assert_frame_equal(read_parquet(path), to_frame(small))


def test_labels_frame_is_ordered_by_reported_at(small: list[SimulatedTransaction]) -> None:
    frame = labels_frame(small)
    assert tuple(frame.columns) == LABEL_COLUMNS
    assert frame["reported_at"].is_monotonic_increasing
    assert len(frame) == sum(t.label is not None for t in small)
    assert labels_frame(labels_in_order(small)).equals(frame)


def test_labels_jsonl_round_trips(tmp_path: Path, small: list[SimulatedTransaction]) -> None:
    path = tmp_path / "labels.jsonl"
    count = write_labels_jsonl(path, small)
    assert count > 0
    assert list(read_labels_jsonl(path)) == labels_in_order(small)


def test_writing_to_a_missing_directory_is_a_sink_error(
    tmp_path: Path, small: list[SimulatedTransaction]
) -> None:
    with pytest.raises(SinkError, match="nowhere"):
        write_jsonl(tmp_path / "nowhere" / "events.jsonl", small[:1])
