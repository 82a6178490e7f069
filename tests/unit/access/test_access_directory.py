"""Users and tokens in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access import AccessError, UnknownUser, UserDirectory, UserExists
from audit import AuditLog
from contracts import FrozenClock
from db import Database


def test_users_and_tokens_round_trip(directory: UserDirectory, database: Database) -> None:
    user = directory.create_user("anna", "analyst", password="a long passphrase", actor="ada")
    assert (user.username, user.role, user.has_password) == ("anna", "analyst", True)
    issued = directory.create_token("anna", "laptop")
    principal = directory.authenticate_token(issued.token)
    assert principal is not None and (principal.username, principal.role) == ("anna", "analyst")
    assert directory.authenticate_token(issued.token + "x") is None
    assert directory.authenticate_token("not-a-token") is None
    assert directory.authenticate_password("anna", "a long passphrase") is not None
    assert directory.authenticate_password("anna", "wrong passphrase!") is None
    assert directory.authenticate_password("nobody", "a long passphrase") is None
    with database.transaction() as session:
        stored = session.execute(sa.text("SELECT token_hash, prefix FROM api_tokens")).one()
    assert issued.token not in stored  # only the hash and a short prefix are kept
    assert [t.name for t in directory.list_tokens("anna")] == ["laptop"]


def test_revoked_expired_and_deactivated_tokens_stop_working(
    directory: UserDirectory, clock: FrozenClock
) -> None:
    directory.create_user("svc", "service")
    revoked = directory.create_token("svc", "a")
    expiring = directory.create_token("svc", "b", expires_at=clock.now() + timedelta(hours=1))
    kept = directory.create_token("svc", "c")
    directory.revoke_token(revoked.info.id, actor="ada")
    assert directory.authenticate_token(revoked.token) is None
    assert directory.authenticate_token(expiring.token) is not None
    clock.advance(timedelta(hours=2))
    assert directory.authenticate_token(expiring.token) is None
    assert directory.authenticate_token(kept.token) is not None
    directory.set_active("svc", False, actor="ada")
    assert directory.authenticate_token(kept.token) is None


def test_bad_input_is_refused(directory: UserDirectory) -> None:
    directory.create_user("lea", "lead")
    with pytest.raises(UserExists):
        directory.create_user("lea", "lead")
    with pytest.raises(AccessError, match="unknown role"):
        directory.create_user("x1", "superuser")
    with pytest.raises(AccessError, match="user names"):
        directory.create_user("Bad Name", "analyst")
    with pytest.raises(AccessError, match="at least"):
        directory.create_user("x2", "analyst", password="short")
    with pytest.raises(UnknownUser):
        directory.create_token("ghost")


def test_every_change_is_audited(
    directory: UserDirectory, database: Database, audit_log: AuditLog
) -> None:
    directory.create_user("ada", "admin", password="a long passphrase", actor="system:cli")
    token = directory.create_token("ada", actor="system:cli")
    directory.set_role("ada", "lead", actor="root")
    directory.revoke_token(token.info.id, actor="root")
    with database.transaction() as session:
        events = [(r["event_type"], r["actor"]) for r in audit_log.iter_records(session)]
        dump = " ".join(str(r) for r in audit_log.iter_records(session))
        assert audit_log.verify(session).ok
    assert events == [
        ("access.user_created", "system:cli"),
        ("access.token_created", "system:cli"),
        ("access.role_changed", "root"),
        ("access.token_revoked", "root"),
    ]
    assert token.token not in dump
