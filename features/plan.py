"""What state each entity keeps, derived once from the registry.

The online store and the offline twin both read a :class:`StatePlan`, so they agree
on windows, bucket widths, retention, attributes and caps by construction.

Exact entities (card, customer, device, email) keep every event of their longest
window. Bucketed entities (IP, merchant, BIN) keep per-bucket counters whose width
depends on the window: windows up to 1 h use 1-minute buckets, up to 24 h 1-hour
buckets, longer ones 1-day buckets. A bucketed window is the last ``window / width``
buckets ending with the event's own bucket, so its far edge is exact to one bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.errors import FeatureSpecError
from features.registry import FeatureRegistry
from features.spec import DISTINCT_ATTRIBUTE, Entity, FraudShare, Velocity

__all__ = [
    "BucketPlan",
    "BucketWindow",
    "ExactPlan",
    "StatePlan",
    "ZSCORE_UNIT",
    "ZSCORE_UNIT_CAP",
    "bucket_width",
]

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
FIVE_MINUTES = 5 * MINUTE
# Amount profiles (z-scores) use amount_base // ZSCORE_UNIT capped at ZSCORE_UNIT_CAP, so
# sums of squares stay exact integers (below 2**53) in Redis's Lua doubles.
ZSCORE_UNIT = 100
ZSCORE_UNIT_CAP = 1_000_000


def bucket_width(window_ms: int) -> int:
    """Bucket width (ms) for a window on a bucketed entity.

    >>> bucket_width(600_000), bucket_width(3_600_000), bucket_width(86_400_000)
    (60000, 300000, 3600000)
    """
    if window_ms <= 10 * MINUTE:
        width = MINUTE
    elif window_ms <= HOUR:
        width = FIVE_MINUTES
    elif window_ms <= DAY:
        width = HOUR
    else:
        width = DAY
    if window_ms % width:
        raise FeatureSpecError(
            f"a bucketed window of {window_ms // 1000}s must be a whole number of "
            f"{width // 1000}s buckets"
        )
    return width


@dataclass(frozen=True, slots=True)
class ExactPlan:
    entity: Entity
    windows_ms: tuple[int, ...]  # ascending
    attributes: tuple[str, ...]  # kept per event: for distinct counts and first-seen flags
    scan_ms: int  # the longest window
    retention_ms: int  # scan + lateness: events older than t - retention are pruned
    ttl_ms: int
    maxima: bool = True  # some feature needs the window's largest amount
    profiles: bool = True  # some feature needs amount units and their squares (z-scores)

    @property
    def stride(self) -> int:
        """Aggregates per window: count and sum, then maximum, units and squares if needed,
        then one distinct count per attribute."""
        return 2 + int(self.maxima) + 2 * int(self.profiles) + len(self.attributes)


@dataclass(frozen=True, slots=True)
class BucketWindow:
    window_ms: int
    width_ms: int
    lag_ms: int  # fraud-share windows end `lag` before the event
    fraud: bool  # read fraud counters too
    sums: bool = True  # read amount sums too (a count-only window skips them)

    @property
    def buckets(self) -> int:
        return self.window_ms // self.width_ms


@dataclass(frozen=True, slots=True)
class BucketPlan:
    entity: Entity
    windows: tuple[BucketWindow, ...]  # counts/sums, then fraud shares
    widths_ms: tuple[int, ...]
    retention_buckets: tuple[int, ...]  # per width
    distinct_windows_ms: tuple[int, ...]  # distinct cards, capped
    distinct_retention_ms: int
    dedupe_ms: int
    ttl_ms: int

    @property
    def fraud_keep_ms(self) -> int:
        """How long a fraud label's transaction id is remembered (to count it once)."""
        return max((w.window_ms + w.lag_ms for w in self.windows if w.fraud), default=0)


@dataclass(frozen=True, slots=True)
class StatePlan:
    exact: tuple[ExactPlan, ...]
    bucketed: tuple[BucketPlan, ...]
    distinct_cap: int
    lateness_ms: int

    @classmethod
    def from_registry(cls, registry: FeatureRegistry) -> StatePlan:
        lateness = registry.lateness_s * 1000
        exact: list[ExactPlan] = []
        bucketed: list[BucketPlan] = []
        for entity in registry.entities():
            velocities = registry.velocities(entity)
            if registry.is_exact(entity):
                news = tuple(s.of for s in registry.first_seen() if s.entity == entity)
                exact.append(_exact_plan(entity, velocities, news, lateness))
            else:
                bucketed.append(
                    _bucket_plan(
                        entity,
                        velocities,
                        registry.fraud_shares(entity),
                        lateness,
                        registry.dedupe_horizon_s * 1000,
                    )
                )
        return cls(
            exact=tuple(exact),
            bucketed=tuple(bucketed),
            distinct_cap=registry.distinct_cap,
            lateness_ms=lateness,
        )

    def exact_plan(self, entity: Entity) -> ExactPlan | None:
        return next((p for p in self.exact if p.entity == entity), None)

    def bucket_plan(self, entity: Entity) -> BucketPlan | None:
        return next((p for p in self.bucketed if p.entity == entity), None)


def _exact_plan(
    entity: Entity, velocities: tuple[Velocity, ...], news: tuple[str, ...], lateness: int
) -> ExactPlan:
    windows = sorted({v.seconds * 1000 for v in velocities}) or [30 * DAY]
    attributes: list[str] = []
    for velocity in velocities:
        attribute = DISTINCT_ATTRIBUTE.get(velocity.measure)
        if attribute is not None and attribute not in attributes:
            attributes.append(attribute)
    attributes += [a for a in news if a not in attributes]
    scan = windows[-1]
    return ExactPlan(
        entity=entity,
        windows_ms=tuple(windows),
        attributes=tuple(attributes),
        scan_ms=scan,
        retention_ms=scan + lateness,
        ttl_ms=scan + lateness + HOUR,
        maxima=any(v.measure == "amount_max" for v in velocities),
        profiles=any(v.measure == "amount_zscore" for v in velocities),
    )


def _bucket_plan(
    entity: Entity,
    velocities: tuple[Velocity, ...],
    shares: tuple[FraudShare, ...],
    lateness: int,
    dedupe: int,
) -> BucketPlan:
    windows: list[BucketWindow] = []
    counted = [v for v in velocities if v.measure != "distinct_cards"]
    for ms in sorted({v.seconds * 1000 for v in counted}):
        sums = any(v.seconds * 1000 == ms and v.measure != "count" for v in counted)
        windows.append(BucketWindow(ms, bucket_width(ms), 0, False, sums))
    # a share and a lagged count over the same window and delay read one state
    for ms, lag in dict.fromkeys((s.seconds * 1000, s.delay_seconds * 1000) for s in shares):
        windows.append(BucketWindow(ms, bucket_width(ms), lag, True, False))
    widths = sorted({w.width_ms for w in windows})
    retention = []
    for width in widths:
        span = max(w.window_ms + w.lag_ms for w in windows if w.width_ms == width)
        retention.append(-(-(span + lateness) // width) + 1)
    distinct = tuple(
        sorted({v.seconds * 1000 for v in velocities if v.measure == "distinct_cards"})
    )
    longest = max([w.window_ms + w.lag_ms for w in windows] + list(distinct) + [HOUR])
    return BucketPlan(
        entity=entity,
        windows=tuple(windows),
        widths_ms=tuple(widths),
        retention_buckets=tuple(retention),
        distinct_windows_ms=distinct,
        distinct_retention_ms=(distinct[-1] if distinct else 0) + lateness,
        dedupe_ms=max(dedupe, lateness),
        ttl_ms=longest + lateness + HOUR,
    )
