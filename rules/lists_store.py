"""Managed block and allow lists in Redis: expiry, owner and reason on every entry.

One hash per list (``rs:list:{name}``); each entry maps the value (a card
fingerprint, email hash, IP, device id, BIN, country…) to its metadata. Rules consult
lists through :meth:`RedisListStore.prefetch`, which answers a whole batch in one
round trip; expired entries count as absent. Changes are audited by the caller (the
CLI and the API record who changed what).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import orjson
from redis.asyncio import Redis

from rules.errors import ListNameError
from rules.lang import InMemoryLists
from rules.lang.batch import StrArray

__all__ = ["ListEntry", "ListNameError", "RedisListStore"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_VALUE = re.compile(r"^[A-Za-z0-9_\-:.]{1,255}$")


@dataclass(frozen=True, slots=True)
class ListEntry:
    list_name: str
    value: str
    owner: str
    reason: str
    added_at: str  # ISO 8601 UTC
    expires_at: str | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now


def _check(list_name: str, value: str | None = None) -> None:
    if not _NAME.match(list_name):
        raise ListNameError(
            f"list name {list_name!r} must be lower-case letters, digits and underscores "
            "(e.g. blocked_cards)"
        )
    if value is not None and not _VALUE.match(value):
        raise ListNameError(
            "list values are tokens (card fingerprints, email hashes, IPs, device ids, BINs, "
            "country codes): letters, digits and _-:. only, at most 255 characters"
        )


class RedisListStore:
    def __init__(self, client: Redis, *, namespace: str = "rs") -> None:
        self._client = client
        self._namespace = namespace

    def _key(self, list_name: str) -> str:
        return f"{self._namespace}:list:{{{list_name}}}"

    async def add(
        self,
        list_name: str,
        value: str,
        *,
        owner: str,
        reason: str,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> tuple[ListEntry | None, ListEntry]:
        """Add or replace an entry; returns (before, after) for the audit log."""
        _check(list_name, value)
        before = await self.get(list_name, value)
        entry = ListEntry(
            list_name,
            value,
            owner,
            reason,
            now.isoformat(),
            expires_at.isoformat() if expires_at else None,
        )
        await self._client.hset(self._key(list_name), value, orjson.dumps(asdict(entry)))
        return before, entry

    async def put(self, entry: ListEntry) -> None:
        """Write ``entry`` exactly as given (to restore one an unaudited change touched)."""
        _check(entry.list_name, entry.value)
        await self._client.hset(
            self._key(entry.list_name), entry.value, orjson.dumps(asdict(entry))
        )

    async def remove(self, list_name: str, value: str) -> ListEntry | None:
        """Remove an entry; returns what was removed (None if absent)."""
        _check(list_name, value)
        before = await self.get(list_name, value)
        await self._client.hdel(self._key(list_name), value)
        return before

    async def get(self, list_name: str, value: str) -> ListEntry | None:
        raw = await self._client.hget(self._key(list_name), value)
        return ListEntry(**orjson.loads(raw)) if raw else None

    async def entries(self, list_name: str) -> list[ListEntry]:
        _check(list_name)
        raw = await self._client.hgetall(self._key(list_name))
        return sorted((ListEntry(**orjson.loads(v)) for v in raw.values()), key=lambda e: e.value)

    async def purge_expired(self, list_name: str, now: datetime) -> list[ListEntry]:
        expired = [e for e in await self.entries(list_name) if e.expired(now)]
        if expired:
            await self._client.hdel(self._key(list_name), *[e.value for e in expired])
        return expired

    async def prefetch(self, wanted: Mapping[str, StrArray], now: datetime) -> InMemoryLists:
        """Membership for the values a batch looks up, in one pipelined round trip."""
        names = list(wanted)
        if not names:
            return InMemoryLists({})
        async with self._client.pipeline(transaction=False) as pipe:
            for name in names:
                values = [str(v) for v in np.asarray(wanted[name]).tolist()]
                if values:
                    pipe.hmget(self._key(name), values)
                else:
                    pipe.exists(self._key(name))
            replies = await pipe.execute()
        members: dict[str, set[str]] = {}
        for name, reply in zip(names, replies, strict=True):
            found: set[str] = set()
            if isinstance(reply, list):
                values = [str(v) for v in np.asarray(wanted[name]).tolist()]
                for value, raw in zip(values, reply, strict=True):
                    if raw and not ListEntry(**orjson.loads(raw)).expired(now):
                        found.add(value)
            members[name] = found
        return InMemoryLists(members)
