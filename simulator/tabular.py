"""Files and frames: JSONL of events, flat pandas/Parquet tables for training and backtests.

JSONL holds events only, one ``event.model_dump_json()`` per line: exactly what the
payment pipeline would send. The flat table adds the ground truth and label columns;
``label_reported_at`` is what point-in-time training must filter on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import orjson
import pandas as pd
from pydantic import ValidationError

from contracts.events import TransactionEvent
from simulator.errors import SimulatorError, SinkError
from simulator.records import Label, SimulatedTransaction

__all__ = [
    "FRAME_COLUMNS",
    "LABEL_COLUMNS",
    "labels_frame",
    "read_jsonl",
    "read_labels_jsonl",
    "read_parquet",
    "to_frame",
    "write_jsonl",
    "write_labels_jsonl",
    "write_parquet",
]

FRAME_COLUMNS: Final[tuple[str, ...]] = (
    "transaction_id",
    "event_time",
    "merchant_id",
    "customer_id",
    "payment_method",
    "card_fingerprint",
    "card_bin",
    "card_last4",
    "card_country",
    "card_brand",
    "card_funding",
    "amount",
    "currency",
    "ip",
    "ip_country",
    "device_id",
    "email_hash",
    "billing_country",
    "billing_postal_hash",
    "shipping_country",
    "shipping_postal_hash",
    "avs_result",
    "cvv_result",
    "three_ds",
    "channel",
    "kind",
    "is_fraud",
    "pattern",
    "episode_id",
    "label",
    "label_reason",
    "label_source",
    "label_reported_at",
)
LABEL_COLUMNS: Final[tuple[str, ...]] = (
    "transaction_id",
    "label",
    "reason",
    "reported_at",
    "source",
)
_TIME_COLUMNS: Final = ("event_time", "label_reported_at")


def _row(t: SimulatedTransaction) -> tuple[Any, ...]:
    e = t.event
    card = e.card
    label = t.label
    return (
        e.transaction_id,
        e.event_time,
        e.merchant_id,
        e.customer_id,
        e.payment_method,
        card.fingerprint,
        card.bin,
        card.last4,
        card.country,
        card.brand.value,
        card.funding.value,
        e.amount,
        e.currency,
        str(e.ip) if e.ip is not None else None,
        e.ip_country,
        e.device_id,
        e.email_hash,
        e.billing_country,
        e.billing_postal_hash,
        e.shipping_country,
        e.shipping_postal_hash,
        e.avs_result.value,
        e.cvv_result.value,
        e.three_ds.value,
        e.channel.value,
        e.kind,
        t.is_fraud,
        t.pattern,
        t.episode_id,
        label.label if label else None,
        label.reason if label else None,
        label.source if label else None,
        label.reported_at if label else None,
    )


def to_frame(transactions: Iterable[SimulatedTransaction]) -> pd.DataFrame:
    """One row per transaction with :data:`FRAME_COLUMNS` (times are UTC, amounts int64)."""
    frame = pd.DataFrame.from_records([_row(t) for t in transactions], columns=list(FRAME_COLUMNS))
    for column in _TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    frame["amount"] = frame["amount"].astype("int64")
    frame["is_fraud"] = frame["is_fraud"].astype("bool")
    for column in FRAME_COLUMNS:
        if column not in _TIME_COLUMNS and column not in ("amount", "is_fraud"):
            frame[column] = frame[column].astype("str")
    return frame


def _labels(source: Iterable[SimulatedTransaction | Label]) -> list[Label]:
    labels: list[Label] = []
    for item in source:
        label = item.label if isinstance(item, SimulatedTransaction) else item
        if label is not None:
            labels.append(label)
    labels.sort(key=lambda label: (label.reported_at, label.transaction_id))
    return labels


def labels_frame(source: Iterable[SimulatedTransaction | Label]) -> pd.DataFrame:
    """The labels of ``source`` (transactions or labels), ordered by ``reported_at``."""
    labels = _labels(source)
    frame = pd.DataFrame.from_records(
        [(x.transaction_id, x.label, x.reason, x.reported_at, x.source) for x in labels],
        columns=list(LABEL_COLUMNS),
    )
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    for column in ("transaction_id", "label", "reason", "source"):
        frame[column] = frame[column].astype("str")
    return frame


def _events(items: Iterable[SimulatedTransaction | TransactionEvent]) -> Iterator[TransactionEvent]:
    for item in items:
        yield item.event if isinstance(item, SimulatedTransaction) else item


def write_jsonl(
    path: str | Path, transactions: Iterable[SimulatedTransaction | TransactionEvent]
) -> int:
    """Write one ``event.model_dump_json()`` per line; return the number of lines."""
    count = 0
    try:
        with Path(path).open("wb") as out:
            for event in _events(transactions):
                out.write(event.model_dump_json().encode())
                out.write(b"\n")
                count += 1
    except OSError as exc:
        raise SinkError(f"cannot write events to {path}: {exc.strerror or exc}") from exc
    return count


def read_jsonl(path: str | Path) -> Iterator[TransactionEvent]:
    """Validate each line of a JSONL file back into a :class:`TransactionEvent`."""
    with Path(path).open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield TransactionEvent.model_validate_json(line)
            except ValidationError:
                # The error text may quote the line, which may hold card data: never echo it.
                raise SimulatorError(f"{path}:{number}: not a valid transaction event") from None


def write_labels_jsonl(path: str | Path, source: Iterable[SimulatedTransaction | Label]) -> int:
    """Write the labels of ``source`` as JSON lines, ordered by ``reported_at``."""
    labels = _labels(source)
    try:
        with Path(path).open("wb") as out:
            for label in labels:
                out.write(orjson.dumps(label.to_dict()) + b"\n")
    except OSError as exc:
        raise SinkError(f"cannot write labels to {path}: {exc.strerror or exc}") from exc
    return len(labels)


def read_labels_jsonl(path: str | Path) -> Iterator[Label]:
    """Read labels written by :func:`write_labels_jsonl`."""
    with Path(path).open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield Label.from_dict(orjson.loads(line))
            except (orjson.JSONDecodeError, SimulatorError) as exc:
                raise SimulatorError(f"{path}:{number}: not a label: {exc}") from None


def write_parquet(path: str | Path, transactions: Iterable[SimulatedTransaction]) -> int:
    """Write :func:`to_frame` of ``transactions`` as Parquet; return the row count."""
    frame = to_frame(transactions)
    try:
        frame.to_parquet(path, index=False)
    except OSError as exc:
        raise SinkError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return len(frame)


def read_parquet(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_parquet` (same columns and dtypes)."""
    return pd.read_parquet(path)
