"""Deterministic, PCI-quiet identifiers drawn from a seeded random generator.

Ids are base62 so they match the processor-style patterns in
:data:`contracts.policy.DEFAULT_ID_PATTERNS`. A random base62 string almost never holds
13 digits in a row, but "almost" is not enough next to a PCI scanner: every id is
checked and redrawn if it would look like a card-number candidate.
"""

from __future__ import annotations

import re
import string
from random import Random

from contracts.hashing import digest

__all__ = ["BASE62", "new_digest", "new_id"]

BASE62 = string.digits + string.ascii_letters
_LONG_DIGIT_RUN = re.compile(r"[0-9]{13}")


def new_id(rng: Random, prefix: str, length: int) -> str:
    """``prefix`` followed by ``length`` base62 characters, never 13 digits in a row.

    >>> from random import Random
    >>> value = new_id(Random(3), "pi_", 24)
    >>> value.startswith("pi_"), len(value)
    (True, 27)
    """
    while True:
        body = "".join(rng.choices(BASE62, k=length))
        if not _LONG_DIGIT_RUN.search(body):
            return prefix + body


def new_digest(rng: Random, kind: str, key: bytes) -> str:
    """The keyed digest of a fresh synthetic value (an email or a postal code).

    The clear value is invented here and dropped: only its digest is ever used.
    """
    return digest(f"{kind}:{new_id(rng, '', 16)}", key)
