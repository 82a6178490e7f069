"""Errors of the training workbench."""

from __future__ import annotations

__all__ = ["MappingError", "ThresholdError", "TrackingError", "TrainingError"]


class TrainingError(Exception):
    """Root of every error raised by :mod:`training`; the message says what to change."""


class MappingError(TrainingError):
    """A mapping file, or the table it describes, is not usable; the message says why."""


class TrackingError(TrainingError):
    """MLflow tracking or the model registry refused an operation."""


class ThresholdError(TrainingError):
    """No score bands satisfy the constraints (for example the review capacity)."""
