"""Prometheus metrics: one registry per process, typed helpers, the ``/metrics`` route.

Three groups, registered on the registry the process owns (never the global one):

* :class:`ScoringMetrics`: what a scoring process measures itself (the stream worker,
  the HTTP scorer): decisions by action and mode, the score histogram, per-stage
  latency per batch, batch sizes, rule hits, dead letters and PCI alerts.
* :class:`StreamMetrics`: the same facts for the whole fleet, observed on the
  ``decisions``, ``transactions.dlq`` and ``alerts.pci`` topics by the monitoring
  workers (prefix ``riskstream_stream_``, so nothing is counted twice).
* :class:`OpsMetrics`: review queue depth and age, chargebacks, webhook deliveries,
  labels, rollbacks, drift and the measured fraud rate.

The worker serves its registry with :func:`serve_metrics` on
``RISKSTREAM_WORKER_METRICS_PORT``; the API app mounts ``monitoring.app.metrics_router``.
This module needs nothing but ``prometheus_client``: the worker imports it cheaply.
"""

from __future__ import annotations

from collections import Counter as CountOf
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from monitoring.bulk import BulkCounter, BulkHistogram

__all__ = [
    "LATENCY_BUCKETS_S",
    "SCORE_BUCKETS",
    "MonitoringMetrics",
    "OpsMetrics",
    "ScoringMetrics",
    "StreamMetrics",
    "serve_metrics",
]

SCORE_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 0.95, 1.0)
LATENCY_BUCKETS_S = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)

RuleHitTuple = tuple[str, str, bool]  # (rule_id, action, shadow)


def _hits(hits: Iterable[Any]) -> Iterable[RuleHitTuple]:
    for hit in hits:
        if isinstance(hit, Mapping):
            yield str(hit.get("rule_id", "")), str(hit.get("action", "")), bool(hit.get("shadow"))
        else:
            yield hit.rule_id, hit.action, hit.shadow


class _DecisionFacts:
    """Counters and histograms of decisions, under a name prefix, fed a batch at a time."""

    def __init__(self, registry: CollectorRegistry, prefix: str, where: str) -> None:
        self.decisions = BulkCounter(
            f"{prefix}decisions", f"Decisions {where}, by action and mode",
            ["action", "mode"], registry=registry,
        )  # fmt: skip
        self.score = BulkHistogram(
            f"{prefix}decision_score", f"Model fraud probability of decisions {where}",
            SCORE_BUCKETS, registry=registry,
        )  # fmt: skip
        self.latency = BulkHistogram(
            f"{prefix}decision_latency_seconds",
            f"Scoring latency each decision carries (batch start to decision), {where}",
            LATENCY_BUCKETS_S, registry=registry,
        )  # fmt: skip
        self.rule_hits = BulkCounter(
            f"{prefix}rule_hits", f"Rules that fired {where}", ["rule_id", "action", "shadow"],
            registry=registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            f"{prefix}dead_letters", f"Messages sent to the dead-letter topic {where}",
            ["reason"], registry=registry,
        )  # fmt: skip
        self.pci_alerts = Counter(
            f"{prefix}pci_alerts", f"PCI-violation alerts raised {where} (never the value)",
            registry=registry,
        )  # fmt: skip

    def observe_scored(
        self,
        actions: Sequence[str],
        scores: npt.ArrayLike,
        latency_ms: npt.ArrayLike,
        *,
        mode: str = "full",
        rule_hits: Iterable[RuleHitTuple] = (),
    ) -> None:
        """A batch as the scoring core holds it: no decision objects, no JSON.

        ``scores`` may hold NaN (no model); ``latency_ms`` is one value per decision or
        one for the whole batch.
        """
        self.decisions.inc_many({(a, mode): n for a, n in CountOf(actions).items()})
        self.score.observe_many(scores)
        latency = np.asarray(latency_ms, dtype=np.float64)
        if latency.ndim == 0:
            latency = np.full(len(actions), float(latency))
        self.latency.observe_many(latency / 1000.0)
        self._hits(rule_hits)

    def _hits(self, rule_hits: Iterable[RuleHitTuple]) -> None:
        counts: CountOf[tuple[str, ...]] = CountOf(
            (r, a, "true" if s else "false") for r, a, s in rule_hits
        )
        if counts:
            self.rule_hits.inc_many(dict(counts))

    def observe_decisions(self, decisions: Iterable[Any]) -> None:
        """Decisions (:class:`contracts.Decision` objects or their JSON as mappings)."""
        modes: CountOf[tuple[str, ...]] = CountOf()
        scores: list[float] = []
        latencies: list[float] = []
        hits: list[RuleHitTuple] = []
        for d in decisions:
            if isinstance(d, Mapping):
                action, mode, score, latency = (
                    str(d.get("action")), str(d.get("mode", "full")), d.get("score"),
                    d.get("latency_ms"),
                )  # fmt: skip
                hits.extend(_hits(d.get("rule_hits") or ()))
            else:
                action, mode, score, latency = d.action, d.mode, d.score, d.latency_ms
                hits.extend(_hits(d.rule_hits))
            modes[(action, mode)] += 1
            if isinstance(score, int | float):
                scores.append(float(score))
            if isinstance(latency, int | float):
                latencies.append(float(latency) / 1000.0)
        if modes:
            self.decisions.inc_many(dict(modes))
        self.score.observe_many(scores)
        self.latency.observe_many(latencies)
        self._hits(hits)

    def dead_letter(self, reason: str, count: int = 1) -> None:
        self.dead_letters.labels(reason=reason).inc(count)

    def pci_alert(self, count: int = 1) -> None:
        self.pci_alerts.inc(count)


class ScoringMetrics(_DecisionFacts):
    """A scoring process's own measurements (``riskstream_…``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry, "riskstream_", "made by this process")
        self.stage_latency = Histogram(
            "riskstream_stage_latency_seconds",
            "Wall time of each scoring stage per batch (decode, cache, features, model, "
            "rules, encode)", ["stage"], buckets=LATENCY_BUCKETS_S, registry=registry,
        )  # fmt: skip
        self.batch_events = Histogram(
            "riskstream_batch_events", "Events per scored batch", buckets=BATCH_BUCKETS,
            registry=registry,
        )  # fmt: skip

    def observe_stage(self, stage: str, seconds: float, events: int) -> None:
        """A :class:`scoring.stages.StageTimes` listener: ``stages.listeners.append(…)``."""
        self.stage_latency.labels(stage=stage).observe(seconds)

    def observe_batch(
        self, decisions: Sequence[Any], *, dead_letters: int = 0, pci_alerts: int = 0
    ) -> None:
        """One processed batch: its decisions, dead letters and PCI alerts."""
        self.batch_events.observe(len(decisions) + dead_letters)
        self.observe_decisions(decisions)
        if dead_letters:
            self.dead_letter("rejected", dead_letters)
        if pci_alerts:
            self.pci_alert(pci_alerts)

    def observe_published(
        self, payloads: Sequence[bytes], *, dead_letters: int = 0, pci_alerts: int = 0
    ) -> None:
        """One processed batch from the decisions' published JSON (``Encoded.payload``):
        no :class:`contracts.Decision` is built on the hot path."""
        self.observe_batch(
            [orjson.loads(payload) for payload in payloads],
            dead_letters=dead_letters,
            pci_alerts=pci_alerts,
        )


class StreamMetrics(_DecisionFacts):
    """The fleet's decisions as seen on the topics (``riskstream_stream_…``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry, "riskstream_stream_", "seen on the topics (all scorers)")


class OpsMetrics:
    """Review queue, disputes, labels, rollbacks, drift (implements ``DisputeObserver``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.review_depth = Gauge(
            "riskstream_review_queue_depth", "Open review cases by status", ["status"],
            registry=registry,
        )  # fmt: skip
        self.review_oldest_age = Gauge(
            "riskstream_review_queue_oldest_age_seconds",
            "Age of the oldest open review case", registry=registry,
        )  # fmt: skip
        self.review_overdue = Gauge(
            "riskstream_review_queue_overdue", "Open review cases past their SLA",
            registry=registry,
        )  # fmt: skip
        self.chargebacks = Counter(
            "riskstream_chargebacks", "Dispute notices recorded (chargebacks, early fraud "
            "warnings, refunds)", ["kind", "category", "matched"], registry=registry,
        )  # fmt: skip
        self.disputes_unmatched = Gauge(
            "riskstream_disputes_unmatched", "Stored dispute notices with no decision yet",
            registry=registry,
        )  # fmt: skip
        self.webhooks = Counter(
            "riskstream_webhook_deliveries", "Webhook deliveries by outcome", ["outcome"],
            registry=registry,
        )  # fmt: skip
        self.labels = Counter(
            "riskstream_labels", "Labels recorded in the label store", ["source", "fraud"],
            registry=registry,
        )  # fmt: skip
        self.rollbacks = Counter(
            "riskstream_rollbacks", "Automatic rollbacks by the rollout guard",
            ["component", "outcome"], registry=registry,
        )  # fmt: skip
        self.guard_watching = Gauge(
            "riskstream_guard_watching", "1 while the guard watches a new version",
            ["component"], registry=registry,
        )  # fmt: skip
        self.score_psi = Gauge(
            "riskstream_score_psi", "Population stability index of the champion's scores "
            "against its training data", ["model_version"], registry=registry,
        )  # fmt: skip
        self.fraud_rate_bps = Gauge(
            "riskstream_fraud_rate_90d_bps",
            "Fraudulent remote-payment value over all remote-payment value, 90 days (bps)",
            registry=registry,
        )  # fmt: skip

    # DisputeObserver
    def dispute_recorded(self, kind: str, category: str, matched: bool) -> None:
        self.chargebacks.labels(kind=kind, category=category, matched=str(matched).lower()).inc()

    def webhook_outcome(self, outcome: str) -> None:
        self.webhooks.labels(outcome=outcome).inc()

    def labels_recorded(self, source: str, is_fraud: bool, count: int) -> None:
        self.labels.labels(source=source, fraud=str(is_fraud).lower()).inc(count)

    def set_review_queue(self, depth: Mapping[str, int], oldest_age_s: float, overdue: int) -> None:
        for status in ("open", "escalated", "awaiting_approval"):
            self.review_depth.labels(status=status).set(depth.get(status, 0))
        self.review_oldest_age.set(oldest_age_s)
        self.review_overdue.set(overdue)


class MonitoringMetrics:
    """Everything the API process exposes, on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.scoring = ScoringMetrics(self.registry)
        self.stream = StreamMetrics(self.registry)
        self.ops = OpsMetrics(self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    @property
    def content_type(self) -> str:
        # The classic text format (0.0.4) every Prometheus version reads.
        return CONTENT_TYPE_PLAIN_0_0_4


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> Any:  # noqa: S104 - scraped from other hosts
    """Serve ``registry`` at ``http://host:port/metrics`` from a thread (the worker's way)."""
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
