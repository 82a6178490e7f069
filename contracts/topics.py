"""The topics riskstream reads and writes, with their partition counts.

Partition counts are fixed at creation: the embedded broker cannot add partitions
later, and keyed topics must keep their key-to-partition mapping anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.settings import Settings

__all__ = ["TopicSpec", "topic_specs"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    logical: str  # the name code refers to
    name: str  # the name on the broker (with the deployment's prefix)
    partitions: int
    key: str  # what the message key is, which decides the partition
    description: str


def topic_specs(settings: Settings) -> tuple[TopicSpec, ...]:
    """Every topic of a deployment, in creation order."""
    rows = [
        ("transactions", settings.transactions_partitions, "card fingerprint",
         "authorization attempts from the payment pipeline"),
        ("decisions", settings.decisions_partitions, "card fingerprint",
         "one decision per transaction"),
        ("transactions.dlq", 1, "none", "events that failed validation or processing"),
        ("alerts.pci", 1, "none", "PCI-violation alerts, never carrying the value"),
        ("labels", 4, "transaction id", "fraud and chargeback labels, arriving late"),
        ("captures", 4, "transaction id", "capture commands after a review approves"),
        ("voids", 4, "transaction id", "void commands after a review declines"),
        ("chargebacks", 4, "transaction id", "disputes, early fraud warnings, refunds"),
        ("alerts.ops", 1, "none", "operational alerts such as automatic rollbacks"),
    ]  # fmt: skip
    return tuple(
        TopicSpec(logical, settings.topic(logical), partitions, key, description)
        for logical, partitions, key, description in rows
    )
