"""External tables through a column mapping (CSV / Parquet; TOML / JSON / YAML mapping)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features import TABLE_COLUMNS
from tests.factories import luhn_complete
from training.errors import MappingError
from training.tables import load_labels, load_mapping, load_transactions

MAPPING = """
[transactions]
time_format = "epoch_s"
amount_unit = "major"

[transactions.columns]
transaction_id = "TxnID"
event_time = "Ts"
merchant_id = "Shop"
card_fingerprint = "CardHash"
amount = "Total"
currency = "Cur"
cvv_result = "CvvResult"

[transactions.constants]
channel = "ecommerce"
card_country = "DE"

[labels]
fraud_values = ["1"]

[labels.columns]
transaction_id = "TxnID"
reported_at = "ReportedOn"
label = "IsFraud"
"""


def _external(tmp_path: Path, card_hash: str = "h1") -> tuple[Path, Path]:
    txns = pd.DataFrame(
        {
            "TxnID": ["t1", "t2", "t3"],
            "Ts": [1767225600, 1767229200, 1767232800],
            "Shop": ["shop-a", "shop-a", "shop-b"],
            "CardHash": [card_hash, "h2", "h1"],
            "Total": ["12.50", "1000", "7"],
            "Cur": ["eur", "JPY", "KWD"],
            "CvvResult": ["M", "N", None],
            "Unused": ["x", "y", "z"],
        }
    )
    labels = pd.DataFrame(
        {"TxnID": ["t2", "t3"], "ReportedOn": ["2026-02-01", "2026-02-03"], "IsFraud": [1, 0]}
    )
    txn_path, label_path = tmp_path / "txns.csv", tmp_path / "labels.parquet"
    txns.to_csv(txn_path, index=False)
    labels.to_parquet(label_path)
    return txn_path, label_path


@pytest.mark.parametrize("fmt", ["toml", "json", "yaml"])
def test_an_external_table_maps_onto_our_columns(tmp_path: Path, fmt: str) -> None:
    import tomllib

    import yaml

    raw = tomllib.loads(MAPPING)
    path = tmp_path / f"mapping.{fmt}"
    text = {"toml": MAPPING, "json": json.dumps(raw), "yaml": yaml.safe_dump(raw)}[fmt]
    path.write_text(text)
    mapping = load_mapping(path)
    txn_path, label_path = _external(tmp_path)
    frame = load_transactions(txn_path, mapping)
    assert list(frame.columns) == list(TABLE_COLUMNS)
    assert frame["amount"].tolist() == [1250, 1000, 7000]  # EUR 2 digits, JPY 0, KWD 3
    assert frame["currency"].tolist() == ["EUR", "JPY", "KWD"]
    assert str(frame["event_time"].iloc[0]) == "2026-01-01 00:00:00+00:00"
    assert frame["channel"].unique().tolist() == ["ecommerce"]
    assert frame["cvv_result"].tolist() == ["M", "N", None]
    labels = load_labels(label_path, mapping)
    assert labels["is_fraud"].tolist() == [True, False]
    assert str(labels["reported_at"].dtype) == "datetime64[ns, UTC]" or "UTC" in str(
        labels["reported_at"].dtype
    )


def test_card_numbers_and_bad_mappings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING)
    pan = luhn_complete("4", 16)
    txn_path, _ = _external(tmp_path, card_hash=pan)
    with pytest.raises(MappingError) as refused:
        load_transactions(txn_path, load_mapping(path))
    assert "CardHash" in str(refused.value) and pan not in str(refused.value)

    path.write_text(MAPPING.replace("cvv_result = ", "cvv_code_typo = "))
    with pytest.raises(MappingError, match="unknown column 'cvv_code_typo'"):
        load_mapping(path)
    path.write_text(MAPPING.replace('card_fingerprint = "CardHash"', 'card_fingerprint = "PAN"'))
    with pytest.raises(MappingError, match="named like card data"):
        load_mapping(path)
    path.write_text(MAPPING.replace('"Total"', '"Missing"'))
    with pytest.raises(MappingError, match="no column"):
        load_transactions(txn_path, load_mapping(path))


def test_our_own_files_need_no_mapping(tmp_path: Path) -> None:
    from simulator import SimulationConfig, Simulator, write_jsonl, write_labels_jsonl

    simulated = list(Simulator(SimulationConfig(seed=3, days=1, n_customers=60)).transactions())
    write_jsonl(tmp_path / "events.jsonl", simulated)
    write_labels_jsonl(tmp_path / "labels.jsonl", simulated)
    frame = load_transactions(tmp_path / "events.jsonl")
    labels = load_labels(tmp_path / "labels.jsonl")
    assert len(frame) == len(simulated)
    assert set(labels["transaction_id"]) <= set(frame["transaction_id"])
    frame.to_parquet(tmp_path / "events.parquet")
    assert len(load_transactions(tmp_path / "events.parquet")) == len(frame)
