"""How callers hash emails and postal codes before sending them.

The engine never needs the clear value, only equality. Callers send a keyed SHA-256
digest, base64url-encoded without padding (43 characters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["digest"]


def digest(value: str, key: bytes) -> str:
    """Keyed, normalised digest of an email or postal code.

    >>> len(digest("Ada@Example.com ", b"k"))
    43
    >>> digest("ada@example.com", b"k") == digest(" ADA@example.com", b"k")
    True
    """
    normalised = value.strip().lower().encode()
    raw = hmac.new(key, normalised, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
