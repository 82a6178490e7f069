"""The handbook table's mapping and the protocol: folds, delayed labels, test filtering."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.handbook import compute_features
from bench.handbook_data import HANDBOOK_COLUMNS, HandbookTable, map_handbook, read_handbook
from bench.handbook_errors import HandbookError
from bench.handbook_protocol import Fold, evaluate, protocol_folds, select_test_rows
from tests.unit.bench.conftest import HandbookFactory


def test_folds_follow_the_published_dates() -> None:
    (standard,) = protocol_folds("standard")
    assert standard.describe() == {
        "train": "2018-07-25 .. 2018-07-31",
        "delay": "2018-08-01 .. 2018-08-07",
        "test": "2018-08-08 .. 2018-08-14",
    }
    starts = [str(f.train_start.date()) for f in protocol_folds("prequential")]
    assert starts == ["2018-08-15", "2018-08-08", "2018-08-01", "2018-07-25"]


def test_mapping_to_events_and_delayed_labels(make_handbook: HandbookFactory) -> None:
    frame = make_handbook()
    table = map_handbook(frame)
    tx = table.transactions
    assert str(tx["event_time"].dt.tz) == "UTC"
    assert tx["event_time"].is_monotonic_increasing
    assert (tx["amount"] == np.round(frame["TX_AMOUNT"] * 100)).all()
    assert (tx["currency"] == "USD").all()
    assert (
        tx["card_fingerprint"].str.removeprefix("card_") == frame["CUSTOMER_ID"].astype(str)
    ).all()
    assert (tx["merchant_id"].str.removeprefix("acct_") == frame["TERMINAL_ID"].astype(str)).all()
    assert list(table.source_ids) == list(frame["TRANSACTION_ID"])
    assert len(table.labels) == int(frame["TX_FRAUD"].sum())
    delay = table.labels["reported_at"] - table.labels["event_time"]
    assert (delay == pd.Timedelta(days=7)).all()


def test_reads_only_the_columns_it_may_use(tmp_path: Path, make_handbook: HandbookFactory) -> None:
    path = tmp_path / "t.parquet"
    make_handbook().to_parquet(path)
    assert tuple(read_handbook(path).columns) == HANDBOOK_COLUMNS  # no scenario, no counters
    csv = tmp_path / "t.csv"
    make_handbook().to_csv(csv, index=False)
    assert tuple(read_handbook(csv).columns) == HANDBOOK_COLUMNS


def test_bad_tables_get_clear_errors(tmp_path: Path, make_handbook: HandbookFactory) -> None:
    frame = make_handbook()
    with pytest.raises(HandbookError, match="occurs more than once"):
        map_handbook(pd.concat([frame, frame.head(1)]))
    path = tmp_path / "t.csv"
    frame.drop(columns=["TERMINAL_ID"]).to_csv(path, index=False)
    with pytest.raises(HandbookError, match="missing column"):
        read_handbook(path)


def test_merchant_fraud_share_only_uses_labels_reported_by_then(
    make_handbook: HandbookFactory,
) -> None:
    """Each row's value equals the value computed from only the labels known at its time."""
    table = map_handbook(make_handbook())
    full = compute_features(table)
    shares = [c for c in full.columns if c.startswith("merchant_fraud_share_")]
    assert shares
    labels = table.labels.sort_values("reported_at", kind="stable").reset_index(drop=True)
    reported = labels["reported_at"].to_numpy()
    known = np.searchsorted(reported, table.event_time.to_numpy(), side="right")
    for count in np.unique(known):
        partial = compute_features(
            HandbookTable(table.transactions, labels.iloc[:count], table.source_ids, table.is_fraud)
        )
        rows = known == count
        for name in shares:
            np.testing.assert_allclose(
                full.loc[rows, name].to_numpy(), partial.loc[rows, name].to_numpy(), equal_nan=True
            )
    assert np.nanmax(full["merchant_fraud_share_30d"].to_numpy()) > 0  # labels did arrive
    first_known = labels["reported_at"].min()
    before = (table.event_time < first_known).to_numpy()
    assert np.nan_to_num(full.loc[before, shares].to_numpy()).max() == 0.0


def _handbook_filter(frame: pd.DataFrame, fold: Fold) -> set[int]:
    """The handbook's own rule, in its day numbers: frauds of days [train, test day - 8]."""
    day = (frame["TX_DATETIME"] - pd.Timestamp("2018-06-01")).dt.days
    first = (fold.train_start.tz_localize(None) - pd.Timestamp("2018-06-01")).days
    kept: set[int] = set()
    for d in range(7):
        test_day = first + 14 + d
        known = set(
            frame.loc[
                (frame["TX_FRAUD"] == 1) & (day >= first) & (day <= test_day - 8), "CUSTOMER_ID"
            ]
        )
        rows = frame[(day == test_day) & ~frame["CUSTOMER_ID"].isin(known)]
        kept |= set(rows["TRANSACTION_ID"])
    return kept


def test_test_filter_drops_cards_known_to_be_compromised(make_handbook: HandbookFactory) -> None:
    frame = make_handbook()
    table = map_handbook(frame)
    for fold in protocol_folds("prequential", date(2018, 6, 24), 2):
        rows = select_test_rows(table.event_time, table.cards, table.labels, fold)
        ours = set(table.source_ids[rows].tolist())
        assert ours == _handbook_filter(frame, fold)
        in_week = (table.event_time >= fold.test_start) & (table.event_time < fold.test_end)
        assert len(ours) < int(in_week.sum())  # some known compromised card was dropped


def test_metrics_are_rank_based_and_card_level() -> None:
    times = pd.Series(pd.to_datetime(["2018-08-08 10:00"] * 4, utc=True))
    cards = np.array(["a", "a", "b", "c"], dtype=object)
    target = np.array([0, 1, 0, 0], dtype=np.int8)
    scores = np.array([0.9, 0.1, 0.5, 0.2])
    metrics = evaluate(scores, target, times, cards, k=2)
    assert metrics["auc_roc"] == pytest.approx(0.0)
    # card a: max score 0.9 and a fraud; top 2 cards are a and b: one fraudulent card of 2.
    assert metrics["card_precision_at_2"] == pytest.approx(0.5)
    one_class = evaluate(scores, np.zeros(4, dtype=np.int8), times, cards, k=2)
    assert np.isnan(one_class["auc_roc"])
    assert timedelta(days=7) == pd.Timedelta(days=7)
