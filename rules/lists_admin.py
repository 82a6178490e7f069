"""Audited changes to managed lists: what the CLI and the REST API call.

Every change (add, replace, remove, purge of expired entries) is appended to the
audit log as a ``list.changed`` record with the entry before and after. The list lives
in Redis and the audit log in the database, so the two cannot share a transaction:
the Redis change is made first and, if the audit record cannot be written, undone
(the previous entry is put back) before the error is raised. No change stays
unaudited.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import asdict
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from access import RequestContext
from audit import AuditError, AuditEvent, AuditLog
from contracts import Clock
from contracts.pci import contains_pan, contains_secret_key
from db import Database
from rules.errors import ListEntryNotFound, ListNameError, ListUnavailable
from rules.lists_store import ListEntry, RedisListStore

__all__ = ["MAX_REASON_LENGTH", "ListManager", "check_text", "parse_duration"]

MAX_REASON_LENGTH = 500
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

log = logging.getLogger(__name__)


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d``, ``2w`` as a timedelta.

    >>> parse_duration("7d"), parse_duration("90m")
    (datetime.timedelta(days=7), datetime.timedelta(seconds=5400))
    """
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ListNameError(
            f"expiry {text[:20]!r} is not a duration: write a positive number and a unit, "
            "e.g. 30m, 12h, 7d or 2w"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def check_text(field: str, text: str, *, limit: int = MAX_REASON_LENGTH) -> str:
    """Free text people type (reasons, owners): required, short, printable, no card numbers."""
    text = text.strip()
    if not text:
        raise ListNameError(f"{field} must not be empty: say why (it goes to the audit log)")
    if len(text) > limit:
        raise ListNameError(f"{field} must be at most {limit} characters")
    if not text.isprintable():
        raise ListNameError(f"{field} must be one line of printable text")
    if contains_pan(text):
        raise ListNameError(
            f"{field} looks like it contains a card number; refer to cards by fingerprint"
        )
    if contains_secret_key(text):
        raise ListNameError(f"{field} contains a secret key: remove it (and rotate the key)")
    return text


def _snapshot(entry: ListEntry | None) -> dict[str, object] | None:
    return None if entry is None else asdict(entry)


class ListManager:
    """Add, remove and purge list entries, each change in the audit log.

    Args:
        store: the Redis list store the rules read.
        database: where the audit log lives.
        audit: the audit log writer.
        clock: stamps ``added_at`` and decides what has expired.
        known_lists: the list names additions may target (typically: the lists the live
            policy consults, plus the review queue's); None accepts any valid name.
    """

    def __init__(
        self,
        store: RedisListStore,
        database: Database,
        audit: AuditLog,
        clock: Clock,
        *,
        known_lists: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.store = store
        self.database = database
        self.audit = audit
        self.clock = clock
        self._known = known_lists

    def _check_known(self, list_name: str) -> None:
        if self._known is None:
            return
        known = sorted(self._known())
        if list_name in known:
            return
        close = difflib.get_close_matches(list_name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known lists: " + ", ".join(known)
        raise ListNameError(f"no rule consults a list named {list_name!r}: {hint}")

    def _append(self, events: list[AuditEvent]) -> None:
        with self.database.transaction() as session:
            self.audit.append_many(session, events)

    async def _audit(self, events: list[AuditEvent], undo: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.to_thread(self._append, events)
        except (AuditError, SQLAlchemyError) as exc:
            log.error("audit append failed (%s); undoing the list change", type(exc).__name__)
            await undo()
            raise ListUnavailable(
                "the audit log could not record the change, so it was undone "
                f"({type(exc).__name__}; run `riskstream db upgrade` if the database is new)"
            ) from exc

    def _event(
        self,
        ctx: RequestContext,
        list_name: str,
        command: str,
        outcome: str,
        before: ListEntry | None,
        after: ListEntry | None,
    ) -> AuditEvent:
        return AuditEvent(
            event_type="list.changed",
            actor=ctx.actor,
            command=command,
            target=f"list:{list_name}",
            outcome=outcome,
            client_ip=ctx.client_ip,
            trace_id=ctx.trace_id,
            idempotency_key=ctx.idempotency_key,
            before=_snapshot(before),
            after=_snapshot(after),
        )

    async def add(
        self,
        list_name: str,
        value: str,
        ctx: RequestContext,
        *,
        reason: str,
        owner: str | None = None,
        expires_at: datetime | None = None,
    ) -> ListEntry:
        """Add (or replace) an entry; returns it. ``owner`` defaults to the actor."""
        self._check_known(list_name)
        reason = check_text("reason", reason)
        owner = check_text("owner", owner or ctx.actor, limit=255)
        if contains_pan(value):
            raise ListNameError("the value looks like a card number: lists hold fingerprints")
        if contains_secret_key(value):
            raise ListNameError("the value contains a secret key: remove it (and rotate the key)")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise ListNameError("the expiry must be in the future")
        try:
            before, after = await self.store.add(
                list_name, value, owner=owner, reason=reason, now=now, expires_at=expires_at
            )
        except RedisError as exc:
            raise ListUnavailable(f"the list store is unreachable: {exc}") from exc

        async def undo() -> None:
            if before is None:
                await self.store.remove(list_name, value)
            else:
                await self.store.put(before)

        outcome = "added" if before is None else "replaced"
        await self._audit([self._event(ctx, list_name, "list_add", outcome, before, after)], undo)
        return after

    async def remove(self, list_name: str, value: str, ctx: RequestContext) -> ListEntry:
        """Remove an entry; returns what was removed. Raises ListEntryNotFound if absent."""
        try:
            before = await self.store.remove(list_name, value)
        except RedisError as exc:
            raise ListUnavailable(f"the list store is unreachable: {exc}") from exc
        if before is None:
            raise ListEntryNotFound(list_name, value)
        removed = before
        event = self._event(ctx, list_name, "list_remove", "removed", removed, None)
        await self._audit([event], lambda: self.store.put(removed))
        return removed

    async def entries(self, list_name: str) -> list[ListEntry]:
        """Every entry of the list, expired ones included (``ListEntry.expired`` says)."""
        try:
            return await self.store.entries(list_name)
        except RedisError as exc:
            raise ListUnavailable(f"the list store is unreachable: {exc}") from exc

    async def purge_expired(self, list_name: str, ctx: RequestContext) -> list[ListEntry]:
        """Delete the expired entries (they already count as absent); one record each."""
        try:
            expired = await self.store.purge_expired(list_name, self.clock.now())
        except RedisError as exc:
            raise ListUnavailable(f"the list store is unreachable: {exc}") from exc
        if not expired:
            return []

        async def undo() -> None:
            for entry in expired:
                await self.store.put(entry)

        events = [self._event(ctx, list_name, "list_purge", "expired", e, None) for e in expired]
        await self._audit(events, undo)
        return expired
