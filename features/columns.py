"""The columnar form of a batch of transactions, shared by the stream and the offline twin.

Both paths compute payment signals and model inputs from the same columns, so the
values they produce are computed by the same code:

* numbers: ``float64`` arrays, NaN for null;
* booleans: ``float64`` arrays of 0.0 / 1.0, NaN for null (what the model consumes);
* strings: ``object`` arrays, None for null.

The transaction table (a pandas DataFrame for training and backtests) uses the column
names of :data:`TABLE_COLUMNS`; :func:`events_to_table` builds one from events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from contracts import TransactionEvent

__all__ = [
    "TABLE_COLUMNS",
    "Columns",
    "columns_to_table",
    "FloatArray",
    "ObjectArray",
    "events_to_columns",
    "events_to_table",
    "table_to_columns",
]

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
Columns = Mapping[str, Any]  # name -> FloatArray | ObjectArray

# name -> "number" | "string" | "time" (event time as int64 epoch milliseconds)
TABLE_COLUMNS: dict[str, str] = {
    "transaction_id": "string",
    "event_time": "time",
    "merchant_id": "string",
    "customer_id": "string",
    "card_fingerprint": "string",
    "card_bin": "string",
    "card_country": "string",
    "card_brand": "string",
    "card_funding": "string",
    "amount": "number",
    "currency": "string",
    "ip": "string",
    "ip_country": "string",
    "device_id": "string",
    "email_hash": "string",
    "billing_country": "string",
    "billing_postal_hash": "string",
    "shipping_country": "string",
    "shipping_postal_hash": "string",
    "avs_result": "string",
    "cvv_result": "string",
    "three_ds": "string",
    "channel": "string",
    "kind": "string",
}


def _row(event: TransactionEvent) -> tuple[Any, ...]:
    card = event.card
    return (
        event.transaction_id,
        int(event.event_time.timestamp() * 1000),
        event.merchant_id,
        event.customer_id,
        card.fingerprint,
        card.bin,
        card.country,
        card.brand.value,
        card.funding.value,
        event.amount,
        event.currency,
        str(event.ip) if event.ip is not None else None,
        event.ip_country,
        event.device_id,
        event.email_hash,
        event.billing_country,
        event.billing_postal_hash,
        event.shipping_country,
        event.shipping_postal_hash,
        event.avs_result.value,
        event.cvv_result.value,
        event.three_ds.value,
        event.channel.value,
        event.kind,
    )


def events_to_columns(events: Sequence[TransactionEvent]) -> dict[str, Any]:
    """Columns for a batch of validated events (the stream path)."""
    rows = [_row(e) for e in events]
    columns: dict[str, Any] = {}
    for index, (name, kind) in enumerate(TABLE_COLUMNS.items()):
        values = [row[index] for row in rows]
        if kind == "number":
            columns[name] = np.array(values, dtype=np.float64)
        elif kind == "time":
            columns[name] = np.array(values, dtype=np.int64)
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            columns[name] = array
    return columns


def events_to_table(events: Sequence[TransactionEvent]) -> pd.DataFrame:
    """A transaction table (event_time as UTC timestamps) from events."""
    return columns_to_table(events_to_columns(events))


def columns_to_table(columns: Columns) -> pd.DataFrame:
    """A transaction table from columns (event_time: epoch ms → UTC timestamps)."""
    frame = pd.DataFrame({name: columns[name] for name in TABLE_COLUMNS})
    frame["event_time"] = pd.to_datetime(frame["event_time"], unit="ms", utc=True)
    return frame


def table_to_columns(table: pd.DataFrame) -> dict[str, Any]:
    """Columns from a transaction table; missing optional columns become nulls."""
    n = len(table)
    columns: dict[str, Any] = {}
    for name, kind in TABLE_COLUMNS.items():
        present = name in table.columns
        if kind == "time":
            if not present:
                raise KeyError("the transaction table needs an event_time column")
            times = pd.to_datetime(table[name], utc=True).dt.as_unit("ms")
            columns[name] = times.astype("int64").to_numpy(dtype=np.int64)
        elif kind == "number":
            values = table[name] if present else pd.Series(np.nan, index=table.index)
            columns[name] = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.empty(n, dtype=object)
            if present:
                series = table[name]
                array[:] = [None if v is None or v != v else str(v) for v in series.tolist()]
            columns[name] = array
    return columns
