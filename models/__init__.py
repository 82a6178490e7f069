"""Model serving: LightGBM scorers, a versioned store with aliases, hot reload."""

from models.artifact import Calibration, ModelMeta, read_meta, write_meta
from models.base import FloatMatrix, Scorer
from models.errors import IncompatibleModel, ModelError, ModelNotFound
from models.explain import describe_value, top_reasons, top_reasons_batch
from models.fastpath import SingleRowPredictor
from models.holder import ModelHolder, ServingModels
from models.lightgbm_scorer import LightGBMScorer
from models.store import Alias, AliasChange, LocalModelStore

__all__ = [
    "Alias",
    "AliasChange",
    "Calibration",
    "FloatMatrix",
    "IncompatibleModel",
    "LightGBMScorer",
    "LocalModelStore",
    "ModelError",
    "ModelHolder",
    "ModelMeta",
    "ModelNotFound",
    "Scorer",
    "ServingModels",
    "SingleRowPredictor",
    "describe_value",
    "read_meta",
    "top_reasons",
    "top_reasons_batch",
    "write_meta",
]
