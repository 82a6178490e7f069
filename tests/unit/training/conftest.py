"""A small simulated history shared by the training tests (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import pytest

from features import RatesTable, default_registry
from simulator import SimulationConfig
from training import TrainingSet, build_training_set
from training.simulated import simulate_history


@dataclass(frozen=True)
class History:
    config: SimulationConfig
    transactions: pd.DataFrame
    labels: pd.DataFrame
    data: TrainingSet


@pytest.fixture(scope="session")
def history() -> History:
    config = SimulationConfig(seed=5, days=30, n_customers=700, n_merchants=80)
    transactions, labels = simulate_history(config)
    data = build_training_set(
        transactions,
        labels,
        default_registry(),
        RatesTable.from_mapping(),
        as_of=config.end,
        maturity=timedelta(days=7),
    )
    return History(config, transactions, labels, data)
