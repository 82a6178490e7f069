"""Authentication and authorisation for every riskstream HTTP API.

Users have a role (analyst, lead, admin; machine clients: service). They authenticate
with an API token (``Authorization: Bearer rs_…``, stored only as a hash) or, in a
browser, with the login form's signed session cookie (CSRF-protected). Routes declare
what they need with ``Depends(require("reviews.work"))``; every request is
authorised server-side, rate limited per client, and refusals are audited.
"""

from access.context import RequestContext, request_context, trace_id_of
from access.control import SESSION_COOKIE, AccessControl, LoginRequired, get_access, require
from access.credentials import TOKEN_PREFIX, hash_password, hash_token, new_token, verify_password
from access.directory import IssuedToken, TokenInfo, UserDirectory, UserInfo
from access.errors import (
    AccessConfigError,
    AccessError,
    CsrfFailed,
    Forbidden,
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
    RateLimited,
    UnknownToken,
    UnknownUser,
    UserExists,
)
from access.handlers import error_response, wants_html
from access.install import install_access
from access.principal import Principal
from access.ratelimit import RateLimit, TokenBucketLimiter
from access.roles import PERMISSIONS, ROLE_PERMISSIONS, ROLES, Permission, Role, allows
from access.sessions import SessionCodec, resolve_session_secret

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SESSION_COOKIE",
    "TOKEN_PREFIX",
    "AccessConfigError",
    "AccessControl",
    "AccessError",
    "CsrfFailed",
    "Forbidden",
    "InvalidCredentials",
    "IssuedToken",
    "LoginRequired",
    "NotAuthenticated",
    "NotFound",
    "Permission",
    "Principal",
    "RateLimit",
    "RateLimited",
    "RequestContext",
    "Role",
    "SessionCodec",
    "TokenBucketLimiter",
    "TokenInfo",
    "UnknownToken",
    "UnknownUser",
    "UserDirectory",
    "UserExists",
    "UserInfo",
    "allows",
    "error_response",
    "get_access",
    "hash_password",
    "hash_token",
    "install_access",
    "new_token",
    "request_context",
    "require",
    "resolve_session_secret",
    "trace_id_of",
    "verify_password",
    "wants_html",
]
