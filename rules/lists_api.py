"""The managed lists' REST API: ``/v1/lists/{list}`` (read, add, remove, purge expired).

Reading needs ``reviews.read`` (analysts, leads and admins look lists up while they
work cases; machine clients cannot); every change needs ``lists.write`` and is audited
by :class:`~rules.lists_admin.ListManager`. Errors use the app's error shape
(``{"error": {"code", "message", "trace_id"}}``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from access import Principal, error_response, request_context, require
from rules.errors import ListEntryNotFound, ListNameError, ListUnavailable, RulesError
from rules.lists_admin import MAX_REASON_LENGTH, ListManager, parse_duration
from rules.lists_store import ListEntry

__all__ = ["ListApiState", "create_list_router", "install_list_api"]

ListName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["block_card"])]
Value = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-:.]{1,255}$", examples=["198.51.100.7"])]
Reader = Annotated[Principal, Depends(require("reviews.read"))]
Writer = Annotated[Principal, Depends(require("lists.write"))]


class ListApiState:
    """Where the routes find their :class:`ListManager` (set once Redis is open)."""

    def __init__(self, manager: ListManager | None = None) -> None:
        self.manager = manager


class EntryOut(BaseModel):
    list_name: str
    value: str
    owner: str
    reason: str
    added_at: datetime
    expires_at: datetime | None
    expired: bool = Field(description="Expired entries count as absent until purged.")

    @classmethod
    def of(cls, entry: ListEntry, now: datetime) -> EntryOut:
        return cls(
            list_name=entry.list_name,
            value=entry.value,
            owner=entry.owner,
            reason=entry.reason,
            added_at=datetime.fromisoformat(entry.added_at),
            expires_at=datetime.fromisoformat(entry.expires_at) if entry.expires_at else None,
            expired=entry.expired(now),
        )


class ListOut(BaseModel):
    list_name: str
    entries: list[EntryOut]


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(
        pattern=r"^[A-Za-z0-9_\-:.]{1,255}$",
        description="A card fingerprint, email hash, IP, device id, BIN or country code.",
    )
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)
    expires_in: str | None = Field(
        default=None, description="Optional lifetime such as 30m, 12h, 7d or 2w."
    )


class PurgeOut(BaseModel):
    list_name: str
    purged: list[EntryOut]


def _manager(request: Request) -> ListManager:
    state = getattr(request.app.state, "riskstream_lists", None)
    if not isinstance(state, ListApiState):
        raise RuntimeError("the list API is not installed: call install_list_api(app, …)")
    if state.manager is None:
        raise ListUnavailable("the list store is not open yet: retry in a moment")
    return state.manager


Manager = Annotated[ListManager, Depends(_manager)]


def create_list_router() -> APIRouter:
    router = APIRouter(prefix="/v1/lists", tags=["lists"])

    @router.get("/{list_name}", response_model=ListOut, summary="Entries of a managed list")
    async def show(list_name: ListName, principal: Reader, manager: Manager) -> ListOut:
        now = manager.clock.now()
        entries = await manager.entries(list_name)
        return ListOut(list_name=list_name, entries=[EntryOut.of(e, now) for e in entries])

    @router.post(
        "/{list_name}",
        response_model=EntryOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add (or replace) an entry; audited",
    )
    async def add(
        list_name: ListName, body: EntryIn, request: Request, principal: Writer, manager: Manager
    ) -> EntryOut:
        now = manager.clock.now()
        expires_at = now + parse_duration(body.expires_in) if body.expires_in else None
        entry = await manager.add(
            list_name,
            body.value,
            request_context(request, principal),
            reason=body.reason,
            expires_at=expires_at,
        )
        return EntryOut.of(entry, now)

    @router.delete(
        "/{list_name}/{value}", response_model=EntryOut, summary="Remove an entry; audited"
    )
    async def remove(
        list_name: ListName, value: Value, request: Request, principal: Writer, manager: Manager
    ) -> EntryOut:
        removed = await manager.remove(list_name, value, request_context(request, principal))
        return EntryOut.of(removed, manager.clock.now())

    @router.post(
        "/{list_name}/purge-expired",
        response_model=PurgeOut,
        summary="Delete the expired entries; each one audited",
    )
    async def purge(
        list_name: ListName, request: Request, principal: Writer, manager: Manager
    ) -> PurgeOut:
        now = manager.clock.now()
        purged = await manager.purge_expired(list_name, request_context(request, principal))
        return PurgeOut(list_name=list_name, purged=[EntryOut.of(e, now) for e in purged])

    return router


def install_list_api(app: FastAPI, state: ListApiState) -> None:
    """Mount ``/v1/lists`` and map the rules' errors; access control must be installed."""
    if getattr(app.state, "riskstream_access", None) is None:
        raise RuntimeError("install access control first: access.install_access(app, …)")
    app.state.riskstream_lists = state

    async def on_rules_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ListEntryNotFound):
            return error_response(request, 404, "not_on_list", str(exc))
        if isinstance(exc, ListNameError):
            return error_response(request, 422, "invalid_list_change", str(exc))
        if isinstance(exc, ListUnavailable):
            return error_response(request, 503, "lists_unavailable", str(exc))
        return error_response(request, 400, "rules_error", str(exc))

    app.add_exception_handler(RulesError, on_rules_error)
    app.include_router(create_list_router())
