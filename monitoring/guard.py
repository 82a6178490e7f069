"""The rollout guard: a bad model or rule set is rolled back before it does much harm.

After a model promotion or a rule-file change the guard watches the new version's
own decisions over a sliding window (``guard_window_s``, default 5 minutes). Once it
has ``guard_min_decisions`` of them it compares their mix with the decisions made in
the window before the change:

* the decline share or the review share moved by more than its bound (absolute
  share: 0.10 = ten percentage points), in either direction; or
* the p95 of the decisions' scoring latency is above ``guard_latency_budget_ms``.

Any of these rolls the component back (:mod:`monitoring.rollouts`), records why in
the audit log (``rollout.rolled_back``, with the numbers) and sends a
:class:`contracts.RolloutAlert` to ``alerts.ops``. A version that passes its window is
accepted and becomes the one to return to. The guard needs one instance per
deployment (it acts on the shared model store and rules file).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from audit import AuditEvent, AuditLog
from contracts import Clock, RolloutAlert, RolloutComponent, Settings
from db import Database
from monitoring.errors import RollbackFailed
from monitoring.rollouts import DecisionSample, Rollout, Version
from monitoring.window import Bucket, DecisionWindow, WindowStats, window_stats

__all__ = [
    "GuardConfig",
    "GuardEvent",
    "RolloutGuard",
    "Verdict",
    "evaluate",
]

log = logging.getLogger(__name__)

ACTOR = "system:rollout_guard"
AlertSink = Callable[[RolloutAlert], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GuardConfig:
    window: timedelta = timedelta(minutes=5)
    min_decisions: int = 50
    max_decline_shift: float = 0.10
    max_review_shift: float = 0.10
    latency_budget_ms: float = 500.0
    latency_quantile: float = 0.95
    poll_interval: timedelta = timedelta(seconds=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardConfig:
        return cls(
            window=timedelta(seconds=settings.guard_window_s),
            min_decisions=settings.guard_min_decisions,
            max_decline_shift=settings.guard_max_decline_shift,
            max_review_shift=settings.guard_max_review_shift,
            latency_budget_ms=settings.guard_latency_budget_ms,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    breached: bool
    reasons: tuple[str, ...]


def evaluate(config: GuardConfig, baseline: WindowStats | None, observed: WindowStats) -> Verdict:
    """Whether ``observed`` (the new version) breaks a bound against ``baseline``.

    >>> config = GuardConfig(min_decisions=10)
    >>> before = WindowStats(100, 0.03, 0.02, 20.0)
    >>> evaluate(config, before, WindowStats(50, 1.0, 0.0, 20.0)).reasons[0][:34]
    'decline share 100.0 % vs 3.0 % bef'
    >>> evaluate(config, before, WindowStats(50, 0.05, 0.03, 30.0)).breached
    False
    """
    if observed.count < config.min_decisions:
        return Verdict(False, ())
    reasons = []
    if baseline is not None:
        for name, now, before, bound in (
            ("decline", observed.decline_share, baseline.decline_share, config.max_decline_shift),
            ("review", observed.review_share, baseline.review_share, config.max_review_shift),
        ):
            if abs(now - before) > bound:
                reasons.append(
                    f"{name} share {now * 100:.1f} % vs {before * 100:.1f} % before "
                    f"(bound ±{bound * 100:g} points)"
                )
    if observed.latency_p95_ms > config.latency_budget_ms:
        reasons.append(
            f"p{config.latency_quantile * 100:g} latency {observed.latency_p95_ms:.0f} ms over "
            f"the {config.latency_budget_ms:g} ms budget"
        )
    return Verdict(bool(reasons), tuple(reasons))


@dataclass(slots=True)
class _Watch:
    rollout: Rollout
    old: Version | None
    new: Version
    started_at: datetime
    baseline: WindowStats | None


@dataclass(frozen=True, slots=True)
class GuardEvent:
    """What the guard did: ``rolled_back``, ``rollback_failed`` or ``accepted``."""

    component: RolloutComponent
    outcome: str
    bad_version: str | None
    restored_version: str | None
    change_seen_at: datetime
    decided_at: datetime
    reasons: tuple[str, ...] = ()
    observed: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)


class RolloutGuard:
    """Watches rollouts and rolls bad ones back. Feed it decisions with :meth:`observe`.

    Args:
        rollouts: what to watch (model, rules).
        config: window and bounds.
        clock: injected time (the window is measured on it and on decision times).
        database / audit: where rollbacks are recorded.
        alerts: sends the alert of a rollback (``alerts.ops``); optional.
        on_event: called with each :class:`GuardEvent` (metrics, tests).
    """

    def __init__(
        self,
        rollouts: Iterable[Rollout],
        config: GuardConfig,
        clock: Clock,
        *,
        database: Database,
        audit: AuditLog,
        alerts: AlertSink | None = None,
        on_event: Callable[[GuardEvent], None] | None = None,
    ) -> None:
        self.rollouts = list(rollouts)
        self.config = config
        self.clock = clock
        self.database = database
        self.audit = audit
        self.alerts = alerts
        self.on_event = on_event
        self.window = DecisionWindow()
        self.known: dict[RolloutComponent, Version | None] = {}
        self.watches: dict[RolloutComponent, _Watch] = {}
        self.events: list[GuardEvent] = []
        self._started = False

    # -- input -------------------------------------------------------------------

    def observe(self, samples: Iterable[DecisionSample]) -> None:
        self.window.add(samples)

    def start(self) -> None:
        """Take what serves now as known good (no watch for it)."""
        for rollout in self.rollouts:
            version = rollout.current()
            self.known[rollout.component] = version
            if version is not None:
                rollout.accept(version)
        self._started = True

    # -- the loop ----------------------------------------------------------------

    async def check(self) -> list[GuardEvent]:
        """One round: notice changes, judge the watched versions. Returns what it did."""
        if not self._started:
            await asyncio.to_thread(self.start)
        now = self.clock.now()
        self._forget(now)
        done: list[GuardEvent] = []
        for rollout in self.rollouts:
            current = await asyncio.to_thread(rollout.current)
            component = rollout.component
            known = self.known.get(component)
            watch = self.watches.get(component)
            if current is not None and current != known and (watch is None or watch.new != current):
                self._open(rollout, known, current, now)
                watch = self.watches[component]
            if watch is None:
                continue
            observed = window_stats(self._since(watch, now), self.config.latency_quantile)
            verdict = evaluate(self.config, watch.baseline, observed)
            if verdict.breached:
                done.append(await self._roll_back(watch, observed, verdict, now))
            elif now - watch.started_at >= self.config.window:
                done.append(await asyncio.to_thread(self._accept, watch, observed, now))
        for event in done:
            self.events.append(event)
            if self.on_event is not None:
                self.on_event(event)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``poll_interval`` until ``stop`` is set (errors are logged)."""
        interval = self.config.poll_interval.total_seconds()
        while not stop.is_set():
            try:
                await self.check()
            except Exception:
                log.exception("rollout guard check failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    # -- internals ---------------------------------------------------------------

    def _forget(self, now: datetime) -> None:
        self.window.forget(now - self.config.window - timedelta(seconds=5))

    def _since(self, watch: _Watch, now: datetime) -> list[Bucket]:
        # Decisions are attributed by version (see Rollout.belongs), so a decision made just
        # before the guard noticed the change still counts for the new version.
        return self.window.buckets(
            now - self.config.window,
            where=lambda s: watch.rollout.belongs(s, watch.new, watch.old, watch.started_at),
        )

    def _open(self, rollout: Rollout, old: Version | None, new: Version, now: datetime) -> None:
        before = self.window.buckets(
            now - self.config.window, now, where=lambda s: not rollout.belongs(s, new, old, now)
        )
        baseline = window_stats(before, self.config.latency_quantile)
        enough = baseline.count >= self.config.min_decisions
        log.warning(
            "rollout guard: %s changed %s -> %s; watching for %s (baseline: %s)",
            rollout.component, old.key if old else None, new.key, self.config.window,
            baseline.as_dict() if enough else "too few decisions",
        )  # fmt: skip
        self.watches[rollout.component] = _Watch(
            rollout, old, new, now, baseline if enough else None
        )

    def _accept(self, watch: _Watch, observed: WindowStats, now: datetime) -> GuardEvent:
        watch.rollout.accept(watch.new)
        component = watch.rollout.component
        self.known[component] = watch.new
        del self.watches[component]
        event = GuardEvent(
            component, "accepted", watch.new.key, None, watch.started_at, now,
            ("passed its window",) if observed.count >= self.config.min_decisions
            else (f"only {observed.count} decisions in its window: not judged",),
            observed.as_dict(), watch.baseline.as_dict() if watch.baseline else {},
        )  # fmt: skip
        self._record(event)
        return event

    async def _roll_back(
        self, watch: _Watch, observed: WindowStats, verdict: Verdict, now: datetime
    ) -> GuardEvent:
        component = watch.rollout.component
        try:
            restored = await asyncio.to_thread(watch.rollout.rollback, watch.new, watch.old)
            outcome = "rolled_back"
            reasons = verdict.reasons
        except RollbackFailed as exc:
            restored = None
            outcome = "rollback_failed"
            reasons = (*verdict.reasons, str(exc))
        log.error(
            "rollout guard: %s %s %s %.1fs after the change (%d decisions): %s", component,
            watch.new.key, outcome.replace("_", " "), (now - watch.started_at).total_seconds(),
            observed.count, "; ".join(reasons),
        )  # fmt: skip
        del self.watches[component]
        self.known[component] = restored if restored is not None else watch.new
        event = GuardEvent(
            component, outcome, watch.new.key, restored.key if restored else None,
            watch.started_at, now, reasons, observed.as_dict(),
            watch.baseline.as_dict() if watch.baseline else {},
        )  # fmt: skip
        await asyncio.to_thread(self._record, event)
        if self.alerts is not None:
            try:
                await self.alerts(self._alert(event))
            except Exception:
                log.exception("sending the rollout alert failed")
        return event

    def _alert(self, event: GuardEvent) -> RolloutAlert:
        return RolloutAlert(
            alert_type="rollout_rolled_back"
            if event.outcome == "rolled_back"
            else "rollout_rollback_failed",
            alert_id=uuid.uuid4().hex,
            component=event.component,
            bad_version=event.bad_version or "",
            restored_version=event.restored_version,
            reasons=event.reasons,
            observed=event.observed,
            baseline=event.baseline,
            window_s=self.config.window.total_seconds(),
            change_seen_at=event.change_seen_at,
            detected_at=event.decided_at,
        )

    def _record(self, event: GuardEvent) -> None:
        # rollout.accepted / rollout.rolled_back / rollout.rollback_failed: the guard's
        # verdict and why. The alias move itself is audited by whoever moves it.
        event_type = f"rollout.{event.outcome}"
        with self.database.transaction() as session:
            self.audit.append(
                session,
                AuditEvent(
                    event_type=event_type,
                    actor=ACTOR,
                    command="rollout_guard",
                    target=f"{event.component}:{event.bad_version}",
                    outcome=event.outcome,
                    before={"version": event.bad_version},
                    after={
                        "version": event.restored_version or event.bad_version,
                        "reasons": list(event.reasons),
                        "observed": event.observed,
                        "baseline": event.baseline,
                        "window_s": self.config.window.total_seconds(),
                        "change_seen_at": event.change_seen_at,
                        "decided_at": event.decided_at,
                    },
                ),
            )
