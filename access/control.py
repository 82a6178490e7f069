"""Authentication and authorisation for every HTTP API of the project.

:class:`AccessControl` is installed on the FastAPI app (``install_access``); route
dependencies made by :func:`require` find it on ``app.state``, so any package can
protect its routes without holding a reference::

    @router.post("/v1/score")
    def score(principal: Principal = Depends(require("score"))) -> ...

A request authenticates with ``Authorization: Bearer rs_…`` (API clients) or the
session cookie set by the login form (browsers). Cookie-authenticated unsafe requests
must carry the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``). Every authenticated client is rate limited; a missing permission
is refused with 403 and audited.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.concurrency import run_in_threadpool

from access.context import request_context, trace_id_of
from access.credentials import hash_token
from access.directory import UserDirectory
from access.errors import CsrfFailed, Forbidden, NotAuthenticated, RateLimited
from access.principal import Principal
from access.ratelimit import RateLimit, TokenBucketLimiter
from access.roles import Permission
from access.sessions import SessionCodec, resolve_session_secret
from access.token_cache import TokenCache
from audit import AuditEvent, AuditLog
from contracts import Clock, Settings
from db import Database
from db.errors import is_unavailable

__all__ = ["SESSION_COOKIE", "AccessControl", "LoginRequired", "get_access", "require"]

SESSION_COOKIE = "rs_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token (`rs_…`) created with `riskstream token create`.",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The session cookie set by the login form; unsafe requests need X-CSRF-Token.",
)


class LoginRequired(NotAuthenticated):
    """A browser page needs a login: answered with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__("log in to see this page")


class AccessControl:
    """Authenticates requests, checks permissions and CSRF, limits request rates.

    Args:
        settings: ``session_secret`` and ``environment`` are read from it.
        directory: users and tokens.
        api_limit: per-client bucket for authenticated requests.
        anonymous_limit: per-IP bucket for unauthenticated requests and logins.
        session_max_age: how long a login lasts.
        session_secret: overrides ``settings.session_secret`` (tests).
        home_path: where the login form sends people by default.
    """

    def __init__(
        self,
        settings: Settings,
        directory: UserDirectory,
        *,
        api_limit: RateLimit | None = None,
        anonymous_limit: RateLimit | None = None,
        session_max_age: timedelta = timedelta(hours=12),
        session_secret: bytes | None = None,
        home_path: str = "/reviews",
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.clock = directory.clock
        self.audit = directory.audit
        self.codec = SessionCodec(
            session_secret or resolve_session_secret(settings), max_age=session_max_age
        )
        self.api_limiter = TokenBucketLimiter(
            api_limit or RateLimit(settings.rate_limit_per_s, settings.rate_limit_burst)
        )
        self.service_limiter = TokenBucketLimiter(
            api_limit
            or RateLimit(settings.service_rate_limit_per_s, settings.service_rate_limit_burst)
        )
        self.anonymous_limiter = TokenBucketLimiter(
            anonymous_limit or RateLimit(rate_per_s=1.0, burst=20)
        )
        self.tokens = TokenCache(fresh_s=settings.token_cache_s, stale_s=settings.token_stale_s)
        self.secure_cookies = settings.environment == "production"
        self.home_path = home_path

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        database: Database,
        clock: Clock,
        audit: AuditLog | None = None,
        **options: Any,
    ) -> AccessControl:
        """Access control on ``database``; ``options`` as for the constructor."""
        audit = audit or AuditLog(
            environment=settings.environment,
            clock=clock,
            retention_days=settings.audit_retention_days,
        )
        return cls(settings, UserDirectory(database, audit, clock), **options)

    # -- authentication ----------------------------------------------------------

    async def authenticate(self, request: Request) -> Principal | None:
        """The caller, or None when the request carries no credentials.

        A bearer token that does not authenticate raises :class:`NotAuthenticated`
        instead of falling back to the cookie.
        """
        cached = getattr(request.state, "principal", None)
        if isinstance(cached, Principal):
            return cached
        principal: Principal | None = None
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise NotAuthenticated("use 'Authorization: Bearer <token>'")
            principal = await self._token_principal(credentials.strip())
            if principal is None:
                raise NotAuthenticated("invalid, expired or revoked API token")
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            if cookie:
                principal = await run_in_threadpool(self._session_principal, cookie)
        if principal is not None:
            request.state.principal = principal
        return principal

    async def _token_principal(self, token: str) -> Principal | None:
        """The token's principal: from the cache, else the database (see TokenCache)."""
        digest = hash_token(token)
        generation = self.directory.changes
        cached = self.tokens.fresh(digest, generation)
        if cached is not None:
            return cached
        try:
            principal = await run_in_threadpool(self.directory.authenticate_token, token)
        except Exception as exc:
            stale = self.tokens.stale(digest, generation) if is_unavailable(exc) else None
            if stale is None:
                raise
            return stale
        if principal is None:
            self.tokens.forget(digest)
        else:
            self.tokens.put(digest, generation, principal)
        return principal

    def _session_principal(self, cookie: str) -> Principal | None:
        data = self.codec.decode(cookie, self.clock.now())
        if data is None:
            return None
        found = self.directory.session_nonce(data.user_id)
        if found is None:
            return None
        user, nonce = found
        if not hmac.compare_digest(nonce, data.nonce):
            return None
        return Principal(user.id, user.username, user.role, "session", csrf_token=data.csrf_token)

    # -- limits, CSRF, denials ---------------------------------------------------

    def rate_limit(self, key: str, *, anonymous: bool = False, service: bool = False) -> None:
        """429 (:class:`RateLimited`) when ``key``'s bucket is empty; ``service``: the
        payment pipeline's bucket (``RISKSTREAM_SERVICE_RATE_LIMIT_*``)."""
        if anonymous:
            limiter = self.anonymous_limiter
        else:
            limiter = self.service_limiter if service else self.api_limiter
        wait = limiter.acquire(key)
        if wait > 0:
            raise RateLimited(wait)

    async def check_csrf(self, request: Request, principal: Principal) -> None:
        if principal.via != "session" or request.method in SAFE_METHODS:
            return
        sent = request.headers.get("x-csrf-token")
        if sent is None:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form = await request.form()
                value = form.get("csrf_token")
                sent = value if isinstance(value, str) else None
        expected = principal.csrf_token or ""
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise CsrfFailed()

    async def deny(self, request: Request, principal: Principal, permission: str) -> Forbidden:
        """Audit a refused request and return the error to raise."""
        context = request_context(request, principal)
        event = AuditEvent(
            event_type="access.denied",
            actor=principal.username,
            command=f"{request.method} {request.url.path}"[:64],
            outcome="denied",
            client_ip=context.client_ip,
            trace_id=context.trace_id,
            idempotency_key=context.idempotency_key,
            after={"role": principal.role, "missing_permission": permission},
        )
        await run_in_threadpool(self._append, event)
        return Forbidden(
            f"your role ({principal.role}) may not do this: it needs the {permission!r} permission",
            permission=permission,
        )

    def _append(self, event: AuditEvent) -> None:
        with self.directory.database.transaction() as session:
            self.audit.append(session, event)

    def client_key(self, request: Request) -> str:
        return f"ip:{request.client.host if request.client else 'unknown'}"


def get_access(request: Request) -> AccessControl:
    """The :class:`AccessControl` installed on the app."""
    access = getattr(request.app.state, "riskstream_access", None)
    if not isinstance(access, AccessControl):
        raise RuntimeError("access control is not installed: call access.install_access(app, …)")
    return access


PrincipalDependency = Callable[..., Coroutine[Any, Any, Principal]]


def require(*permissions: Permission, page: bool = False) -> PrincipalDependency:
    """A FastAPI dependency: authenticate, rate-limit, check CSRF and ``permissions``.

    Unauthenticated requests get 401 (``page=True``: a redirect to the login form).
    """

    async def dependency(
        request: Request,
        _token: Annotated[Any, Security(_bearer)],
        _session: Annotated[Any, Security(_cookie)],
    ) -> Principal:
        access = get_access(request)
        trace_id_of(request)
        try:
            principal = await access.authenticate(request)
        except NotAuthenticated:
            # a wrong token costs a database lookup: limit guessing like anonymous calls
            access.rate_limit(access.client_key(request), anonymous=True)
            raise
        if principal is None:
            access.rate_limit(access.client_key(request), anonymous=True)
            if page:
                raise LoginRequired(request.url.path)
            raise NotAuthenticated()
        access.rate_limit(principal.rate_key, service=principal.role == "service")
        await access.check_csrf(request, principal)
        for permission in permissions:
            if not principal.can(permission):
                raise await access.deny(request, principal, permission)
        return principal

    return dependency
