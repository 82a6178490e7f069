"""Shared simulated data: one default month (seed 7) generated once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from simulator import SimulatedTransaction, SimulationConfig, Simulator, to_frame

MONTH = SimulationConfig(seed=7, days=30)
SMALL = SimulationConfig(seed=11, days=4, n_customers=400, n_merchants=60)


@pytest.fixture(scope="session")
def month() -> list[SimulatedTransaction]:
    """The default month: about 47,000 transactions."""
    return Simulator(MONTH).run()


@pytest.fixture(scope="session")
def month_frame(month: list[SimulatedTransaction]) -> pd.DataFrame:
    return to_frame(month)


@pytest.fixture(scope="session")
def small() -> list[SimulatedTransaction]:
    return Simulator(SMALL).run()
