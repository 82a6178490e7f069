"""Model commands' logic: training a first model on simulated history."""

from __future__ import annotations

from datetime import timedelta

import click

from contracts import Settings
from features import RatesTable
from models import LocalModelStore
from riskstream.cli_support import progress_printer
from scoring.build import registry_for
from simulator import SimulationConfig
from training.simulated import train_on_simulation

__all__ = ["model_store", "train_first_model"]


def model_store(settings: Settings) -> LocalModelStore:
    return LocalModelStore(settings.data_dir / "models")


def train_first_model(
    settings: Settings,
    *,
    seed: int,
    days: float,
    promote: bool | None,
    maturity_days: float = 10.0,
) -> str:
    """Train on ``days`` of simulated history; promote when asked or when no champion exists.

    Only transactions at least ``maturity_days`` old at the end of the history are
    trained on: younger ones have not had time to be charged back.
    """
    store = model_store(settings)
    run = train_on_simulation(
        SimulationConfig(seed=seed, days=days),
        registry_for(settings),
        RatesTable.from_mapping(base=settings.base_currency),
        store,
        maturity=timedelta(days=maturity_days),
        progress=progress_printer(),
    )
    version = run.fitted.meta.version
    click.echo(f"stored model {version} in {store.root}", err=True)
    if promote or (promote is None and store.alias("champion") is None):
        change = store.promote(version)
        click.echo(f"champion: {change.before or '(none)'} -> {version}", err=True)
    return version
