"""Block and allow lists, written from a case. The storage belongs to the rules package.

The review app only needs :class:`ListWriter`; the rules package provides the Redis
implementation. :class:`InMemoryListWriter` serves tests and demos.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args

__all__ = [
    "ListEntity",
    "ListKind",
    "ListWriter",
    "InMemoryListWriter",
    "ListEntry",
    "list_name",
]

ListKind = Literal["block", "allow"]
ListEntity = Literal["card", "email", "device"]
LIST_KINDS: tuple[ListKind, ...] = get_args(ListKind)
LIST_ENTITIES: tuple[ListEntity, ...] = get_args(ListEntity)


def list_name(kind: ListKind, entity: ListEntity) -> str:
    """The list's name as the rules see it: ``block_card``, ``allow_email`` …"""
    return f"{kind}_{entity}"


class ListWriter(Protocol):
    async def add(
        self,
        list_name: str,
        value: str,
        *,
        owner: str,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        """Add ``value`` to ``list_name`` (idempotent: adding twice keeps one entry)."""
        ...


@dataclass(frozen=True, slots=True)
class ListEntry:
    list_name: str
    value: str
    owner: str
    reason: str
    expires_at: datetime | None


class InMemoryListWriter:
    """A :class:`ListWriter` that keeps entries in a dict (tests, demos)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], ListEntry] = {}
        self._lock = asyncio.Lock()

    async def add(
        self,
        list_name: str,
        value: str,
        *,
        owner: str,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        async with self._lock:
            self.entries[(list_name, value)] = ListEntry(
                list_name, value, owner, reason, expires_at
            )

    def contains(self, list_name: str, value: str) -> bool:
        return (list_name, value) in self.entries
