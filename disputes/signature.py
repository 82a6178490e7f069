"""Stripe-style webhook signatures: HMAC-SHA256 over ``"<t>.<raw body>"``, with a tolerance.

The processor sends ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]``; each
``v1`` is ``HMAC-SHA256(key=endpoint secret, msg=f"{t}." + body)`` in lower-case hex
(several during a secret roll). Verification follows the processor's published
algorithm: compute the expected signature for the header's ``t``, compare it in
constant time with every ``v1`` entry, then refuse a ``t`` outside the tolerance
(default 300 s). We also refuse a ``t`` that far *ahead* of our clock, which the
processor's libraries allow; a sender's clock that is five minutes fast is a fault.

>>> header = signature_header(b'{"id":"evt_1"}', "whsec_test", 1_700_000_000)
>>> parse_signature_header(header).timestamp
1700000000
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from disputes.errors import SignatureMismatch, SignatureMissing, TimestampOutOfTolerance

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "SIGNATURE_HEADER",
    "ParsedSignature",
    "VerifiedDelivery",
    "compute_signature",
    "parse_signature_header",
    "signature_header",
    "verify_signature",
]

SIGNATURE_HEADER = "Stripe-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
_MAX_HEADER = 4096
_MAX_SIGNATURES = 16
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]  # the v1 entries, lower-case hex


@dataclass(frozen=True, slots=True)
class VerifiedDelivery:
    """A delivery whose signature checked out. ``delivery_id`` names it for replay checks."""

    timestamp: int
    signature: str

    @property
    def delivery_id(self) -> str:
        return hashlib.sha256(f"{self.timestamp}.{self.signature}".encode()).hexdigest()


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``v1`` signature of ``payload`` sent at ``timestamp`` (hex HMAC-SHA256)."""
    message = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The header a sender puts on ``payload`` (for clients, tools and tests)."""
    return f"t={timestamp},{SCHEME}={compute_signature(payload, secret, timestamp)}"


def parse_signature_header(header: str | None) -> ParsedSignature:
    """Read ``t`` and the ``v1`` entries; unknown schemes (``v0``) are ignored."""
    if not header or len(header) > _MAX_HEADER:
        raise SignatureMissing("absent or too long" if header else "")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and timestamp is None:
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureMissing("t is not a unix timestamp")
            timestamp = int(value)
        elif key == SCHEME and len(signatures) < _MAX_SIGNATURES:
            candidate = value.lower()
            if len(candidate) == 64 and set(candidate) <= _HEX:
                signatures.append(candidate)
    if timestamp is None:
        raise SignatureMissing("no t=")
    if not signatures:
        raise SignatureMissing(f"no {SCHEME}= signature")
    return ParsedSignature(timestamp, tuple(signatures))


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> VerifiedDelivery:
    """Check ``header`` against ``payload`` (the raw body, byte for byte).

    Raises:
        SignatureMissing: no readable header.
        SignatureMismatch: no ``v1`` entry matches.
        TimestampOutOfTolerance: the signed time is too far from ``now``.
    """
    parsed = parse_signature_header(header)
    expected = compute_signature(payload, secret, parsed.timestamp)
    matched = next(
        (s for s in parsed.signatures if hmac.compare_digest(expected, s)),
        None,
    )
    if matched is None:
        raise SignatureMismatch()
    skew = int(now.timestamp()) - parsed.timestamp
    if abs(skew) > tolerance_s:
        raise TimestampOutOfTolerance(skew, tolerance_s)
    return VerifiedDelivery(parsed.timestamp, matched)
