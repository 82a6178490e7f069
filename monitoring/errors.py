"""The monitoring package's error tree."""

from __future__ import annotations

__all__ = ["MonitoringError", "ReferenceMissing", "ReportError", "RollbackFailed"]


class MonitoringError(Exception):
    """Root of every error raised by :mod:`monitoring`."""


class ReferenceMissing(MonitoringError):
    """No training score distribution is stored for a model version."""

    def __init__(self, version: str) -> None:
        self.version = version
        super().__init__(
            f"no training score distribution for model {version}: create it with "
            f"`riskstream monitoring reference --model {version}` (simulated history) or "
            "store score_reference.json next to the model when training it"
        )


class ReportError(MonitoringError):
    """A report cannot be written (bad period, unwritable path, unknown format)."""


class RollbackFailed(MonitoringError):
    """The rollout guard could not restore the previous version; a person must act."""

    def __init__(self, component: str, problem: str) -> None:
        self.component = component
        super().__init__(f"rolling back the {component} failed: {problem}")
