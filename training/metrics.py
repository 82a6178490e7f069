"""Evaluation metrics that fraud teams compare: AUC, AP, card precision@k, recall at capacity.

Card Precision@k follows the Fraud Detection Handbook: for each day, every card keeps
its highest score and is fraudulent if any of its transactions that day is; cards are
ranked by score (ties broken by card id, so the result is deterministic); the share
of fraudulent cards among the top k is that day's precision. Cards caught in an
earlier day's top k are removed from later days. CP@k is the mean over days.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["card_precision_at_k", "evaluate", "recall_at_capacity"]


def card_precision_at_k(
    scores: npt.NDArray[np.float64],
    target: npt.NDArray[np.int8],
    times: pd.Series,
    cards: npt.NDArray[np.object_],
    k: int = 100,
) -> float:
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(times, utc=True).dt.floor("D").to_numpy(),
            "card": cards,
            "score": scores,
            "fraud": target,
        }
    )
    detected: set[object] = set()
    precisions = []
    for _, day in frame.groupby("day", sort=True):
        day = day[~day["card"].isin(detected)]
        if day.empty:
            continue
        per_card = (
            day.groupby("card").agg(score=("score", "max"), fraud=("fraud", "max")).reset_index()
        )
        ranked = per_card.sort_values(["score", "card"], ascending=[False, True]).head(k)
        precisions.append(float(ranked["fraud"].sum()) / k)
        detected.update(ranked.loc[ranked["fraud"] == 1, "card"].tolist())
    return float(np.mean(precisions)) if precisions else float("nan")


def recall_at_capacity(
    scores: npt.NDArray[np.float64],
    target: npt.NDArray[np.int8],
    times: pd.Series,
    capacity_per_day: int,
    amounts: npt.NDArray[np.float64] | None = None,
) -> tuple[float, float]:
    """Share of frauds (and of fraud money) in each day's top ``capacity_per_day`` scores."""
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(times, utc=True).dt.floor("D").to_numpy(),
            "score": scores,
            "fraud": target,
            "amount": amounts if amounts is not None else np.ones(len(scores)),
        }
    )
    frame["rank"] = frame.groupby("day")["score"].rank(method="first", ascending=False)
    caught = frame[(frame["rank"] <= capacity_per_day) & (frame["fraud"] == 1)]
    frauds = frame[frame["fraud"] == 1]
    if frauds.empty:
        return float("nan"), float("nan")
    return len(caught) / len(frauds), float(caught["amount"].sum() / frauds["amount"].sum())


def evaluate(
    target: npt.NDArray[np.int8],
    scores: npt.NDArray[np.float64],
    times: pd.Series,
    cards: npt.NDArray[np.object_],
    amounts: npt.NDArray[np.float64],
    *,
    k: int = 100,
    capacity_per_day: int = 100,
) -> dict[str, float]:
    """The metrics logged for every model."""
    both = 0 < int(target.sum()) < len(target)
    recall, money = recall_at_capacity(scores, target, times, capacity_per_day, amounts)
    missed = amounts[(target == 1)].sum() * (1.0 - money) if both else 0.0
    return {
        "auc": float(roc_auc_score(target, scores)) if both else float("nan"),
        "average_precision": float(average_precision_score(target, scores))
        if both
        else float("nan"),
        f"card_precision_at_{k}": card_precision_at_k(scores, target, times, cards, k),
        f"recall_at_{capacity_per_day}_per_day": recall,
        f"fraud_amount_recall_at_{capacity_per_day}_per_day": money,
        "missed_fraud_amount_base": float(missed),
        "rows": float(len(target)),
        "frauds": float(target.sum()),
    }
