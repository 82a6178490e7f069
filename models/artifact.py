"""A trained model on disk: the booster, its metadata and its calibration."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelNotFound

__all__ = ["Calibration", "ModelMeta", "read_meta", "write_meta"]

META_FILE = "meta.json"
BOOSTER_FILE = "model.txt"


@dataclass(frozen=True, slots=True)
class Calibration:
    """Isotonic calibration as a step function (x thresholds -> calibrated y)."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def apply(self, raw: np.ndarray) -> np.ndarray:
        if not self.x:
            return raw
        calibrated: np.ndarray = np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        return calibrated


@dataclass(frozen=True, slots=True)
class ModelMeta:
    version: str
    feature_names: tuple[str, ...]
    feature_set_version: str
    trained_at: str  # ISO 8601 UTC
    data_span: tuple[str, str]  # first and last event time of the training data
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    calibration: Calibration | None = None
    description: str = ""


def write_meta(directory: Path, meta: ModelMeta) -> None:
    payload = asdict(meta)
    (directory / META_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True))


def read_meta(directory: Path) -> ModelMeta:
    path = directory / META_FILE
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelNotFound(f"no model metadata at {path}") from None
    calibration = raw.pop("calibration", None)
    return ModelMeta(
        version=raw["version"],
        feature_names=tuple(raw["feature_names"]),
        feature_set_version=raw["feature_set_version"],
        trained_at=raw["trained_at"],
        data_span=(raw["data_span"][0], raw["data_span"][1]),
        metrics=dict(raw.get("metrics", {})),
        params=dict(raw.get("params", {})),
        calibration=Calibration(tuple(calibration["x"]), tuple(calibration["y"]))
        if calibration
        else None,
        description=raw.get("description", ""),
    )
