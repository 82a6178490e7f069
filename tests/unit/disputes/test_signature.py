"""Stripe-style signatures: the processor's published algorithm, tolerance, malformed headers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from disputes import (
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfTolerance,
    compute_signature,
    parse_signature_header,
    signature_header,
    verify_signature,
)

SECRET = "whsec_test_0123456789abcdef"
BODY = b'{"id":"evt_1","object":"event","type":"charge.dispute.created"}'
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def published(secret: str, timestamp: int, body: bytes) -> str:
    """The processor's documented scheme, written out independently of our code."""
    signed_payload = f"{timestamp}.{body.decode()}"
    return hmac.new(secret.encode(), signed_payload.encode(), hashlib.sha256).hexdigest()


def test_our_signature_is_the_published_one() -> None:
    assert compute_signature(BODY, SECRET, T) == published(SECRET, T, BODY)
    assert signature_header(BODY, SECRET, T) == f"t={T},v1={published(SECRET, T, BODY)}"


def test_a_good_signature_verifies_among_several_entries() -> None:
    good = published(SECRET, T, BODY)
    header = f"t={T},v1={'0' * 64},v1={good},v0={'f' * 64}"
    verified = verify_signature(BODY, header, SECRET, now=NOW + timedelta(seconds=30))
    assert (verified.timestamp, verified.signature) == (T, good)
    assert len(verified.delivery_id) == 64


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"v1={'a' * 64}",  # no timestamp
        f"t={T}",  # no signature
        f"t=yesterday,v1={'a' * 64}",
        f"t={T},v0={'a' * 64}",  # only the old scheme
        "x" * 5000,
    ],
)
def test_unreadable_headers_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureMissing):
        verify_signature(BODY, header, SECRET, now=NOW)


def test_a_wrong_secret_or_a_changed_body_is_refused() -> None:
    with pytest.raises(SignatureMismatch):
        verify_signature(BODY, f"t={T},v1={published('whsec_other', T, BODY)}", SECRET, now=NOW)
    header = f"t={T},v1={published(SECRET, T, BODY)}"
    with pytest.raises(SignatureMismatch):
        verify_signature(BODY + b" ", header, SECRET, now=NOW)
    # The timestamp is signed too: moving it breaks the signature.
    with pytest.raises(SignatureMismatch):
        verify_signature(BODY, f"t={T + 1},v1={published(SECRET, T, BODY)}", SECRET, now=NOW)


@pytest.mark.parametrize("skew_s", [301, -301, 86_400])
def test_timestamps_outside_the_tolerance_are_refused(skew_s: int) -> None:
    header = signature_header(BODY, SECRET, T)
    with pytest.raises(TimestampOutOfTolerance) as caught:
        verify_signature(BODY, header, SECRET, now=NOW + timedelta(seconds=skew_s))
    assert caught.value.skew_s == skew_s
    verify_signature(BODY, header, SECRET, now=NOW + timedelta(seconds=300))  # the edge is in


def test_parse_keeps_only_hex_v1_entries() -> None:
    parsed = parse_signature_header(f"t={T}, v1={'A' * 64}, v1=zz, other=1")
    assert parsed.signatures == ("a" * 64,)
