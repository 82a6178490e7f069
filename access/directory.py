"""Users and API tokens: create, list, revoke, authenticate. Every change is audited.

These are the functions the ``riskstream`` CLI calls (``riskstream user add``,
``riskstream token create`` …) and the admin API uses.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.credentials import TOKEN_PREFIX, hash_password, hash_token, new_token, verify_password
from access.errors import AccessError, UnknownToken, UnknownUser, UserExists
from access.models import ApiToken, User
from access.principal import Principal
from access.roles import Role
from audit import AuditEvent, AuditLog
from contracts import Clock, Settings, SystemClock
from contracts.pci import contains_pan, contains_secret_key
from db import Database

__all__ = ["IssuedToken", "TokenInfo", "UserDirectory", "UserInfo"]

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,63}$")
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    has_password: bool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token. ``token`` is the only time the plaintext exists: show it once."""

    token: str
    info: TokenInfo


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,  # type: ignore[arg-type]
        is_active=user.is_active,
        created_at=user.created_at,
        has_password=user.password_hash is not None,
    )


def _token_info(token: ApiToken, username: str) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        username=username,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def validate_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise AccessError(
            "user names are 2-64 characters: lower-case letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    if contains_pan(username):  # it would be stored, shown and audited: never card data
        raise AccessError("a user name must not look like a card number: choose another")
    if contains_secret_key(username):
        raise AccessError("a user name must not contain a secret key: choose another")
    return username


def validate_display_name(display_name: str | None) -> str | None:
    if display_name is not None and contains_pan(display_name):
        raise AccessError("a display name must not contain a card number")
    if display_name is not None and contains_secret_key(display_name):
        raise AccessError("a display name must not contain a secret key")
    return display_name


def validate_role(role: str) -> Role:
    if role not in get_args(Role):
        raise AccessError(f"unknown role {role!r}: use one of {', '.join(get_args(Role))}")
    return role  # type: ignore[return-value]


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    return password


class UserDirectory:
    """Users and tokens in the riskstream database."""

    def __init__(self, database: Database, audit: AuditLog, clock: Clock) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock
        # Bumped by every change that can take a token's rights away (role, activity,
        # revocation): this process's cache of verified tokens starts over.
        self.changes = 0

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> UserDirectory:
        """For the CLI: a directory on the configured database."""
        clock = clock or SystemClock()
        audit = AuditLog(
            environment=settings.environment,
            clock=clock,
            retention_days=settings.audit_retention_days,
        )
        return cls(Database.from_settings(settings), audit, clock)

    # -- users -------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        role: str,
        *,
        password: str | None = None,
        display_name: str | None = None,
        actor: str = "system:cli",
    ) -> UserInfo:
        """Create a user. People get a password (for the web UI); services get tokens."""
        username = validate_username(username)
        display_name = validate_display_name(display_name)
        checked_role = validate_role(role)
        password_hash = hash_password(validate_password(password)) if password else None
        with self.database.transaction() as session:
            exists = session.scalar(select(User.id).where(User.username == username))
            if exists is not None:
                raise UserExists(username)
            user = User(
                username=username,
                display_name=(display_name or username)[:255],
                role=checked_role,
                password_hash=password_hash,
                session_nonce=secrets.token_hex(8),
                is_active=True,
                created_at=self.clock.now(),
                created_by=actor,
            )
            session.add(user)
            session.flush()
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.user_created",
                    actor=actor,
                    target=f"user:{username}",
                    outcome="created",
                    after={"username": username, "role": checked_role, "password": bool(password)},
                ),
            )
            return _user_info(user)

    def _get(self, session: Session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UnknownUser(username)
        return user

    def set_password(self, username: str, password: str, *, actor: str = "system:cli") -> None:
        """Set a user's password and end their sessions."""
        password_hash = hash_password(validate_password(password))
        with self.database.transaction() as session:
            user = self._get(session, username)
            user.password_hash = password_hash
            user.session_nonce = secrets.token_hex(8)
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.password_set",
                    actor=actor,
                    target=f"user:{username}",
                    outcome="changed",
                ),
            )

    def set_role(self, username: str, role: str, *, actor: str = "system:cli") -> UserInfo:
        checked = validate_role(role)
        with self.database.transaction() as session:
            user = self._get(session, username)
            before = user.role
            user.role = checked
            user.session_nonce = secrets.token_hex(8)
            self.changes += 1
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.role_changed",
                    actor=actor,
                    target=f"user:{username}",
                    outcome="changed",
                    before={"role": before},
                    after={"role": checked},
                ),
            )
            return _user_info(user)

    def set_active(self, username: str, active: bool, *, actor: str = "system:cli") -> UserInfo:
        """Deactivate (or reactivate) a user: their sessions and tokens stop working."""
        with self.database.transaction() as session:
            user = self._get(session, username)
            before = user.is_active
            user.is_active = active
            user.session_nonce = secrets.token_hex(8)
            self.changes += 1
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.user_activated" if active else "access.user_deactivated",
                    actor=actor,
                    target=f"user:{username}",
                    outcome="changed",
                    before={"is_active": before},
                    after={"is_active": active},
                ),
            )
            return _user_info(user)

    def list_users(self) -> list[UserInfo]:
        with self.database.transaction() as session:
            return [_user_info(u) for u in session.scalars(select(User).order_by(User.username))]

    def get_user(self, username: str) -> UserInfo:
        with self.database.transaction() as session:
            return _user_info(self._get(session, username))

    # -- tokens ------------------------------------------------------------------

    def create_token(
        self,
        username: str,
        name: str = "default",
        *,
        expires_at: datetime | None = None,
        actor: str = "system:cli",
    ) -> IssuedToken:
        """Issue an API token for ``username``. The plaintext is returned once, never stored."""
        if not re.fullmatch(r"[A-Za-z0-9._\- ]{1,64}", name):
            raise AccessError("token names are 1-64 letters, digits, spaces and . _ -")
        if contains_pan(name) or contains_secret_key(name):
            raise AccessError(
                "a token name must not look like a card number or a secret key: choose another"
            )
        token = new_token()
        with self.database.transaction() as session:
            user = self._get(session, username)
            row = ApiToken(
                user_id=user.id,
                name=name,
                prefix=token[: len(TOKEN_PREFIX) + 6],
                token_hash=hash_token(token),
                created_at=self.clock.now(),
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.token_created",
                    actor=actor,
                    target=f"token:{row.id}",
                    outcome="created",
                    after={"user": username, "name": name, "prefix": row.prefix},
                ),
            )
            return IssuedToken(token, _token_info(row, username))

    def revoke_token(self, token_id: int, *, actor: str = "system:cli") -> TokenInfo:
        with self.database.transaction() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise UnknownToken(token_id)
            user = session.get(User, row.user_id)
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
                self.changes += 1
                self.audit.append(
                    session,
                    AuditEvent(
                        event_type="access.token_revoked",
                        actor=actor,
                        target=f"token:{row.id}",
                        outcome="revoked",
                        after={"user": user.username if user else None, "prefix": row.prefix},
                    ),
                )
            return _token_info(row, user.username if user else "?")

    def list_tokens(self, username: str | None = None) -> list[TokenInfo]:
        with self.database.transaction() as session:
            query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
            if username is not None:
                query = query.where(User.username == username)
            rows = session.execute(query.order_by(ApiToken.id)).all()
            return [_token_info(token, name) for token, name in rows]

    # -- authentication ----------------------------------------------------------

    def authenticate_token(self, token: str) -> Principal | None:
        """The principal for a bearer token, or None if unknown, revoked, expired or inactive."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(token))
            ).one_or_none()
            if row is None:
                return None
            api_token, user = row
            if api_token.revoked_at is not None or not user.is_active:
                return None
            if api_token.expires_at is not None and api_token.expires_at <= now:
                return None
            last = api_token.last_used_at
            if last is None or (now - last).total_seconds() > 60:  # keep writes rare
                session.execute(
                    update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
                )
            return Principal(user.id, user.username, user.role, "token", token_id=api_token.id)  # type: ignore[arg-type]

    def authenticate_password(self, username: str, password: str) -> UserInfo | None:
        """The user if the password matches and the user is active, else None."""
        with self.database.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            stored = user.password_hash if user is not None and user.is_active else None
            if not verify_password(password, stored) or user is None:
                return None
            return _user_info(user)

    def session_nonce(self, user_id: int) -> tuple[UserInfo, str] | None:
        """The active user behind a session cookie and their current session nonce."""
        with self.database.transaction() as session:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                return None
            return _user_info(user), user.session_nonce

    def end_sessions(self, user_id: int, *, actor: str) -> None:
        """Invalidate every session cookie of a user (logout)."""
        with self.database.transaction() as session:
            user = session.get(User, user_id)
            if user is None:
                return
            user.session_nonce = secrets.token_hex(8)
            self.audit.append(
                session,
                AuditEvent(
                    event_type="access.logout",
                    actor=actor,
                    target=f"user:{user.username}",
                    outcome="logged_out",
                ),
            )
