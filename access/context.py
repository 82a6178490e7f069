"""Per-request facts every audit record needs: client IP, trace id, idempotency key."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from starlette.requests import Request

from access.principal import Principal

__all__ = ["RequestContext", "request_context", "trace_id_of"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who acts, from where, under which trace and idempotency key."""

    actor: str
    role: str
    client_ip: str | None
    trace_id: str
    idempotency_key: str | None = None

    @classmethod
    def system(cls, actor: str, *, trace_id: str | None = None) -> RequestContext:
        """A context for work no person asked for (``system:sla``, ``system:ingestor``)."""
        return cls(actor, "system", None, trace_id or uuid.uuid4().hex)


def trace_id_of(request: Request) -> str:
    """The W3C ``traceparent`` trace id, an ``X-Request-ID``, or a fresh id."""
    cached = getattr(request.state, "trace_id", None)
    if isinstance(cached, str):
        return cached
    traceparent = request.headers.get("traceparent", "")
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if match and match.group(1) != "0" * 32:
        trace = match.group(1)
    else:
        given = request.headers.get("x-request-id", "")
        trace = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    request.state.trace_id = trace
    return trace


def idempotency_key_of(request: Request) -> str | None:
    """The ``Idempotency-Key`` header if it is well-formed, else None."""
    value = request.headers.get("idempotency-key")
    if value is None or not _IDEMPOTENCY_KEY.match(value):
        return None
    return value


def request_context(request: Request, principal: Principal) -> RequestContext:
    client_ip = request.client.host if request.client else None
    return RequestContext(
        actor=principal.username,
        role=principal.role,
        client_ip=client_ip,
        trace_id=trace_id_of(request),
        idempotency_key=idempotency_key_of(request),
    )
