"""The data scientist's workbench: point-in-time training sets, training, evaluation.

MLflow tracking lives in :mod:`training.tracking` and is imported only where it is
used (never by the serving path); see docs/training.md.
"""

from training.calibration import CalibrationMethod, fit_calibration
from training.dataset import TrainingSet, build_training_set, normalise_labels
from training.errors import MappingError, ThresholdError, TrackingError, TrainingError
from training.metrics import card_precision_at_k, evaluate, recall_at_capacity
from training.train import (
    FittedModel,
    TrainConfig,
    fit_booster,
    fit_model,
    model_version,
    time_slices,
    time_split,
)

__all__ = [
    "CalibrationMethod",
    "FittedModel",
    "MappingError",
    "ThresholdError",
    "TrackingError",
    "TrainConfig",
    "TrainingError",
    "TrainingSet",
    "build_training_set",
    "card_precision_at_k",
    "evaluate",
    "fit_booster",
    "fit_calibration",
    "fit_model",
    "model_version",
    "normalise_labels",
    "recall_at_capacity",
    "time_slices",
    "time_split",
]
