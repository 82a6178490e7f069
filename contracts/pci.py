"""PCI guard: find card numbers and card-secret field names, mask them for logs.

The engine accepts only tokens and non-sensitive card attributes. This module is the
one place that decides what counts as a card number:

* a run of 13-19 digits, where single spaces or dashes may separate the digits
  (``4242 4242 ...`` or ``4242-4242-...``), that passes the Luhn check;
* a longer digit run is scanned window by window, so a card number glued to other
  digits (``"99" + pan + "00"``) is still found.

The scan is deliberately strict: any run of 13 or more digits that holds a Luhn-valid
13-19 digit window is treated as a card number (a random 16-digit number does so about
two times in three). One exemption keeps device ids usable: a value that is exactly a
canonical UUID is scanned group by group (no group is longer than 12 digits), because
dash-joined decimal groups of random UUIDs would otherwise be refused about 0.7 % of
the time.

Nothing here ever returns or formats the value it found: callers learn *that* a field
carries a card number and *where* (the field path), never the digits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "PAN_MAX_DIGITS",
    "PAN_MIN_DIGITS",
    "PciFinding",
    "contains_pan",
    "contains_secret_key",
    "is_forbidden_field_name",
    "luhn_valid",
    "mask_card_data",
    "raw_may_hold_card_data",
    "scan_document",
]

PAN_MIN_DIGITS = 13
PAN_MAX_DIGITS = 19

# A run of at least 13 digits where single separators (space or dash) may sit between
# digits. Shorter runs can never hold a card number, so the regex skips them outright.
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d){12,}")
_SEPARATORS = re.compile(r"[ \-]")

# Field names that only ever carry card secrets. Matched on the normalised name
# (lower case, separators removed) so ``cardNumber``, ``card-number`` and
# ``CARD_NUMBER`` all hit; ``cvv_result`` (the issuer's check result) does not.
_FORBIDDEN_NAMES = re.compile(
    r"^(?:"
    r"(?:card|cc|credit|debit)(?:number|num|no|pan)|pan"
    r"|primaryaccountnumber|accountnumber"
    r"|(?:card)?(?:cvv|cvc|cvn|csc|cid|cav)2?(?:code|value)?"
    r"|(?:card)?securitycode|(?:card)?verificationcode|(?:card)?verificationvalue"
    r"|(?:card)?exp(?:iry|iration|ire|ires)?(?:date|month|year|mm|yy|yyyy|mmyy)?"
    r"|track[12]?(?:data)?|magstripe|pinblock|pin"
    r")$"
)


def luhn_valid(digits: str) -> bool:
    """Return True when ``digits`` (only 0-9) passes the Luhn checksum.

    >>> luhn_valid("79927398713")
    True
    >>> luhn_valid("79927398710")
    False
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _pan_windows(run: str) -> Iterator[str]:
    length = len(run)
    for size in range(PAN_MIN_DIGITS, min(PAN_MAX_DIGITS, length) + 1):
        for start in range(length - size + 1):
            yield run[start : start + size]


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def contains_pan(text: str) -> bool:
    """Return True when ``text`` carries a Luhn-valid 13-19 digit card number.

    >>> contains_pan("order 12 of 3")
    False
    """
    if len(text) < PAN_MIN_DIGITS or _UUID.match(text):
        return False
    for match in _DIGIT_RUN.finditer(text):
        run = _SEPARATORS.sub("", match.group())
        if any(luhn_valid(window) for window in _pan_windows(run)):
            return True
    return False


# A processor's secret or restricted API key, or a webhook signing secret. Not card
# data, but never something a payment event, a label or a dispute may carry: refused
# like a card number (a publishable ``pk_`` key is public and is not refused).
_SECRET_VALUE = re.compile(r"(?:\b(?:sk|rk)_(?:live|test)_|\bwhsec_)[A-Za-z0-9]{8,}")
_SECRET_VALUE_BYTES = re.compile(rb"(?:(?:sk|rk)_(?:live|test)_|whsec_)[A-Za-z0-9]{8}")


def contains_secret_key(text: str) -> bool:
    """Return True when ``text`` carries a secret API key or a webhook signing secret.

    >>> contains_secret_key("pk_live_" + "a" * 24)
    False
    """
    return "_" in text and _SECRET_VALUE.search(text) is not None


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=8192)
def is_forbidden_field_name(name: str) -> bool:
    """Return True when a field name says it carries a PAN, CVV or expiry.

    >>> is_forbidden_field_name("cardNumber"), is_forbidden_field_name("cvv_result")
    (True, False)
    """
    # Cached: the same few dozen field names arrive millions of times.
    return bool(_FORBIDDEN_NAMES.match(_NOT_ALNUM.sub("", name.lower())))


@dataclass(frozen=True, slots=True)
class PciFinding:
    """Where card data was found. Carries the path, never the value."""

    path: str
    kind: Literal["card_number", "forbidden_field", "secret_key"]


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def scan_document(document: object, path: str = "") -> list[PciFinding]:
    """Scan a decoded JSON document (any nesting) for card data.

    Every key is checked against the forbidden names, every string and integer value
    for a card number. Returns the findings in document order; empty means clean.
    """
    findings: list[PciFinding] = []
    _scan(document, path, findings)
    return findings


# 13+ characters that are digits, spaces or dashes: every card-like digit run lies in
# one. A plain character-class run is matched in linear time; the exact digit-run
# pattern then only looks at these (rare) candidates.
_CANDIDATE_BYTES = re.compile(rb"[0-9 \-]{13,}")
_DIGIT_RUN_BYTES = re.compile(rb"\d(?:[ \-]?\d){12,}")


def raw_may_hold_card_data(raw: bytes) -> bool:
    """False when the raw JSON cannot hold a card number or a secret key in any value.

    Without a run of 13+ digits or a secret-key prefix in the text, and without ``\\u``
    escapes (which could spell either), no decoded value can contain one either.
    """
    if b"\\u" in raw or _SECRET_VALUE_BYTES.search(raw):
        return True
    return any(
        _DIGIT_RUN_BYTES.search(candidate.group()) for candidate in _CANDIDATE_BYTES.finditer(raw)
    )


def _scan_text(value: str, path: str, findings: list[PciFinding]) -> None:
    if len(value) >= PAN_MIN_DIGITS and contains_pan(value):
        findings.append(PciFinding(path or "$", "card_number"))
    elif contains_secret_key(value):
        findings.append(PciFinding(path or "$", "secret_key"))


def _scan(value: object, path: str, findings: list[PciFinding]) -> None:
    if isinstance(value, str):
        _scan_text(value, path, findings)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) >= 10 ** (PAN_MIN_DIGITS - 1) and contains_pan(str(value)):
            findings.append(PciFinding(path or "$", "card_number"))
    elif isinstance(value, float):
        # 4242424242424242.0 or 4.242424242424242e+15: both spell the digits somewhere.
        if abs(value) >= 10 ** (PAN_MIN_DIGITS - 1) and (
            contains_pan(f"{value:.0f}") or contains_pan(repr(value))
        ):
            findings.append(PciFinding(path or "$", "card_number"))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            if is_forbidden_field_name(key_text):
                findings.append(PciFinding(_join(path, key_text), "forbidden_field"))
            elif len(key_text) >= PAN_MIN_DIGITS and contains_pan(key_text):
                # A card number used as a key: report the parent, never the key itself.
                findings.append(PciFinding(path or "$", "card_number"))
            elif contains_secret_key(key_text):
                findings.append(PciFinding(path or "$", "secret_key"))
            if isinstance(item, str):  # the common case: no recursion
                if len(item) >= PAN_MIN_DIGITS or "_" in item:
                    _scan_text(item, _join(path, key_text), findings)
            elif item is not None:
                _scan(item, _join(path, key_text), findings)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            _scan(item, _join(path, index), findings)


# ---------------------------------------------------------------------------
# Masking for logs and error text.

_SECRET_KEY = re.compile(r"\b((?:sk|rk|pk|whsec)_(?:live|test)_)([A-Za-z0-9]+)\b")
_GENERIC_SECRET = re.compile(r"\b(whsec_)([A-Za-z0-9]{8,})\b")


def _mask_digits(match: re.Match[str]) -> str:
    run = _SEPARATORS.sub("", match.group())
    return "****" + run[-4:]


def _mask_secret(match: re.Match[str]) -> str:
    secret = match.group(2)
    tail = secret[-4:] if len(secret) > 8 else ""
    return f"{match.group(1)}****{tail}"


def mask_card_data(text: str) -> str:
    """Mask card-like digit runs (``****1234``) and secret keys (``sk_live_****abcd``).

    Masks every run of 13 or more digits, Luhn-valid or not: a log line is no place
    to decide whether a number was "really" a card.

    >>> mask_card_data("key sk_live_abcdefgh12345678 ok")
    'key sk_live_****5678 ok'
    """
    masked = _DIGIT_RUN.sub(_mask_digits, text)
    masked = _SECRET_KEY.sub(_mask_secret, masked)
    return _GENERIC_SECRET.sub(_mask_secret, masked)
