"""The access package's error tree.

HTTP handlers map :class:`NotAuthenticated` to 401, :class:`Forbidden` to 403 and
:class:`RateLimited` to 429 (with ``Retry-After``).
"""

from __future__ import annotations

__all__ = [
    "AccessConfigError",
    "AccessError",
    "CsrfFailed",
    "Forbidden",
    "InvalidCredentials",
    "NotAuthenticated",
    "NotFound",
    "RateLimited",
    "UnknownToken",
    "UnknownUser",
    "UserExists",
]


class AccessError(Exception):
    """Root of every error raised by :mod:`access`."""


class AccessConfigError(AccessError):
    """Access control cannot start with this configuration."""


class NotAuthenticated(AccessError):
    """No valid API token or session came with the request."""

    def __init__(
        self, message: str = "authentication required: send an API token or log in"
    ) -> None:
        super().__init__(message)


class InvalidCredentials(NotAuthenticated):
    def __init__(self) -> None:
        super().__init__("invalid user name or password")


class Forbidden(AccessError):
    """The caller is known but may not do this. ``permission`` names what was missing."""

    def __init__(self, message: str, *, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__(message)


class CsrfFailed(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "missing or wrong CSRF token: reload the page and try again "
            "(API clients should authenticate with a bearer token instead of a cookie)"
        )


class RateLimited(AccessError):
    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many requests: retry after {retry_after_s:.0f}s")


class NotFound(AccessError):
    """A user or token named in the request does not exist."""


class UserExists(AccessError):
    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"a user named {username!r} already exists")


class UnknownUser(NotFound):
    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"no user named {username!r}: create it first")


class UnknownToken(NotFound):
    def __init__(self, token_id: int) -> None:
        self.token_id = token_id
        super().__init__(f"no API token with id {token_id}")
