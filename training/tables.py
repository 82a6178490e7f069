"""Transaction and label tables from files: our own events, or external tables via a mapping.

Our own data needs no mapping: a JSONL file of events (what the payment pipeline
sends, ``riskstream simulate --out``) or a Parquet/CSV table with the column names of
:data:`features.TABLE_COLUMNS`, and labels as JSONL (``--labels-out``) or a table
with ``transaction_id``, ``reported_at`` and ``is_fraud`` or ``label``.

External tables (CSV or Parquet) come with a small mapping file (TOML, JSON or YAML)
that says which of their columns is which of ours, constants for columns they lack,
how times are written and whether amounts are in major units. The format is
documented in docs/training.md. Card numbers are refused: a mapped column holding
one (13-19 Luhn-valid digits) stops the load, naming the column, never the value.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from contracts.currency import is_iso_4217, minor_unit_exponent
from contracts.pci import contains_pan, is_forbidden_field_name
from features import TABLE_COLUMNS, events_to_table
from training.errors import MappingError

__all__ = [
    "ColumnMapping",
    "MappingError",
    "LabelMapping",
    "TableMapping",
    "load_labels",
    "load_mapping",
    "load_transactions",
    "map_labels",
    "map_transactions",
    "read_table",
]

TimeFormat = Literal["iso", "epoch_s", "epoch_ms"]
REQUIRED_TRANSACTION_COLUMNS = (
    "transaction_id",
    "event_time",
    "merchant_id",
    "card_fingerprint",
    "amount",
    "currency",
)
LABEL_COLUMNS = ("transaction_id", "reported_at", "is_fraud", "label")
DEFAULT_FRAUD_VALUES = ("fraud", "1", "true", "yes", "y", "t")


@dataclass(frozen=True, slots=True)
class TableMapping:
    """How an external transaction table maps onto :data:`features.TABLE_COLUMNS`."""

    columns: Mapping[str, str] = field(default_factory=dict)  # ours -> theirs
    constants: Mapping[str, str] = field(default_factory=dict)  # ours -> value
    time_format: TimeFormat = "iso"
    amount_unit: Literal["minor", "major"] = "minor"

    def __post_init__(self) -> None:
        for ours in (*self.columns, *self.constants):
            if ours not in TABLE_COLUMNS:
                raise MappingError(
                    f"transactions: unknown column {ours!r}; ours are {', '.join(TABLE_COLUMNS)}"
                )
        for theirs in self.columns.values():
            if is_forbidden_field_name(theirs):
                raise MappingError(
                    f"transactions: column {theirs!r} is named like card data (card number, "
                    "CVV, expiry); map a token or fingerprint instead"
                )


@dataclass(frozen=True, slots=True)
class LabelMapping:
    """How an external label table maps onto ``transaction_id, reported_at, is_fraud``."""

    columns: Mapping[str, str] = field(default_factory=dict)
    time_format: TimeFormat = "iso"
    fraud_values: tuple[str, ...] = DEFAULT_FRAUD_VALUES  # compared lower-case

    def __post_init__(self) -> None:
        for ours in self.columns:
            if ours not in LABEL_COLUMNS:
                raise MappingError(
                    f"labels: unknown column {ours!r}; ours are {', '.join(LABEL_COLUMNS)}"
                )


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    transactions: TableMapping = field(default_factory=TableMapping)
    labels: LabelMapping = field(default_factory=LabelMapping)


def _section(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise MappingError(f"{name}: expected a table of settings")
    return value


def _strings(raw: Mapping[str, Any], where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str | int | float) for v in raw.values()):
        raise MappingError(f'{where}: expected name = "value" pairs')
    return {str(k): str(v) for k, v in raw.items()}


def _time_format(value: object, where: str) -> TimeFormat:
    if value in ("iso", "epoch_s", "epoch_ms"):
        return value
    raise MappingError(f"{where}.time_format: use iso, epoch_s or epoch_ms, not {value!r}")


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping file (``.toml``, ``.json``, ``.yaml``/``.yml``)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise MappingError(f"cannot read the mapping {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".toml":
            raw: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            raw = json.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raise MappingError(f"{path}: mapping files are .toml, .json or .yaml")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise MappingError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: expected [transactions] and [labels] sections")
    txn = _section(raw, "transactions")
    lab = _section(raw, "labels")
    unit = txn.get("amount_unit", "minor")
    if unit not in ("minor", "major"):
        raise MappingError(f"transactions.amount_unit: use minor or major, not {unit!r}")
    fraud_values = lab.get("fraud_values", list(DEFAULT_FRAUD_VALUES))
    if not isinstance(fraud_values, list):
        raise MappingError("labels.fraud_values: expected a list of strings")
    return ColumnMapping(
        TableMapping(
            columns=_strings(txn.get("columns", {}), "transactions.columns"),
            constants=_strings(txn.get("constants", {}), "transactions.constants"),
            time_format=_time_format(txn.get("time_format", "iso"), "transactions"),
            amount_unit=unit,
        ),
        LabelMapping(
            columns=_strings(lab.get("columns", {}), "labels.columns"),
            time_format=_time_format(lab.get("time_format", "iso"), "labels"),
            fraud_values=tuple(str(v).lower() for v in fraud_values),
        ),
    )


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (all columns as text), Parquet or JSON-lines table."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        if path.suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
    except (OSError, ValueError) as exc:
        raise MappingError(f"cannot read {path}: {exc}") from None
    raise MappingError(f"{path}: tables are .csv, .parquet or .jsonl")


def _times(values: pd.Series, time_format: TimeFormat, where: str) -> pd.Series:
    raw: Any = values
    try:
        if time_format == "iso":
            parsed: Any = pd.to_datetime(raw, utc=True, format="ISO8601")
        else:
            unit: Literal["s", "ms"] = "s" if time_format == "epoch_s" else "ms"
            parsed = pd.to_datetime(pd.to_numeric(raw), unit=unit, utc=True)
        return pd.Series(parsed, index=values.index)
    except (ValueError, TypeError) as exc:
        raise MappingError(f"{where}: cannot read times as {time_format}: {exc}") from None


def _refuse_card_numbers(frame: pd.DataFrame, source: Mapping[str, str]) -> None:
    for ours, theirs in source.items():
        if TABLE_COLUMNS.get(ours) != "string" and ours not in ("transaction_id",):
            continue
        values = frame[ours].dropna().astype(str).unique()
        if any(contains_pan(v) for v in values):
            raise MappingError(
                f"column {theirs!r} (mapped to {ours}) holds card numbers; the engine accepts "
                "only tokens and non-sensitive card attributes. Tokenise it first."
            )


def map_transactions(table: pd.DataFrame, mapping: TableMapping) -> pd.DataFrame:
    """Rename and convert an external table to the transaction-table columns."""
    missing = [theirs for theirs in mapping.columns.values() if theirs not in table.columns]
    if missing:
        raise MappingError(
            f"transactions: the table has no column(s) {missing}; it has "
            f"{', '.join(map(str, table.columns[:30]))}"
        )
    frame = pd.DataFrame(index=table.index)
    for ours, theirs in mapping.columns.items():
        frame[ours] = table[theirs]
    for ours, value in mapping.constants.items():
        if ours not in frame:
            frame[ours] = value
    absent = [c for c in REQUIRED_TRANSACTION_COLUMNS if c not in frame]
    if absent:
        raise MappingError(
            f"transactions: map or give a constant for {', '.join(absent)} (required)"
        )
    _refuse_card_numbers(frame, {**mapping.columns, **{c: c for c in mapping.constants}})
    frame["event_time"] = _times(frame["event_time"], mapping.time_format, "transactions")
    frame["currency"] = frame["currency"].astype(str).str.upper()
    unknown = sorted(c for c in set(frame["currency"]) if not is_iso_4217(c))
    if unknown:
        raise MappingError(f"transactions: not ISO 4217 currency codes: {unknown[:10]}")
    amounts = pd.to_numeric(frame["amount"], errors="coerce")
    if amounts.isna().any():
        raise MappingError(f"transactions: {int(amounts.isna().sum())} amount(s) are not numbers")
    if mapping.amount_unit == "major":
        exponent = frame["currency"].map(minor_unit_exponent).astype(np.int64)
        amounts = (amounts * np.power(10.0, exponent)).round()
    if (amounts < 0).any() or not np.allclose(amounts, amounts.round()):
        raise MappingError(
            "transactions: amounts must be non-negative whole minor units; set "
            'amount_unit = "major" if they are decimals such as 12.50'
        )
    frame["amount"] = amounts.astype(np.int64)
    for name, kind in TABLE_COLUMNS.items():
        if name not in frame:
            frame[name] = None
        elif kind == "string":
            values = [None if v is None or v != v else str(v) for v in frame[name].tolist()]
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
    if frame["transaction_id"].duplicated().any():
        raise MappingError("transactions: transaction ids must be unique")
    return frame[list(TABLE_COLUMNS)].reset_index(drop=True)


def map_labels(table: pd.DataFrame, mapping: LabelMapping) -> pd.DataFrame:
    """Rename and convert an external label table to ``transaction_id, reported_at, is_fraud``."""
    columns = dict(mapping.columns) or {c: c for c in LABEL_COLUMNS if c in table.columns}
    missing = [theirs for theirs in columns.values() if theirs not in table.columns]
    if missing:
        raise MappingError(f"labels: the table has no column(s) {missing}")
    frame = pd.DataFrame({ours: table[theirs] for ours, theirs in columns.items()})
    if "transaction_id" not in frame or "reported_at" not in frame:
        raise MappingError("labels: map transaction_id and reported_at (when it became known)")
    source = frame["is_fraud"] if "is_fraud" in frame else frame.get("label")
    if source is None:
        raise MappingError("labels: map is_fraud or label")
    if source.dtype == bool:
        is_fraud = source
    else:
        wanted = set(mapping.fraud_values)
        is_fraud = source.astype(str).str.strip().str.lower().isin(wanted)
    return pd.DataFrame(
        {
            "transaction_id": frame["transaction_id"].astype(str),
            "reported_at": _times(frame["reported_at"], mapping.time_format, "labels"),
            "is_fraud": is_fraud.astype(bool),
        }
    )


def load_transactions(path: Path, mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """Our JSONL events, our own table, or an external table with ``mapping``."""
    if path.suffix in (".jsonl", ".ndjson") and mapping is None:
        from simulator import read_jsonl

        try:
            return events_to_table(list(read_jsonl(path)))
        except OSError as exc:
            raise MappingError(f"cannot read {path}: {exc.strerror or exc}") from None
    table = read_table(path)
    if mapping is not None:
        return map_transactions(table, mapping.transactions)
    identity = TableMapping(columns={c: c for c in TABLE_COLUMNS if c in table.columns})
    return map_transactions(table, identity)


def load_labels(path: Path, mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """Our JSONL labels, our own label table, or an external one with ``mapping``."""
    if path.suffix in (".jsonl", ".ndjson") and mapping is None:
        from simulator import labels_frame, read_labels_jsonl

        try:
            frame = labels_frame(read_labels_jsonl(path))
        except OSError as exc:
            raise MappingError(f"cannot read {path}: {exc.strerror or exc}") from None
        return map_labels(frame, LabelMapping())
    table = read_table(path)
    return map_labels(table, mapping.labels if mapping is not None else LabelMapping())
