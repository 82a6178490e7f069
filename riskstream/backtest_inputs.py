"""What `riskstream rules backtest` feeds the backtest: history, labels, features, model.

History is a simulator Parquet table, a JSONL file of transaction events, or any
Parquet/CSV/JSONL table with the transaction-table columns
(``features.TABLE_COLUMNS``). Labels come from a label file (JSONL/Parquet/CSV with
``transaction_id`` and ``is_fraud`` or ``label``, optionally ``reported_at``) or from
the history's own label columns. Features come from the offline twin, the code that
agrees exactly with the stream; ``score`` from the champion model when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd

from contracts import Settings
from features import OfflineFeatures, RatesTable, events_to_table
from models import LightGBMScorer, LocalModelStore, ModelError
from rules.backtest import BacktestData
from rules.errors import BacktestError
from scoring.build import registry_for
from simulator import SimulatorError, read_jsonl

__all__ = [
    "LabelledHistory",
    "backtest_data",
    "labelled_history",
    "load_champion",
    "read_history",
    "read_labels",
]

Progress = Callable[[str], None]
REQUIRED_COLUMNS = ("transaction_id", "event_time", "amount", "currency")


def _quiet(_: str) -> None:
    return None


def _json_lines(path: Path) -> list[dict[str, object]]:
    rows = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                # Never echo the line: it might hold card data.
                raise BacktestError(f"{path}:{number}: not a JSON object") from None
            if not isinstance(row, dict):
                raise BacktestError(f"{path}:{number}: not a JSON object")
            rows.append(row)
    return rows


def _table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, dtype={"card_bin": str})
        if suffix in (".jsonl", ".ndjson", ".json"):
            return pd.DataFrame.from_records(_json_lines(path))
    except OSError as exc:
        raise BacktestError(f"cannot read {path}: {exc.strerror or exc}") from None
    raise BacktestError(f"{path}: unknown format; use .parquet, .csv or .jsonl")


def _is_event_file(path: Path) -> bool:
    """A JSONL file of transaction events (the simulator's and the pipeline's format)."""
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        return False
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError:
                    return False
                return isinstance(first, dict) and isinstance(first.get("card"), dict)
    return False


def read_history(path: Path) -> pd.DataFrame:
    """The transaction table of ``path`` (events are validated like the stream does)."""
    if _is_event_file(path):
        try:
            table = events_to_table(list(read_jsonl(path)))
        except SimulatorError as exc:
            raise BacktestError(str(exc)) from None
    else:
        table = _table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise BacktestError(
            f"{path}: the history needs columns {', '.join(missing)} (see features.TABLE_COLUMNS)"
        )
    if table.empty:
        raise BacktestError(f"{path}: the history is empty")
    return table.reset_index(drop=True)


def _normalise(labels: pd.DataFrame, where: str) -> pd.DataFrame:
    if "transaction_id" not in labels.columns:
        raise BacktestError(f"{where}: labels need a transaction_id column")
    frame = pd.DataFrame({"transaction_id": labels["transaction_id"].astype(str)})
    if "is_fraud" in labels.columns:
        frame["is_fraud"] = labels["is_fraud"].fillna(False).astype(bool).to_numpy()
    elif "label" in labels.columns:
        frame["is_fraud"] = labels["label"].astype(str).eq("fraud").to_numpy()
    else:
        raise BacktestError(f"{where}: labels need an is_fraud or a label column")
    frame["reported_at"] = pd.NaT
    if "reported_at" in labels.columns:
        reported = labels["reported_at"]
        try:
            if reported.dtype.kind == "M":
                frame["reported_at"] = pd.to_datetime(reported, utc=True)
            else:
                frame["reported_at"] = pd.to_datetime(reported, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            raise BacktestError(f"{where}: reported_at must hold ISO 8601 times") from None
    return frame


def read_labels(path: Path) -> pd.DataFrame:
    """A label table: transaction_id, is_fraud, reported_at (NaT when unknown)."""
    return _normalise(_table(path), str(path))


@dataclass(frozen=True, slots=True)
class LabelledHistory:
    transactions: pd.DataFrame
    fraud: npt.NDArray[np.bool_]  # ground truth per row: a fraud label exists
    truth: str  # "labels", or the column the ground truth came from
    feature_labels: pd.DataFrame | None  # labels with a reported_at, for delayed-label features
    notes: tuple[str, ...]


def _labels_from_history(history: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    if "label" in history.columns:
        labelled = history[history["label"].notna() & history["label"].astype(str).ne("None")]
        frame = pd.DataFrame(
            {
                "transaction_id": labelled["transaction_id"],
                "label": labelled["label"],
                "reported_at": labelled.get("label_reported_at"),
            }
        )
        labels = _normalise(frame, "history label columns")
        if "is_fraud" in history.columns:
            unlabelled = int(history["is_fraud"].astype(bool).sum()) - int(labels["is_fraud"].sum())
            if unlabelled > 0:
                notes.append(
                    f"{unlabelled:,} transactions the simulator generated as fraud were never "
                    "labelled (never reported): they count as legitimate, as in production"
                )
        return labels, notes
    if "is_fraud" in history.columns:
        notes.append("ground truth from the is_fraud column (no report times: no label features)")
        return _normalise(history[["transaction_id", "is_fraud"]], "history"), notes
    raise BacktestError(
        "no labels: pass --labels FILE, or use a history with label or is_fraud columns"
    )


def labelled_history(
    history_path: Path, labels_path: Path | None, *, truth_column: str | None = None
) -> LabelledHistory:
    """Read the history and its labels; a transaction is fraud if it has a fraud label.

    ``truth_column`` (e.g. the simulator's ``is_fraud``) replaces the labels as ground
    truth; the labels still feed the delayed-label features, as in production.
    """
    transactions = read_history(history_path)
    if labels_path is not None:
        labels, notes = read_labels(labels_path), list[str]()
    else:
        labels, notes = _labels_from_history(transactions)
    ids = transactions["transaction_id"].astype(str)
    fraud_ids = set(labels.loc[labels["is_fraud"], "transaction_id"])
    fraud = ids.isin(fraud_ids).to_numpy(dtype=np.bool_)
    orphans = len(fraud_ids - set(ids))
    if orphans:
        notes.append(f"{orphans:,} fraud labels name transactions outside the history: ignored")
    if truth_column is not None:
        if truth_column not in transactions.columns:
            raise BacktestError(f"{history_path}: no column {truth_column!r} to use as truth")
        fraud = transactions[truth_column].fillna(False).astype(bool).to_numpy(dtype=np.bool_)
        notes = [
            f"ground truth from the {truth_column!r} column, not from the labels "
            "(the labels still feed the delayed-label features)"
        ]
    timed = labels[labels["reported_at"].notna()]
    if len(timed) < len(labels):
        notes.append(
            f"{len(labels) - len(timed):,} labels have no report time: they count as ground "
            "truth but not in the delayed-label features (merchant / BIN fraud share)"
        )
    feature_labels = timed if len(timed) else None
    truth = truth_column or "labels"
    return LabelledHistory(transactions, fraud, truth, feature_labels, tuple(notes))


def load_champion(settings: Settings) -> LightGBMScorer | None:
    """The champion model of ``settings.data_dir``, or None when there is none."""
    store = LocalModelStore(settings.data_dir / "models")
    version = store.alias("champion")
    if version is None:
        return None
    try:
        scorer = LightGBMScorer.load(store.path(version))
    except ModelError as exc:
        raise BacktestError(f"cannot load the champion model {version}: {exc}") from None
    available = set(registry_for(settings).names)
    missing = [name for name in scorer.feature_names if name not in available]
    if missing:
        raise BacktestError(
            f"champion {version} needs features the {settings.feature_set} feature set lacks: "
            + ", ".join(missing[:5])
        )
    return scorer


def backtest_data(
    settings: Settings,
    history: LabelledHistory,
    *,
    model: LightGBMScorer | None,
    progress: Progress = _quiet,
) -> BacktestData:
    """Features from the offline twin, the model's score, aligned with the ground truth."""
    registry = registry_for(settings)
    rates = RatesTable.from_mapping(base=settings.base_currency)
    progress(f"features for {len(history.transactions):,} transactions (offline twin)")
    features = OfflineFeatures(registry, rates).compute(
        history.transactions, history.feature_labels, progress=progress
    )
    if model is not None:
        progress(f"scoring with model {model.version}")
    return BacktestData.from_frames(
        history.transactions,
        features,
        history.fraud,
        model=model,
        base_currency=settings.base_currency,
        truth=history.truth,
    )
