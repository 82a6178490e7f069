"""Errors of the training workbench."""

from __future__ import annotations

__all__ = ["TrainingError"]


class TrainingError(Exception):
    """Root of every error raised by :mod:`training`; the message says what to change."""
