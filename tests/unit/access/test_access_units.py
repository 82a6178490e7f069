"""Access building blocks without HTTP: credentials, roles, buckets, session cookies."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from access import (
    ROLE_PERMISSIONS,
    TOKEN_PREFIX,
    AccessConfigError,
    RateLimit,
    SessionCodec,
    TokenBucketLimiter,
    allows,
    hash_password,
    hash_token,
    new_token,
    resolve_session_secret,
    verify_password,
)
from contracts import load_settings


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("a long passphrase"), hash_password("a long passphrase")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("a long passphrase", first)
    assert not verify_password("a long passphrasE", first)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "garbage")


def test_tokens_are_random_prefixed_and_stored_as_hashes() -> None:
    token = new_token()
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert new_token() != token
    assert hash_token(token) != token and len(hash_token(token)) == 64


def test_roles_separate_duties() -> None:
    assert not allows("analyst", "rules.write")
    assert not allows("analyst", "models.write")
    assert not allows("analyst", "reviews.lead")
    assert allows("lead", "reviews.lead") and not allows("lead", "users.manage")
    assert allows("admin", "users.manage") and not allows("admin", "reviews.work")
    assert ROLE_PERMISSIONS["service"] == frozenset({"score"})
    assert not allows("nobody", "reviews.read")


def test_token_bucket_refills_and_reports_the_wait() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(RateLimit(rate_per_s=2.0, burst=3), monotonic=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0  # buckets are per client
    now[0] += 0.5
    assert limiter.acquire("k") == 0.0
    assert TokenBucketLimiter.retry_after(0.01) == 1


def test_token_bucket_bounds_its_memory() -> None:
    limiter = TokenBucketLimiter(RateLimit(1.0, 1), max_keys=10)
    for n in range(100):
        limiter.acquire(f"ip:{n}")
    assert len(limiter._buckets) == 10


def test_session_cookies_are_signed_and_expire() -> None:
    codec = SessionCodec(b"k" * 32, max_age=timedelta(hours=1))
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    value, data = codec.encode(7, "nonce", now)
    decoded = codec.decode(value, now + timedelta(minutes=59))
    assert decoded is not None and decoded.user_id == 7 and decoded.csrf_token == data.csrf_token
    assert codec.decode(value, now + timedelta(minutes=61)) is None
    assert codec.decode(value[:-2] + "xx", now) is None
    assert SessionCodec(b"o" * 32, max_age=timedelta(hours=1)).decode(value, now) is None
    assert codec.decode("x" * 5000, now) is None


def test_session_secret_is_required_in_production(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(AccessConfigError, match="RISKSTREAM_SESSION_SECRET"):
        resolve_session_secret(load_settings(environment="production"))
    with pytest.raises(AccessConfigError, match="16 characters"):
        resolve_session_secret(load_settings(environment="test", session_secret="short"))
    assert (
        resolve_session_secret(load_settings(environment="production", session_secret="p" * 32))
        == b"p" * 32
    )
    with caplog.at_level(logging.WARNING, logger="access.sessions"):
        generated = resolve_session_secret(load_settings(environment="development"))
    assert len(generated) == 32
    assert "per-process" in caplog.text
