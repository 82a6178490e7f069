"""The scoring core: one pure async function from validated events to decisions.

The same :class:`ScoringEngine` serves the stream worker, the HTTP endpoint, backtests
and training replays. Per batch it makes at most four Redis round trips (cached
decisions, the feature script, list membership, storing decisions) and one model call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts import (
    ACTION_SEVERITY,
    DECISION_SCHEMA_VERSION,
    Clock,
    Decision,
    DecisionMode,
    RuleHit,
    TransactionEvent,
)
from features import FeatureRegistry, FeatureStoreError, RedisFeatureStore, events_to_columns
from features.columns import FloatArray
from models import ModelHolder, ServingModels, top_reasons_batch
from rules import IDENTIFIER_SYMBOLS, Outcome, Policy, PolicyHolder, RedisListStore
from rules.lang import InMemoryLists
from scoring.cache import DecisionCache, Encoded
from scoring.errors import ScoringUnavailable
from scoring.stages import StageTimes

__all__ = ["ScaAdvisorLike", "ScoringEngine", "policy_symbols"]


class _Advice(Protocol):
    @property
    def outcome(self) -> str: ...

    def as_reason(self) -> dict[str, Any]: ...

    def record(self) -> Any: ...  # a contracts.ScaExemption


class ScaAdvisorLike(Protocol):
    """SCA advice per decided payment (:class:`sca.ScaAdvisor`)."""

    def advise_batch(
        self, events: Sequence[TransactionEvent], actions: Sequence[str]
    ) -> Sequence[_Advice]: ...


# advice worth a reason line: the payment is in scope of SCA and not declined
_SCA_REASONED = frozenset({"challenge", "tra_exemption"})


def policy_symbols(registry: FeatureRegistry) -> dict[str, str]:
    """What rules may name: every feature, the identifiers and the model score."""
    symbols: dict[str, str] = dict(registry.symbols())
    symbols.update(IDENTIFIER_SYMBOLS)
    symbols["score"] = "number"
    return symbols


@dataclass(slots=True)
class _Scored:
    features: dict[str, Any]
    score: FloatArray
    challenger: FloatArray
    models: ServingModels
    matrix: FloatArray | None = None  # the champion's input rows, for explanations


class ScoringEngine:
    """Features → model → rules → decision, for a batch, idempotent by transaction id."""

    def __init__(
        self,
        *,
        features: RedisFeatureStore,
        policy: PolicyHolder,
        models: ModelHolder,
        lists: RedisListStore,
        decisions: DecisionCache,
        clock: Clock,
        owned: Redis | None = None,
        sca: ScaAdvisorLike | None = None,
    ) -> None:
        self.features = features
        self.sca = sca
        self.policy = policy
        self.models = models
        self.lists = lists
        self.decisions = decisions
        self.clock = clock
        self._owned = owned  # a client this engine opened and must close
        self.stages = StageTimes()
        registry = features.registry
        self._kinds = {d.name: d.type for d in registry.definitions}
        self._descriptions = {d.name: d.description for d in registry.definitions}
        self._names = registry.names

    async def aclose(self) -> None:
        if self._owned is not None:
            await self._owned.aclose()
            self._owned = None

    def refresh(self) -> None:
        """Follow policy-file edits and model alias moves (cheap; call once per batch)."""
        self.policy.refresh()
        self.models.refresh()

    async def score(self, events: Sequence[TransactionEvent]) -> list[Decision]:
        """One decision per event, in order. Repeated ids get the first decision made.

        Raises:
            ScoringUnavailable: Redis could not be reached; nothing was decided and the
                batch can be retried as a whole (every effect is idempotent).
        """
        return [item.decision for item in await self.score_encoded(events)]

    async def score_encoded(self, events: Sequence[TransactionEvent]) -> list[Encoded]:
        """Like :meth:`score`, with each decision's JSON (to publish without re-encoding)."""
        try:
            return await self._score(events)
        except (RedisError, FeatureStoreError) as exc:
            raise ScoringUnavailable(f"scoring unavailable: {exc}") from exc

    async def score_degraded(
        self, events: Sequence[TransactionEvent], fail_mode: FailMode
    ) -> list[Encoded]:
        """Decide without Redis: signals and the model on them, rules without lists.

        Nothing is read from or written to Redis (so no counter moves and the decision
        is not remembered by id). ``fail_closed`` holds every payment for review at
        least; ``fail_open`` lets the remaining rules and the model decide.
        """
        started = time.perf_counter()
        unique = list({e.transaction_id: e for e in reversed(events)}.values())[::-1]
        made = {e.transaction_id: e for e in await self._decide(unique, started, fail_mode)}
        return [made[e.transaction_id] for e in events]

    async def _score(self, events: Sequence[TransactionEvent]) -> list[Encoded]:
        started = time.perf_counter()
        first: dict[str, int] = {}
        for index, event in enumerate(events):
            first.setdefault(event.transaction_id, index)
        unique = [events[i] for i in first.values()]
        with self.stages.measure("cache", len(unique)):
            cached = await self.decisions.get_many([e.transaction_id for e in unique])
        todo = [e for e, c in zip(unique, cached, strict=True) if c is None]
        fresh = await self._decide(todo, started) if todo else []
        with self.stages.measure("cache", 0):
            stored = await self.decisions.put_many(fresh)
        made = iter(stored)
        by_id: dict[str, Encoded] = {}
        for event, hit in zip(unique, cached, strict=True):
            by_id[event.transaction_id] = hit if hit is not None else next(made)
        return [by_id[e.transaction_id] for e in events]

    async def _decide(
        self,
        events: Sequence[TransactionEvent],
        started: float,
        degraded: FailMode | None = None,
    ) -> list[Encoded]:
        n = len(events)
        with self.stages.measure("features", n):
            columns = events_to_columns(events)
            if degraded is None:
                features = await self.features.compute(columns)
            else:
                features = await self.features.compute_without_state(columns)
        with self.stages.measure("model", n):
            scored = self._scores(features, n)
        policy = self.policy.current
        with self.stages.measure("rules", n):
            symbols = {**scored.features, "score": scored.score}
            for name in IDENTIFIER_SYMBOLS:
                symbols[name] = columns[name]
            batch = policy.batch(symbols, n)
            wanted = policy.ruleset.list_keys(batch)
            lists: InMemoryLists | None = None
            if degraded is not None:  # lists live in Redis: answered empty
                lists = InMemoryLists({name: () for name in wanted})
                outcomes = [_degrade(o, degraded) for o in policy.decide(batch, lists)]
            else:
                if wanted:
                    lists = await self.lists.prefetch(wanted, self.clock.now())
                outcomes = policy.decide(batch, lists)
        with self.stages.measure("encode", n):
            return self._encode_all(events, scored, policy, outcomes, started, degraded)

    def _encode_all(
        self,
        events: Sequence[TransactionEvent],
        scored: _Scored,
        policy: Policy,
        outcomes: Sequence[Outcome],
        started: float,
        degraded: FailMode | None = None,
    ) -> list[Encoded]:
        snapshots = self._snapshots(scored.features, len(events))
        explained = self._explain(scored, outcomes)
        advice: Sequence[_Advice | None] = (
            self.sca.advise_batch(events, [o.action for o in outcomes])
            if self.sca is not None
            else [None] * len(events)
        )
        champion = scored.models.champion
        challenger = scored.models.challenger
        mode: DecisionMode = "full" if champion is not None else "rules_only"
        if degraded is not None:
            mode = "degraded"
        shared = {
            "schema_version": DECISION_SCHEMA_VERSION,
            "model_version": champion.version if champion else None,
            "challenger_version": challenger.version if challenger else None,
            "rule_set_version": policy.version,
            "mode": mode,
            "decided_at": self.clock.now(),
            "latency_ms": (time.perf_counter() - started) * 1000.0,
        }
        return [
            _encode(
                event,
                outcome,
                shared,
                score=_value(scored.score[i]),
                challenger_score=_value(scored.challenger[i]),
                descriptions=policy.descriptions,
                features=snapshots[i],
                model_reasons=explained[i],
                sca=advice[i],
            )
            for i, (event, outcome) in enumerate(zip(events, outcomes, strict=True))
        ]

    def _scores(self, features: dict[str, Any], rows: int) -> _Scored:
        models = self.models.current
        score = np.full(rows, np.nan)
        challenger = np.full(rows, np.nan)
        matrix = None
        if models.champion is not None:
            matrix = _matrix(features, models.champion.feature_names)
            score = models.champion.predict(matrix)
        if models.challenger is not None:
            challenger = models.challenger.predict(
                _matrix(features, models.challenger.feature_names)
            )
        return _Scored(features, score, challenger, models, matrix)

    def _explain(self, scored: _Scored, outcomes: Sequence[Outcome]) -> list[list[dict[str, Any]]]:
        """The champion's top 3 reasons (per-feature contributions), for decisions other
        than approve only: TreeSHAP costs ~30x a prediction (~0.8 ms per row)."""
        reasons: list[list[dict[str, Any]]] = [[] for _ in outcomes]
        champion = scored.models.champion
        rows = [i for i, outcome in enumerate(outcomes) if outcome.action != "approve"]
        if champion is None or scored.matrix is None or not rows:
            return reasons
        matrix = scored.matrix[rows]
        found = top_reasons_batch(
            champion.contributions(matrix),
            champion.feature_names,
            self._descriptions,
            values=matrix,
            kinds=self._kinds,
            k=3,
        )
        for row, row_reasons in zip(rows, found, strict=True):
            reasons[row] = row_reasons
        return reasons

    def _snapshots(self, features: Mapping[str, Any], rows: int) -> list[dict[str, Any]]:
        """Per row, the feature values the decision saw (nulls left out)."""
        columns: list[list[Any]] = []
        for name in self._names:
            values = features[name]
            kind = self._kinds[name]
            if kind == "string":
                columns.append(list(values))
            elif kind == "bool":
                columns.append([None if v != v else v == 1.0 for v in values.tolist()])
            else:
                columns.append([None if v != v else v for v in values.tolist()])
        names = self._names
        return (
            [
                {name: value for name, value in zip(names, row, strict=True) if value is not None}
                for row in zip(*columns, strict=True)
            ]
            if rows
            else []
        )


FailMode = Literal["fail_open", "fail_closed"]

_DEGRADED_REASON = {
    "code": "degraded_redis_unavailable",
    "text": "decided while Redis was unreachable: no velocity features, no managed lists",
    "source": "system",
}


def _degrade(outcome: Outcome, fail_mode: FailMode) -> Outcome:
    """fail_closed: hold for review at least; fail_open: as the remaining rules say."""
    if fail_mode == "fail_closed" and ACTION_SEVERITY[outcome.action] < ACTION_SEVERITY["review"]:
        return Outcome("review", outcome.hits, outcome.deciding)
    return outcome


def _matrix(features: Mapping[str, Any], names: Sequence[str]) -> FloatArray:
    return np.column_stack([np.asarray(features[n], dtype=np.float64) for n in names])


def _value(number: float) -> float | None:
    return None if number != number else float(number)


def _encode(
    event: TransactionEvent,
    outcome: Outcome,
    shared: dict[str, Any],
    *,
    score: float | None,
    challenger_score: float | None,
    descriptions: Mapping[str, str],
    features: dict[str, Any],
    model_reasons: Sequence[dict[str, Any]] = (),
    sca: _Advice | None = None,
) -> Encoded:
    """The decision's JSON, written directly in the shape of :class:`contracts.Decision`."""
    reasons: list[dict[str, Any]] = [
        {"code": hit.reason_code, "text": descriptions[hit.rule_id], "source": "rule"}
        for hit in outcome.hits
        if not hit.shadow
    ][:3]
    if shared["mode"] == "degraded":
        reasons.insert(0, dict(_DEGRADED_REASON))
    if score is not None:
        reasons.append(
            {
                "code": "model_score",
                "text": f"model fraud probability {score:.2f}",
                "source": "model",
                "contribution": score,
            }
        )
    reasons.extend(model_reasons)
    if sca is not None and sca.outcome in _SCA_REASONED:
        reasons.append(sca.as_reason())
    card = event.card
    record = {
        **shared,
        "transaction_id": event.transaction_id,
        "merchant_id": event.merchant_id,
        "customer_id": event.customer_id,
        "amount": event.amount,
        "currency": event.currency,
        "card_brand": card.brand.value,
        "card_bin": card.bin,
        "card_last4": card.last4,
        "card_country": card.country,
        "card_fingerprint": card.fingerprint,
        "email_hash": event.email_hash,
        "device_id": event.device_id,
        "ip_country": event.ip_country,
        "channel": event.channel.value,
        "event_time": event.event_time,
        "action": outcome.action,
        "score": score,
        "challenger_score": challenger_score,
        "rule_hits": [_hit_record(hit) for hit in outcome.hits],
        "reasons": reasons,
        "features": features,
        "sca": sca.record().model_dump() if sca is not None else None,
    }
    return Encoded(
        orjson.dumps(record, option=orjson.OPT_UTC_Z),
        transaction_id=event.transaction_id,
        action=outcome.action,
        card_fingerprint=card.fingerprint,
    )


def _hit_record(hit: RuleHit) -> dict[str, Any]:
    return {
        "rule_id": hit.rule_id,
        "action": hit.action,
        "reason_code": hit.reason_code,
        "shadow": hit.shadow,
    }
