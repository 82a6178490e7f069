"""`riskstream bench handbook`: our engine on the Fraud Detection Handbook's public benchmark.

The handbook's table is mapped onto our events (customer → card, terminal → merchant),
its frauds become labels reported one week late, and the offline twin of the feature
engine computes the stream's features for the whole history in one vectorised pass.
Then, for each fold of the chosen protocol, LightGBM is trained on the training week
(targets: labels known at the end of the delay) and scores the filtered test week.
Writes ``predictions.csv`` (TRANSACTION_ID,score for every test transaction),
``metrics.json`` (per fold and mean ± std) and ``comparison.png``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.handbook_data import (
    LABEL_DELAY,
    NEVER_FEATURES,
    HandbookTable,
    map_handbook,
    read_handbook,
)
from bench.handbook_errors import HandbookError
from bench.handbook_model import ModelConfig, fit, handbook_registry
from bench.handbook_protocol import (
    FIRST_TRAIN_DAY,
    FOLDS,
    Fold,
    Protocol,
    evaluate,
    known_fraud_ids,
    protocol_folds,
    select_test_rows,
    select_train_rows,
)
from bench.handbook_report import (
    PUBLISHED,
    best_published,
    format_table,
    summarise,
    write_chart,
    write_metrics,
    write_predictions,
)
from features import OfflineFeatures, RatesTable

__all__ = ["HandbookError", "HandbookResult", "compute_features", "run_handbook"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class HandbookResult:
    protocol: Protocol
    folds: list[dict[str, Any]]
    summary: dict[str, dict[str, float]]
    table: str  # our numbers next to the published ones, ready to print
    metrics_path: Path
    predictions_path: Path
    chart_path: Path
    seconds: dict[str, float]


def compute_features(table: HandbookTable, *, progress: Progress = _quiet) -> pd.DataFrame:
    """The benchmark's features for every row of ``table``, as the stream would have seen them."""
    registry = handbook_registry()
    offline = OfflineFeatures(registry, RatesTable.from_mapping())
    return offline.compute(table.transactions, table.labels, progress=progress)


def _fold(
    fold: Fold,
    table: HandbookTable,
    matrix: np.ndarray,
    names: list[str],
    config: ModelConfig,
    progress: Progress,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    started = time.perf_counter()
    times = table.event_time
    ids = table.transactions["transaction_id"].to_numpy(dtype=object)
    days = fold.describe()
    train = select_train_rows(times, fold)
    # The targets are the labels known when the delay ends, the day the model is trained.
    known = known_fraud_ids(table.labels, fold.test_start)
    target = pd.Series(ids[train]).isin(known).to_numpy().astype(np.int8)
    if not target.any():
        raise HandbookError(
            f"fold {fold.index}: the training week {days['train']} has no known fraud; "
            "pass --train-start with a week that has some"
        )
    progress(
        f"fold {fold.index}: training on {days['train']} "
        f"({len(train):,} rows, {int(target.sum())} frauds)"
    )
    event_ns = np.asarray(times.iloc[train].astype("int64").to_numpy(), dtype=np.int64)
    model = fit(matrix[train], target, event_ns, names, config, progress=progress)
    test = select_test_rows(times, table.cards, table.labels, fold)
    in_week = int(((times >= fold.test_start) & (times < fold.test_end)).sum())
    scores = model.score(matrix[test])
    truth = table.is_fraud[test]
    metrics = evaluate(scores, truth, times.iloc[test], table.cards[test])
    seconds = time.perf_counter() - started
    progress(
        f"fold {fold.index}: test {days['test']}: AUC {metrics['auc_roc']:.4f}  "
        f"AP {metrics['average_precision']:.4f}  CP@100 {metrics['card_precision_at_100']:.4f} "
        f"({seconds:.1f} s)"
    )
    record: dict[str, Any] = {
        "fold": fold.index,
        "days": days,
        "train_rows": len(train),
        "train_frauds": int(target.sum()),
        "rounds": list(model.rounds),
        "early_stopped": model.early_stopped,
        "test_rows": len(test),
        "test_frauds": int(truth.sum()),
        "test_cards": int(pd.Series(table.cards[test]).nunique()),
        "test_rows_of_known_compromised_cards_removed": in_week - len(test),
        "metrics": metrics,
        "seconds": round(seconds, 2),
    }
    return record, table.source_ids[test], scores


def run_handbook(
    data: Path,
    protocol: Protocol,
    out: Path,
    *,
    first_train_day: date = FIRST_TRAIN_DAY,
    folds: int = FOLDS,
    config: ModelConfig | None = None,
    progress: Progress = _quiet,
) -> HandbookResult:
    """Run the benchmark on the table at ``data`` and write its results to ``out``."""
    config = config or ModelConfig()
    fold_list = protocol_folds(protocol, first_train_day, folds)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    progress(f"reading {data}")
    table = map_handbook(read_handbook(data))
    seconds["read_and_map"] = time.perf_counter() - started
    times = table.event_time
    progress(
        f"{len(table):,} transactions, {int(table.is_fraud.sum()):,} frauds, "
        f"{times.iloc[0]:%Y-%m-%d} .. {times.iloc[-1]:%Y-%m-%d}; "
        f"{len(table.labels):,} labels reported {LABEL_DELAY.days} days late"
    )

    registry = handbook_registry()
    names = list(registry.model_features)
    progress(f"features: {len(names)} model inputs for all {len(table):,} transactions")
    step = time.perf_counter()
    computed = compute_features(table, progress=lambda m: progress(f"  features: {m}"))
    seconds["features"] = time.perf_counter() - step
    progress(
        f"features done in {seconds['features']:.1f} s "
        f"({len(table) / max(seconds['features'], 1e-9):,.0f} transactions/s)"
    )
    matrix = computed[names].to_numpy(np.float64)

    step = time.perf_counter()
    records, id_parts, score_parts = [], [], []
    for fold in fold_list:
        record, ids, scores = _fold(fold, table, matrix, names, config, progress)
        records.append(record)
        id_parts.append(ids)
        score_parts.append(scores)
    seconds["train_and_score"] = time.perf_counter() - step

    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(records)
    predictions = write_predictions(
        out / "predictions.csv", np.concatenate(id_parts), np.concatenate(score_parts)
    )
    chart = write_chart(out / "comparison.png", protocol, summary, len(records), config.label)
    seconds["total"] = time.perf_counter() - started
    rounded = {k: round(v, 2) for k, v in seconds.items()}
    best = best_published(protocol)
    payload = {
        "benchmark": "Fraud Detection Handbook, simulated dataset",
        "protocol": protocol,
        "data": {
            "path": str(data),
            "rows": len(table),
            "frauds": int(table.is_fraud.sum()),
            "first": times.iloc[0].isoformat(),
            "last": times.iloc[-1].isoformat(),
            "never_used": list(NEVER_FEATURES),
        },
        "label_delay_days": LABEL_DELAY.days,
        "features": names,
        "feature_set_version": registry.version,
        "model": config.describe(),
        "folds": records,
        "summary": summary,
        "published": [
            {"model": p.model, **{m: p.value(m) for m in summary}} for p in PUBLISHED[protocol]
        ],
        "beats_best_published": {m: summary[m]["mean"] > best[m] for m in summary},
        "seconds": rounded,
    }
    metrics = write_metrics(out / "metrics.json", payload)
    return HandbookResult(
        protocol=protocol,
        folds=records,
        summary=summary,
        table=format_table(protocol, summary, records, config.label),
        metrics_path=metrics,
        predictions_path=predictions,
        chart_path=chart,
        seconds=rounded,
    )
