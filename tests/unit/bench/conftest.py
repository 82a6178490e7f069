"""A small table with the handbook's columns, its frauds injected by the handbook's rules."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

START = pd.Timestamp("2018-06-01")  # naive, as in the handbook's files

HandbookFactory = Callable[..., pd.DataFrame]


def handbook_table(
    *, days: int = 52, cards: int = 40, terminals: int = 12, per_day: int = 12, seed: int = 5
) -> pd.DataFrame:
    """Transactions with the handbook's columns; fraud by its three rules.

    1. every amount > 220 is fraud; 2. every fifth day a terminal is compromised and all
    its transactions in the next 28 days are fraud; 3. every fourth day a card is
    compromised and in the next 14 days a third of its amounts are multiplied by 5.
    """
    rng = np.random.default_rng(seed)
    n = days * per_day
    seconds = np.sort(rng.integers(0, days * 86_400, n))
    customer = rng.integers(0, cards, n)
    terminal = rng.integers(0, terminals, n)
    amount = np.round(rng.gamma(2.0, 30.0, n), 2)
    day = seconds // 86_400
    scenario = np.zeros(n, dtype=np.int64)
    for start in range(2, days, 5):
        hit = (terminal == rng.integers(0, terminals)) & (day >= start) & (day < start + 28)
        scenario[hit & (scenario == 0)] = 2
    for start in range(1, days, 4):
        card = rng.integers(0, cards)
        hit = (customer == card) & (day >= start) & (day < start + 14) & (rng.random(n) < 1 / 3)
        amount[hit & (scenario == 0)] *= 5
        scenario[hit & (scenario == 0)] = 3
    scenario[(amount > 220) & (scenario == 0)] = 1
    return pd.DataFrame(
        {
            "TRANSACTION_ID": np.arange(n),
            "TX_DATETIME": START + pd.to_timedelta(seconds, unit="s"),
            "CUSTOMER_ID": customer,
            "TERMINAL_ID": terminal,
            "TX_AMOUNT": amount,
            "TX_TIME_SECONDS": seconds,
            "TX_TIME_DAYS": day,
            "TX_FRAUD": (scenario > 0).astype(np.int64),
            "TX_FRAUD_SCENARIO": scenario,
        }
    )


@pytest.fixture
def make_handbook() -> HandbookFactory:
    return handbook_table
