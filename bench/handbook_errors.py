"""Errors of the handbook benchmark."""

from __future__ import annotations

__all__ = ["HandbookError"]


class HandbookError(Exception):
    """Root of every error the handbook benchmark raises; the message says what to change."""
