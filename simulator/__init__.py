"""Synthetic card traffic for demos, training, backtests and benchmarks.

Deterministic by seed: the same :class:`SimulationConfig` always yields byte-identical
events. Legitimate customers shop with daily and weekly rhythms; fraud patterns (card
testing, BIN attacks, stolen cards, account takeover, AVS/CVV mismatch, points of
compromise, merchants under attack) are mixed in and tagged; labels arrive late.

>>> from simulator import SimulationConfig, Simulator
>>> sim = Simulator(SimulationConfig(seed=7, days=1, n_customers=100, n_merchants=30))
>>> all(t.event.event_time < sim.config.end for t in sim)
True
"""

from simulator.config import PATTERN_NAMES, PatternMix, PatternName, SimulationConfig
from simulator.engine import Simulator
from simulator.errors import ConfigError, SimulatorError, SinkError
from simulator.kafka import ProduceResult, produce
from simulator.labels import labels_in_order, with_labels
from simulator.population import Population
from simulator.records import (
    Label,
    LabelKind,
    LabelReason,
    LabelSource,
    SimulatedTransaction,
    label_event,
)
from simulator.tabular import (
    FRAME_COLUMNS,
    LABEL_COLUMNS,
    labels_frame,
    read_jsonl,
    read_labels_jsonl,
    read_parquet,
    to_frame,
    write_jsonl,
    write_labels_jsonl,
    write_parquet,
)

__all__ = [
    "FRAME_COLUMNS",
    "LABEL_COLUMNS",
    "PATTERN_NAMES",
    "ConfigError",
    "Label",
    "LabelKind",
    "LabelReason",
    "LabelSource",
    "PatternMix",
    "PatternName",
    "Population",
    "ProduceResult",
    "SimulatedTransaction",
    "SimulationConfig",
    "Simulator",
    "SimulatorError",
    "SinkError",
    "label_event",
    "labels_frame",
    "labels_in_order",
    "produce",
    "read_jsonl",
    "read_labels_jsonl",
    "read_parquet",
    "to_frame",
    "with_labels",
    "write_jsonl",
    "write_labels_jsonl",
    "write_parquet",
]
