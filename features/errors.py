"""Errors of the feature engine."""

from __future__ import annotations

__all__ = ["FeatureError", "FeatureSpecError", "FeatureStoreError"]


class FeatureError(Exception):
    """Root of every error raised by :mod:`features`."""


class FeatureSpecError(FeatureError, ValueError):
    """A feature spec or registry is invalid; the message says which part and why."""


class FeatureStoreError(FeatureError):
    """The real-time store failed (Redis unreachable, script error)."""
