"""Monitoring: metrics, the dashboard, reports, drift and the rollout guard.

The package imports only what is light (Prometheus metrics, drift, the guard's window,
tables), so the stream worker can use :mod:`monitoring.metrics` cheaply. The rest is
imported from its module:

* :mod:`monitoring.app`: :class:`~monitoring.app.Monitoring`, what `riskstream serve`
  mounts (``/dashboard``, ``/metrics``, the dispute webhook) and runs;
* :mod:`monitoring.dashboard`, :mod:`monitoring.charts`, :mod:`monitoring.snapshot`:
  the page, its server-drawn charts and the numbers behind them (CSV export of each);
* :mod:`monitoring.report`: the same as an HTML or PDF file;
* :mod:`monitoring.guard`, :mod:`monitoring.rollouts`: the rollout guard;
* :mod:`monitoring.fraud_rates`: measured fraud rates for the SCA advice (:mod:`sca`);
* :mod:`monitoring.workers`: the background work (tap, guard, disputes, gauges).
"""

from monitoring.drift import (
    ReferenceStore,
    ScoreReference,
    population_stability_index,
    psi_level,
)
from monitoring.errors import MonitoringError, ReferenceMissing, ReportError, RollbackFailed
from monitoring.metrics import (
    MonitoringMetrics,
    OpsMetrics,
    ScoringMetrics,
    StreamMetrics,
    serve_metrics,
)
from monitoring.tables import Period, Table

__all__ = [
    "MonitoringError",
    "MonitoringMetrics",
    "OpsMetrics",
    "Period",
    "ReferenceMissing",
    "ReferenceStore",
    "ReportError",
    "RollbackFailed",
    "ScoreReference",
    "ScoringMetrics",
    "StreamMetrics",
    "Table",
    "population_stability_index",
    "psi_level",
    "serve_metrics",
]
