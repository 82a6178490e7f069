"""Decisions by transaction id: the same id always gets the same decision back.

``SET NX`` makes the first decision stored for an id the only one: when two workers
race on a redelivered event (a rebalance), the loser adopts the winner's decision.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from contracts import Decision

__all__ = ["DecisionCache"]


class DecisionCache:
    def __init__(self, client: Redis, *, ttl_s: int, namespace: str = "rs") -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._namespace = namespace

    def _key(self, transaction_id: str) -> str:
        return f"{self._namespace}:{{dec:{transaction_id}}}"

    async def get_many(self, transaction_ids: Sequence[str]) -> list[Decision | None]:
        if not transaction_ids:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for transaction_id in transaction_ids:
                pipe.get(self._key(transaction_id))
            raw = await pipe.execute()
        return [Decision.model_validate_json(r) if r else None for r in raw]

    async def put_many(self, decisions: Sequence[Decision]) -> list[Decision]:
        """Store each decision unless one exists; returns the decisions now stored."""
        if not decisions:
            return []
        payloads = [d.model_dump_json() for d in decisions]
        async with self._client.pipeline(transaction=False) as pipe:
            for decision, payload in zip(decisions, payloads, strict=True):
                pipe.set(self._key(decision.transaction_id), payload, nx=True, ex=self._ttl_s)
            stored = await pipe.execute()
        lost = [d.transaction_id for d, ok in zip(decisions, stored, strict=True) if not ok]
        if not lost:
            return list(decisions)
        winners = dict(zip(lost, await self.get_many(lost), strict=True))
        return [
            winners.get(d.transaction_id) or d if not ok else d
            for d, ok in zip(decisions, stored, strict=True)
        ]
