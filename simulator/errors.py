"""The simulator's error tree: :class:`SimulatorError` is the root."""

from __future__ import annotations

__all__ = ["ConfigError", "SimulatorError", "SinkError"]


class SimulatorError(Exception):
    """Root of every error raised by :mod:`simulator`."""


class ConfigError(SimulatorError, ValueError):
    """A :class:`~simulator.config.SimulationConfig` field is out of range.

    ``field`` names the offending field; the message says what is accepted.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"SimulationConfig.{field}: {message}")


class SinkError(SimulatorError):
    """Writing simulated events to a file or a broker failed; the message says where."""
