"""What the disputes package reports as it works; :mod:`monitoring.metrics` listens.

A protocol rather than an import, so the package needs no metrics library and tests
can count calls with a plain object.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["DisputeObserver", "NullObserver", "WebhookOutcome"]

# accepted, duplicate, ignored (event type not handled), refused_signature,
# refused_timestamp, replayed, conflict, invalid, not_configured
WebhookOutcome = str


class DisputeObserver(Protocol):
    def dispute_recorded(self, kind: str, category: str, matched: bool) -> None: ...

    def webhook_outcome(self, outcome: WebhookOutcome) -> None: ...

    def labels_recorded(self, source: str, is_fraud: bool, count: int) -> None: ...


class NullObserver:
    """Reports nowhere."""

    def dispute_recorded(self, kind: str, category: str, matched: bool) -> None:
        return None

    def webhook_outcome(self, outcome: WebhookOutcome) -> None:
        return None

    def labels_recorded(self, source: str, is_fraud: bool, count: int) -> None:
        return None
