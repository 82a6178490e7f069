"""The feature engine: declarative specs, the registry, Redis online store, offline twin.

The registry is the single source of feature names for the model, the rules and the
review UI. The online store (Redis, one Lua call per batch) and the offline twin
(numpy over a transaction table) produce identical values, point-in-time correct.
"""

from features.columns import TABLE_COLUMNS, events_to_columns, events_to_table, table_to_columns
from features.errors import FeatureError, FeatureSpecError, FeatureStoreError
from features.money import RatesTable
from features.offline import OfflineFeatures
from features.online import RedisFeatureStore
from features.plan import StatePlan
from features.reference import LabelRecord
from features.registry import (
    DEFAULT_WINDOWS,
    FeatureDef,
    FeatureRegistry,
    default_registry,
    first_path_registry,
)
from features.signals import SIGNALS, Signal
from features.spec import FirstSeen, FraudShare, Recency, Velocity, parse_window

__all__ = [
    "DEFAULT_WINDOWS",
    "SIGNALS",
    "TABLE_COLUMNS",
    "FeatureDef",
    "FeatureError",
    "FeatureRegistry",
    "FeatureSpecError",
    "FeatureStoreError",
    "FirstSeen",
    "FraudShare",
    "LabelRecord",
    "OfflineFeatures",
    "RatesTable",
    "Recency",
    "RedisFeatureStore",
    "Signal",
    "StatePlan",
    "Velocity",
    "default_registry",
    "events_to_columns",
    "events_to_table",
    "first_path_registry",
    "parse_window",
    "table_to_columns",
]
