"""Errors of the scoring core."""

from __future__ import annotations

__all__ = ["ScoringError", "ScoringUnavailable"]


class ScoringError(Exception):
    """Root of every error raised by :mod:`scoring`."""


class ScoringUnavailable(ScoringError):
    """A dependency (Redis) is down and the batch could not be scored."""
