"""The data scientist's workbench: point-in-time training sets, training, evaluation."""

from training.dataset import TrainingSet, build_training_set, normalise_labels
from training.errors import TrainingError
from training.metrics import card_precision_at_k, evaluate, recall_at_capacity
from training.train import FittedModel, TrainConfig, fit_model, time_split

__all__ = [
    "FittedModel",
    "TrainConfig",
    "TrainingError",
    "TrainingSet",
    "build_training_set",
    "card_precision_at_k",
    "evaluate",
    "fit_model",
    "normalise_labels",
    "recall_at_capacity",
    "time_split",
]
