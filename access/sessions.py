"""Browser sessions: a signed cookie naming the user, their session nonce and a CSRF token.

The cookie is signed with ``Settings.session_secret``. Outside production, a missing
secret is replaced by a random per-process one (sessions then end on restart) with a
warning; production refuses to start without it. Expiry is checked against the
injected clock; logging out changes the user's nonce, which ends every session.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from access.errors import AccessConfigError
from contracts import Settings

__all__ = ["SessionCodec", "SessionData", "resolve_session_secret"]

log = logging.getLogger(__name__)


def resolve_session_secret(settings: Settings) -> bytes:
    """The key that signs session cookies, from ``RISKSTREAM_SESSION_SECRET``."""
    if settings.session_secret is not None:
        value = settings.session_secret.get_secret_value()
        if len(value) < 16:
            raise AccessConfigError("RISKSTREAM_SESSION_SECRET must be at least 16 characters")
        return value.encode()
    if settings.environment == "production":
        raise AccessConfigError(
            "RISKSTREAM_SESSION_SECRET is not set: production refuses to sign analyst "
            "sessions with a throw-away key. Set it to a long random string "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    log.warning(
        "RISKSTREAM_SESSION_SECRET is not set: using a random per-process key, so every "
        "login ends when this process restarts. Set it for anything but local development."
    )
    return secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class SessionData:
    user_id: int
    nonce: str
    csrf_token: str
    issued_at: datetime


class SessionCodec:
    """Signs and checks session cookie values."""

    def __init__(self, secret: bytes, *, max_age: timedelta) -> None:
        self._serializer = URLSafeSerializer(secret, salt="riskstream.session.v1")
        self.max_age = max_age

    def encode(self, user_id: int, nonce: str, now: datetime) -> tuple[str, SessionData]:
        data = SessionData(user_id, nonce, secrets.token_urlsafe(24), now)
        value = self._serializer.dumps(
            {"u": user_id, "n": nonce, "c": data.csrf_token, "t": int(now.timestamp())}
        )
        return value, data

    def decode(self, value: str, now: datetime) -> SessionData | None:
        """The session in a cookie value, or None when forged, malformed or expired."""
        if len(value) > 4096:
            return None
        try:
            raw = self._serializer.loads(value)
        except BadSignature:
            return None
        if not isinstance(raw, dict):
            return None
        user_id, nonce, csrf, issued = raw.get("u"), raw.get("n"), raw.get("c"), raw.get("t")
        if not (
            isinstance(user_id, int)
            and isinstance(nonce, str)
            and isinstance(csrf, str)
            and isinstance(issued, int)
        ):
            return None
        issued_at = datetime.fromtimestamp(issued, tz=now.tzinfo)
        if now - issued_at > self.max_age or issued_at - now > timedelta(minutes=5):
            return None
        return SessionData(user_id, nonce, csrf, issued_at)
