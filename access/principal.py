"""Who is calling: the authenticated principal of one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from access.roles import Permission, Role, allows

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user or machine client.

    ``via`` says how it authenticated; cookie sessions carry the CSRF token that
    their unsafe requests must echo.
    """

    user_id: int
    username: str
    role: Role
    via: Literal["token", "session"]
    token_id: int | None = None
    csrf_token: str | None = None

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def rate_key(self) -> str:
        """The rate-limit bucket: one per token, one per user's sessions."""
        return f"token:{self.token_id}" if self.token_id is not None else f"user:{self.user_id}"
