"""The model lifecycle behind `riskstream models …`: train, register, promote, roll back.

Serving reads the local model store (``<data_dir>/models``: fast, no MLflow import
in the worker); MLflow is the system of record for runs and the registry. Every
alias move changes both — the local alias (which workers follow within seconds,
without a restart) and the MLflow alias — and appends an audit record
(``model.promoted``, ``model.rolled_back``, ``model.retired``) in the same database
transaction.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from audit import AuditEvent, AuditLog
from contracts import Settings, SystemClock
from features import RatesTable
from models import Alias, AliasChange, LocalModelStore, ModelNotFound, read_meta
from models.artifact import BOOSTER_FILE
from scoring.build import registry_for
from training import TrainingSet, build_training_set
from training.report import EvaluationReport, write_report
from training.train import FittedModel, TrainConfig, fit_model

__all__ = [
    "AliasMove",
    "TrainOutcome",
    "audit_alias_move",
    "model_store",
    "move_alias",
    "report_dir",
    "train_and_store",
    "version_rows",
]

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Move = Literal["promote", "rollback", "retire"]
_EVENTS: dict[Move, str] = {
    "promote": "model.promoted",
    "rollback": "model.rolled_back",
    "retire": "model.retired",
}


def _quiet(_: str) -> None:
    return None


def model_store(settings: Settings) -> LocalModelStore:
    return LocalModelStore(settings.data_dir / "models")


def report_dir(settings: Settings, version: str) -> Path:
    return settings.data_dir / "reports" / version


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    fitted: FittedModel
    data: TrainingSet
    report: EvaluationReport
    registry_version: str | None  # None when not tracked (or tracking failed)
    run_id: str | None


def train_and_store(
    settings: Settings,
    transactions: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    source: str,
    as_of: datetime | None,
    maturity: timedelta,
    config: TrainConfig | None = None,
    search_trials: int = 0,
    track: bool = True,
    progress: Progress = _quiet,
) -> TrainOutcome:
    """Point-in-time training set → (search) → LightGBM → local store → report → MLflow."""
    registry = registry_for(settings)
    rates = RatesTable.from_mapping(base=settings.base_currency)
    data = build_training_set(
        transactions, labels, registry, rates, as_of=as_of, maturity=maturity, progress=progress
    )
    progress(f"training set: {len(data):,} rows, {int(data.target.sum()):,} frauds")
    config = config or TrainConfig()
    if search_trials:
        from training.search import search

        found = search(data, config, trials=search_trials, progress=progress)
        config = found.best
    fitted = fit_model(data, config, progress=progress, description=source)
    store = model_store(settings)
    path = store.save(
        fitted.booster.model_to_string(),
        fitted.meta,
        {"holdout.parquet": fitted.holdout().to_parquet(index=False)},
    )
    progress(f"stored model {fitted.meta.version} in {store.root}")
    report = write_report(
        report_dir(settings, fitted.meta.version),
        target=fitted.test_target,
        scores=fitted.test_scores,
        metrics=fitted.metrics,
        importance=fitted.importance,
        title=f"{fitted.meta.version} — {source}",
    )
    progress(f"report: {report.directory / 'report.md'}")
    registry_version = run_id = None
    if track:
        from training.tracking import Tracking, log_training_run

        extra = {
            "source": source,
            "as_of": (as_of.isoformat() if as_of else "end of data"),
            "label_maturity_days": maturity / timedelta(days=1),
            "rows": len(data),
            "frauds": int(data.target.sum()),
            "search_trials": search_trials,
        }
        try:
            tracked = log_training_run(
                Tracking.from_settings(settings),
                fitted,
                model_dir=path,
                report=report,
                extra_params=extra,
                progress=progress,
            )
        except Exception as exc:  # the model is stored and servable; say what failed
            log.warning("MLflow tracking failed (%s): the model is stored locally only", exc)
            progress(f"MLflow tracking failed: {exc}")
        else:
            registry_version, run_id = tracked.registered_version, tracked.run_id
            progress(f"MLflow run {run_id}, registered as version {registry_version}")
    return TrainOutcome(fitted, data, report, registry_version, run_id)


@dataclass(frozen=True, slots=True)
class AliasMove:
    change: AliasChange
    registry_version: str | None  # the MLflow version the alias now names (None: none)
    audit_id: int | None


def _ensure_local(settings: Settings, store: LocalModelStore, version: str, track: bool) -> str:
    """The local version id for ``version``; fetched from the MLflow registry if needed."""
    try:
        store.path(version)
        return version
    except ModelNotFound:
        if not track:
            raise
    from training.tracking import Tracking, download_model

    with tempfile.TemporaryDirectory() as workdir:
        local, directory = download_model(Tracking.from_settings(settings), version, Path(workdir))
        try:
            store.path(local)
            return local
        except ModelNotFound:
            store.save((directory / BOOSTER_FILE).read_text(), read_meta(directory))
    return local


def audit_alias_move(
    settings: Settings, move: Move, change: AliasChange, actor: str, registry: str | None
) -> int | None:
    """Append the audit record of an alias move (None if the database is not set up)."""
    import db
    from audit import ChainNotInitialised

    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db.upgrade(url)  # idempotent; production databases are migrated by operators
    database = db.Database.from_settings(settings)
    audit = AuditLog(
        environment=settings.environment,
        clock=SystemClock(),
        retention_days=settings.audit_retention_days,
    )
    event = AuditEvent(
        event_type=_EVENTS[move],
        actor=actor,
        command=f"models {move}",
        target=f"model:{change.alias}",
        outcome="ok",
        before={"alias": change.alias, "version": change.before},
        after={"alias": change.alias, "version": change.after, "registry_version": registry},
    )
    try:
        with database.transaction() as session:
            return audit.append(session, event)
    except ChainNotInitialised:
        log.warning("audit log not initialised: run `riskstream db upgrade`")
        return None
    finally:
        database.dispose()


def _move_registry_alias(settings: Settings, alias: Alias, version: str | None) -> str | None:
    from training.tracking import Tracking, clear_alias, set_alias

    tracking = Tracking.from_settings(settings)
    registry = set_alias(tracking, version, alias) if version is not None else None
    if registry is None:  # cleared, or never registered: the registry must not name a stale model
        clear_alias(tracking, alias)
    return registry


def move_alias(
    settings: Settings,
    move: Move,
    alias: Alias,
    *,
    actor: str,
    version: str | None = None,
    track: bool = True,
) -> AliasMove:
    """Promote ``version`` to ``alias``, roll ``alias`` back, or retire it (clear).

    The local store moves first (that is what serving follows); the MLflow alias is
    then set to the same model, and the move is audited.
    """
    store = model_store(settings)
    if move == "promote":
        if version is None:
            raise ValueError("promote needs a version")
        change = store.promote(_ensure_local(settings, store, version, track), alias)
    elif move == "rollback":
        change = store.rollback(alias)
    else:
        change = store.clear(alias)
    registry: str | None = None
    if track:
        try:
            registry = _move_registry_alias(settings, alias, change.after)
        except Exception as exc:  # serving already follows the local alias; say so
            log.warning("MLflow alias %s not moved (%s); the local store has moved", alias, exc)
    audit_id = audit_alias_move(settings, move, change, actor, registry)
    return AliasMove(change, registry, audit_id)


def version_rows(settings: Settings, *, track: bool = True) -> list[dict[str, Any]]:
    """One row per local model version (newest last) with aliases and registry version."""
    store = model_store(settings)
    aliases = {a: store.alias(a) for a in ("champion", "challenger")}
    registered: dict[str, str] = {}
    if track:
        from training.tracking import Tracking, registered_versions

        for found in registered_versions(Tracking.from_settings(settings)):
            if found.riskstream_version:
                registered[found.riskstream_version] = found.registry_version
    rows = []
    for meta in store.versions():
        rows.append(
            {
                "version": meta.version,
                "aliases": ",".join(a for a, v in aliases.items() if v == meta.version),
                "registry": registered.get(meta.version, ""),
                "trained_at": meta.trained_at[:19],
                "auc": meta.metrics.get("auc", float("nan")),
                "ap": meta.metrics.get("average_precision", float("nan")),
                "description": meta.description,
            }
        )
    return rows
