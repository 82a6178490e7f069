"""Model commands' logic: training a first model on simulated history."""

from __future__ import annotations

import getpass
from datetime import timedelta

import click

from contracts import Settings
from models import LocalModelStore
from riskstream.model_ops import model_store as _model_store
from riskstream.model_ops import move_alias, train_and_store
from simulator import SimulationConfig
from training.simulated import simulate_history

__all__ = ["current_user", "model_store", "train_first_model"]


def model_store(settings: Settings) -> LocalModelStore:
    return _model_store(settings)


def current_user() -> str:
    """Who runs the command, for the audit log."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


def train_first_model(
    settings: Settings,
    *,
    seed: int,
    days: float,
    promote: bool | None,
    maturity_days: float = 10.0,
    track: bool = True,
) -> str:
    """Train on ``days`` of simulated history; promote when asked or when no champion exists.

    Only transactions at least ``maturity_days`` old at the end of the history are
    trained on: younger ones have not had time to be charged back. The run is tracked
    in MLflow (``track``); if tracking fails the model is still stored and served.
    """
    from riskstream.cli_support import progress_printer

    progress = progress_printer()
    config = SimulationConfig(seed=seed, days=days)
    progress(f"simulating {days:g} days (seed {seed})")
    transactions, labels = simulate_history(config)
    frauds = int(transactions["is_fraud"].sum())
    progress(f"{len(transactions):,} transactions, {frauds:,} frauds, {len(labels):,} labels")
    outcome = train_and_store(
        settings,
        transactions,
        labels,
        source=f"simulated {days:g} days, seed {seed}",
        as_of=config.end,
        maturity=timedelta(days=maturity_days),
        track=track,
        progress=progress,
    )
    version = outcome.fitted.meta.version
    store = model_store(settings)
    if promote or (promote is None and store.alias("champion") is None):
        moved = move_alias(
            settings, "promote", "champion", actor=current_user(), version=version, track=track
        )
        click.echo(f"champion: {moved.change.before or '(none)'} -> {version}", err=True)
    return version
