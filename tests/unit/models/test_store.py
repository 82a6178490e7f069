"""The model store: versions never overwritten; aliases move, roll back; holders follow."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from models import LocalModelStore, ModelError, ModelHolder, ModelMeta


def _train(tmp: Path, version: str, store: LocalModelStore, names: tuple[str, ...]) -> None:
    rng = np.random.default_rng(len(version))
    x = rng.normal(size=(400, len(names)))
    y = (x[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "num_threads": 1},
        lgb.Dataset(x, y, feature_name=list(names)),
        num_boost_round=5,
    )
    meta = ModelMeta(
        version=version,
        feature_names=names,
        feature_set_version="fs-test",
        trained_at=f"2026-01-0{len(store.versions()) + 1}T00:00:00+00:00",
        data_span=("2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"),
    )
    store.save(booster.model_to_string(), meta)


def test_promote_and_roll_back(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path / "models")
    for version in ("m-1", "m-2"):
        _train(tmp_path, version, store, ("a", "b"))
    with pytest.raises(ModelError):
        _train(tmp_path, "m-1", store, ("a", "b"))
    holder = ModelHolder(store, ("a", "b"), poll_interval_s=0)
    assert holder.current.champion is None
    store.promote("m-1")
    assert holder.refresh() and holder.current.champion is not None
    assert holder.current.champion.version == "m-1"
    change = store.promote("m-2")
    assert (change.before, change.after) == ("m-1", "m-2")
    holder.refresh()
    assert holder.current.champion is not None and holder.current.champion.version == "m-2"
    store.rollback()
    holder.refresh()
    assert holder.current.champion is not None and holder.current.champion.version == "m-1"
    with pytest.raises(ModelError):
        store.rollback()


def test_a_model_needing_unknown_features_is_not_served(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path / "models")
    _train(tmp_path, "m-x", store, ("a", "missing_feature"))
    store.promote("m-x")
    holder = ModelHolder(store, ("a",), poll_interval_s=0)
    assert holder.current.champion is None  # rules-only rather than a crash
