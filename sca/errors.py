"""Errors of the SCA advice package."""

from __future__ import annotations

__all__ = ["RatesFileError", "ScaError"]


class ScaError(Exception):
    """Root of every error raised by :mod:`sca`."""


class RatesFileError(ScaError):
    """The measured fraud-rate file cannot be read; advice falls back to a challenge."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: {problem}; it is rewritten by the monitoring workers "
            "(`riskstream monitoring-workers` or `riskstream serve`)"
        )
