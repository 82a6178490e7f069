"""Train a model on simulated history: what `riskstream train` and the demo run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from features import FeatureRegistry, RatesTable
from models import LocalModelStore
from simulator import SimulationConfig, Simulator, labels_frame, to_frame
from training.dataset import build_training_set
from training.train import FittedModel, TrainConfig, fit_model

__all__ = ["SimulatedRun", "simulate_history", "train_on_simulation"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class SimulatedRun:
    fitted: FittedModel
    transactions: int
    frauds: int


def simulate_history(config: SimulationConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The transaction table and the label table of a simulated period."""
    simulator = Simulator(config)
    transactions = list(simulator.transactions())
    return to_frame(transactions), labels_frame(transactions)


def train_on_simulation(
    config: SimulationConfig,
    registry: FeatureRegistry,
    rates: RatesTable,
    store: LocalModelStore,
    *,
    train_config: TrainConfig | None = None,
    maturity: timedelta = timedelta(days=0),
    progress: Progress = _quiet,
) -> SimulatedRun:
    """Simulate ``config``, build point-in-time features, train, and save the model.

    Labels are those known at the end of the simulated period (chargebacks still in
    flight are not), exactly what a data scientist would have on that day.
    """
    progress(f"simulating {config.days:g} days (seed {config.seed})")
    transactions, labels = simulate_history(config)
    frauds = int(transactions["is_fraud"].sum())
    progress(f"{len(transactions):,} transactions, {frauds:,} frauds, {len(labels):,} labels")
    data = build_training_set(
        transactions,
        labels,
        registry,
        rates,
        as_of=config.end,
        maturity=maturity,
        progress=progress,
    )
    fitted = fit_model(
        data,
        train_config,
        progress=progress,
        description=f"simulated {config.days:g} days, seed {config.seed}",
    )
    store.save(fitted.booster.model_to_string(), fitted.meta)
    return SimulatedRun(fitted, len(transactions), frauds)
