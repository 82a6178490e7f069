"""Point-in-time training sets, built with the offline twin of the feature engine.

Features come from :class:`features.OfflineFeatures` — the same definitions the stream
serves — so a model never trains on a value the stream could not have produced. A
transaction's *target* is whether a fraud label for it was reported by the cut-off
``as_of``; transactions younger than ``as_of - maturity`` are left out because their
labels have not had time to arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from features import FeatureRegistry, OfflineFeatures, RatesTable
from training.errors import TrainingError

__all__ = ["TrainingSet", "build_training_set", "normalise_labels"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class TrainingSet:
    features: pd.DataFrame  # model inputs, in registry order
    target: npt.NDArray[np.int8]
    event_time: pd.Series  # aware UTC
    transaction_id: npt.NDArray[np.object_]
    card: npt.NDArray[np.object_]  # card fingerprint, for card-level metrics
    amount_base: npt.NDArray[np.float64]
    feature_names: tuple[str, ...]
    feature_set_version: str

    def __len__(self) -> int:
        return len(self.target)

    def span(self) -> tuple[str, str]:
        return (self.event_time.min().isoformat(), self.event_time.max().isoformat())

    def slice(self, mask: npt.NDArray[np.bool_]) -> TrainingSet:
        return TrainingSet(
            features=self.features.loc[mask].reset_index(drop=True),
            target=self.target[mask],
            event_time=self.event_time.loc[mask].reset_index(drop=True),
            transaction_id=self.transaction_id[mask],
            card=self.card[mask],
            amount_base=self.amount_base[mask],
            feature_names=self.feature_names,
            feature_set_version=self.feature_set_version,
        )


def normalise_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Accept ``is_fraud`` (bool) or ``label`` ("fraud" / anything else) label tables."""
    frame = labels.copy()
    if "is_fraud" not in frame.columns:
        if "label" not in frame.columns:
            raise TrainingError("the label table needs an is_fraud or a label column")
        frame["is_fraud"] = frame["label"].astype(str).eq("fraud")
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    return frame


def build_training_set(
    transactions: pd.DataFrame,
    labels: pd.DataFrame,
    registry: FeatureRegistry,
    rates: RatesTable,
    *,
    as_of: datetime | None = None,
    maturity: timedelta = timedelta(days=0),
    progress: Progress = _quiet,
) -> TrainingSet:
    """Features and targets for every transaction whose label has matured by ``as_of``."""
    if transactions.empty:
        raise TrainingError("the transaction table is empty")
    label_table = normalise_labels(labels)
    times = pd.to_datetime(transactions["event_time"], utc=True)
    cutoff = pd.Timestamp(as_of) if as_of is not None else times.max()
    progress(f"features for {len(transactions):,} transactions")
    computed = OfflineFeatures(registry, rates).compute(
        transactions, label_table, progress=progress
    )
    known = label_table[label_table["is_fraud"] & (label_table["reported_at"] <= cutoff)]
    fraud_ids = set(known["transaction_id"].astype(str))
    keep = (times <= cutoff - maturity).to_numpy()
    if not keep.any():
        raise TrainingError(
            f"no transaction is older than the label maturity ({maturity}) at {cutoff}; "
            "use a longer history or a shorter maturity"
        )
    ids = transactions["transaction_id"].astype(str).to_numpy(dtype=object)
    target = np.fromiter((t in fraud_ids for t in ids), dtype=np.int8, count=len(ids))
    names = registry.model_features
    full = TrainingSet(
        features=computed[list(names)].reset_index(drop=True),
        target=target,
        event_time=times.reset_index(drop=True),
        transaction_id=ids,
        card=transactions["card_fingerprint"].astype(str).to_numpy(dtype=object),
        amount_base=computed["amount_base"].to_numpy(dtype=np.float64),
        feature_names=names,
        feature_set_version=registry.version,
    )
    return full.slice(keep)
