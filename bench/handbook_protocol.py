"""The handbook's evaluation protocol: folds, the delay, test filtering and the metrics.

Every fold is 7 days of training, 7 days of delay (labels not yet known) and 7 days of
test. The standard split is one fold starting 2018-07-25; the prequential protocol is
four folds whose training starts 2018-08-15, 08-08, 08-01 and 07-25. On each test day
the cards already known to be compromised are dropped: a fraud in the training week or
later whose label was reported before that day started. Metrics are AUC ROC and
average precision over all test transactions, and card precision@100
(:func:`training.card_precision_at_k`: each day's top 100 cards by their highest score,
ties broken by card id, cards found on earlier days removed, mean over days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from bench.handbook_errors import HandbookError
from training import card_precision_at_k

__all__ = [
    "DELAY_DAYS",
    "FIRST_TRAIN_DAY",
    "FOLDS",
    "PROTOCOLS",
    "TEST_DAYS",
    "TRAIN_DAYS",
    "Fold",
    "Protocol",
    "evaluate",
    "known_fraud_ids",
    "protocol_folds",
    "select_test_rows",
    "select_train_rows",
]

Protocol = Literal["standard", "prequential"]
PROTOCOLS: tuple[Protocol, ...] = get_args(Protocol)
TRAIN_DAYS = DELAY_DAYS = TEST_DAYS = 7
FIRST_TRAIN_DAY = date(2018, 7, 25)  # the standard split; the prequential protocol's oldest fold
FOLDS = 4
TOP_K = 100
DAY = pd.Timedelta(days=1)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Fold:
    """One train / delay / test split; every bound is a midnight UTC, ends exclusive."""

    index: int
    train_start: pd.Timestamp

    @property
    def train_end(self) -> pd.Timestamp:
        return self.train_start + TRAIN_DAYS * DAY

    @property
    def test_start(self) -> pd.Timestamp:
        return self.train_end + DELAY_DAYS * DAY

    @property
    def test_end(self) -> pd.Timestamp:
        return self.test_start + TEST_DAYS * DAY

    def describe(self) -> dict[str, str]:
        """Inclusive calendar days, as the handbook writes them."""
        last = pd.Timedelta(days=1)
        return {
            "train": f"{self.train_start.date()} .. {(self.train_end - last).date()}",
            "delay": f"{self.train_end.date()} .. {(self.test_start - last).date()}",
            "test": f"{self.test_start.date()} .. {(self.test_end - last).date()}",
        }


def protocol_folds(
    protocol: Protocol, first_train_day: date = FIRST_TRAIN_DAY, folds: int = FOLDS
) -> tuple[Fold, ...]:
    """The folds of ``protocol``; prequential folds are listed newest first, as in the handbook.

    >>> [f.describe()["test"] for f in protocol_folds("prequential")][:2]
    ['2018-08-29 .. 2018-09-04', '2018-08-22 .. 2018-08-28']
    """
    if protocol not in PROTOCOLS:
        raise HandbookError(f"unknown protocol {protocol!r}; expected {' or '.join(PROTOCOLS)}")
    start = pd.Timestamp(first_train_day, tz="UTC")
    if protocol == "standard":
        return (Fold(0, start),)
    if folds < 1:
        raise HandbookError("the prequential protocol needs at least one fold")
    return tuple(Fold(i, start + (folds - 1 - i) * TEST_DAYS * DAY) for i in range(folds))


def _between(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> BoolArray:
    return np.asarray(((times >= start) & (times < end)).to_numpy(), dtype=np.bool_)


def select_train_rows(times: pd.Series, fold: Fold) -> IntArray:
    """The training week's rows."""
    rows = np.flatnonzero(_between(times, fold.train_start, fold.train_end)).astype(np.int64)
    if not len(rows):
        raise HandbookError(
            f"no transaction in the training week {fold.describe()['train']}; the table does "
            "not cover the protocol's dates: pass --train-start with a day it covers"
        )
    return rows


def known_fraud_ids(labels: pd.DataFrame, cutoff: pd.Timestamp) -> set[str]:
    """Transactions whose fraud label was reported by ``cutoff``."""
    known = labels[labels["is_fraud"].astype(bool) & (labels["reported_at"] <= cutoff)]
    return set(known["transaction_id"].astype(str))


def select_test_rows(
    times: pd.Series, cards: npt.NDArray[np.object_], labels: pd.DataFrame, fold: Fold
) -> IntArray:
    """The test week's rows, without the cards known to be compromised on each test day.

    A card is known on day D when one of its transactions from the training week on
    is labelled fraud and the label was reported before D began (``reported_at < D``):
    with the 7-day delay, the frauds of the training week and of the days up to D - 8.
    """
    fraud = labels[labels["is_fraud"].astype(bool) & (labels["event_time"] >= fold.train_start)]
    kept: list[IntArray] = []
    for day in range(TEST_DAYS):
        start = fold.test_start + day * DAY
        known = fraud.loc[fraud["reported_at"] < start, "card_fingerprint"].unique()
        in_day = _between(times, start, start + DAY)
        compromised = np.asarray(pd.Series(cards).isin(known).to_numpy(), dtype=np.bool_)
        kept.append(np.flatnonzero(in_day & ~compromised).astype(np.int64))
    rows = np.concatenate(kept)
    if not len(rows):
        raise HandbookError(
            f"no transaction left in the test week {fold.describe()['test']}; the table does "
            "not cover the protocol's dates: pass --train-start with a day it covers"
        )
    return rows


def evaluate(
    scores: npt.NDArray[np.float64],
    target: npt.NDArray[np.int8],
    times: pd.Series,
    cards: npt.NDArray[np.object_],
    k: int = TOP_K,
) -> dict[str, float]:
    """AUC ROC, average precision and CP@k of one test set (NaN when a class is missing)."""
    both = 0 < int(target.sum()) < len(target)
    return {
        "auc_roc": float(roc_auc_score(target, scores)) if both else float("nan"),
        "average_precision": float(average_precision_score(target, scores))
        if both
        else float("nan"),
        f"card_precision_at_{k}": card_precision_at_k(
            scores, target, times.reset_index(drop=True), cards, k
        ),
    }
