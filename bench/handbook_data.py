"""The handbook's transaction table mapped onto our events, and its labels onto our label path.

A handbook row is a card payment: ``CUSTOMER_ID`` is the card (and its customer),
``TERMINAL_ID`` the merchant, ``TX_AMOUNT`` an amount in currency units. Each fraud
becomes a label reported ``delay`` after the transaction (the time a chargeback takes),
so the offline twin's delayed-label features see it exactly when the stream would.
``TX_FRAUD_SCENARIO`` and the ``TX_TIME_*`` counters are never read: the scenario
leaks the label and the counters only restate the event time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from bench.handbook_errors import HandbookError

__all__ = [
    "HANDBOOK_COLUMNS",
    "LABEL_DELAY",
    "NEVER_FEATURES",
    "HandbookTable",
    "map_handbook",
    "read_handbook",
]

# The columns the benchmark reads; every other column is ignored.
HANDBOOK_COLUMNS: tuple[str, ...] = (
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_FRAUD",
)
# In the file, never read: the scenario is the label in disguise, the counters restate time.
NEVER_FEATURES: tuple[str, ...] = ("TX_FRAUD_SCENARIO", "TX_TIME_SECONDS", "TX_TIME_DAYS")
# The protocol's delay: a fraud label is known one week after the transaction.
LABEL_DELAY = timedelta(days=7)
CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class HandbookTable:
    """Our transaction table and label table for one handbook file, ordered by event time."""

    transactions: pd.DataFrame  # features.TABLE_COLUMNS that the handbook can fill
    labels: pd.DataFrame  # one fraud label per fraud: transaction_id, is_fraud, reported_at, ...
    source_ids: npt.NDArray[np.object_]  # the file's TRANSACTION_ID of each row
    is_fraud: npt.NDArray[np.int8]  # ground truth of each row, for evaluation only

    def __len__(self) -> int:
        return len(self.transactions)

    @property
    def event_time(self) -> pd.Series:
        return self.transactions["event_time"]

    @property
    def cards(self) -> npt.NDArray[np.object_]:
        return self.transactions["card_fingerprint"].to_numpy(dtype=object)


def read_handbook(path: Path) -> pd.DataFrame:
    """Read the columns the benchmark uses from a Parquet or CSV file."""
    if not path.is_file():
        raise HandbookError(f"{path}: no such file; pass the handbook table with --data")
    suffixes = "".join(path.suffixes[-2:]).lower()
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            present = set(pq.read_schema(path).names)
            _check_columns(path, present)
            return pd.read_parquet(path, columns=list(HANDBOOK_COLUMNS))
        if suffixes.endswith((".csv", ".csv.gz")):
            header = pd.read_csv(path, nrows=0)
            _check_columns(path, set(header.columns))
            return pd.read_csv(path, usecols=list(HANDBOOK_COLUMNS))
    except (OSError, ValueError) as exc:
        raise HandbookError(f"{path}: cannot read the table ({exc})") from exc
    raise HandbookError(f"{path}: expected a .parquet or .csv file")


def _check_columns(path: Path, present: set[str]) -> None:
    missing = [c for c in HANDBOOK_COLUMNS if c not in present]
    if missing:
        raise HandbookError(
            f"{path}: missing column(s) {', '.join(missing)}; the handbook table has "
            f"{', '.join(HANDBOOK_COLUMNS)}"
        )


def _utc(values: pd.Series) -> pd.Series:
    """Naive times are taken as UTC (the handbook's times carry no zone)."""
    try:
        times = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise HandbookError(f"TX_DATETIME does not parse as date-times ({exc})") from exc
    if times.dt.tz is None:
        return times.dt.tz_localize("UTC")
    return times.dt.tz_convert("UTC")


def _ids(prefix: str, values: pd.Series) -> pd.Series:
    return prefix + values.astype(str)


def map_handbook(frame: pd.DataFrame, *, delay: timedelta = LABEL_DELAY) -> HandbookTable:
    """Map a handbook table onto our transaction table and label table.

    Customer → card fingerprint (and customer id), terminal → merchant, amount × 100 →
    integer minor units in USD; every other transaction column stays null. Each fraud
    gets one label with ``reported_at = event_time + delay``.
    """
    missing = [c for c in HANDBOOK_COLUMNS if c not in frame.columns]
    if missing:
        raise HandbookError(f"the table lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise HandbookError("the table has no rows")
    nulls = [c for c in HANDBOOK_COLUMNS if frame[c].isna().any()]
    if nulls:
        raise HandbookError(f"column(s) {', '.join(nulls)} have missing values")
    if frame["TRANSACTION_ID"].duplicated().any():
        duplicate = frame.loc[frame["TRANSACTION_ID"].duplicated(), "TRANSACTION_ID"].iloc[0]
        raise HandbookError(
            f"TRANSACTION_ID {duplicate!r} occurs more than once; ids must be unique"
        )
    amounts = pd.to_numeric(frame["TX_AMOUNT"], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(amounts).any() or (amounts < 0).any():
        raise HandbookError("TX_AMOUNT must be a non-negative number on every row")
    fraud = pd.to_numeric(frame["TX_FRAUD"], errors="coerce")
    if not fraud.isin([0, 1]).all():
        raise HandbookError("TX_FRAUD must be 0 or 1 on every row")

    times = _utc(frame["TX_DATETIME"])
    order = np.lexsort((np.arange(len(frame)), times.to_numpy()))
    source = frame.iloc[order].reset_index(drop=True)
    event_time = times.iloc[order].reset_index(drop=True)
    card = _ids("card_", source["CUSTOMER_ID"])
    transactions = pd.DataFrame(
        {
            "transaction_id": _ids("pi_", source["TRANSACTION_ID"]),
            "event_time": event_time,
            "merchant_id": _ids("acct_", source["TERMINAL_ID"]),
            "customer_id": _ids("cus_", source["CUSTOMER_ID"]),
            "card_fingerprint": card,
            "amount": np.round(amounts[order] * 100.0),
            "currency": CURRENCY,
        }
    )
    is_fraud = fraud.to_numpy()[order].astype(np.int8)
    frauds = transactions.loc[is_fraud == 1].reset_index(drop=True)
    labels = pd.DataFrame(
        {
            "transaction_id": frauds["transaction_id"],
            "is_fraud": True,
            "reported_at": frauds["event_time"] + delay,
            "merchant_id": frauds["merchant_id"],
            "card_fingerprint": frauds["card_fingerprint"],
            "event_time": frauds["event_time"],
        }
    )
    return HandbookTable(
        transactions=transactions,
        labels=labels,
        source_ids=source["TRANSACTION_ID"].to_numpy(dtype=object),
        is_fraud=is_fraud,
    )
