"""The scoring core shared by the stream, the HTTP endpoint, backtests and training."""

from scoring.cache import DecisionCache, Encoded
from scoring.engine import ScoringEngine, policy_symbols
from scoring.errors import ScoringError, ScoringUnavailable

__all__ = [
    "DecisionCache",
    "Encoded",
    "ScoringEngine",
    "ScoringError",
    "ScoringUnavailable",
    "policy_symbols",
]
