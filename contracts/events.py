"""The transaction event: what the payment pipeline sends for every authorization attempt.

Only tokens and non-sensitive card attributes cross this boundary. Structural rules
that hold for every deployment live here (types, lengths, character sets, ISO codes,
integer minor units); rules a deployment configures (id patterns, currency allow-lists,
per-merchant maximums) live in :mod:`contracts.policy`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from contracts.currency import is_iso_4217
from contracts.geo import is_country_code

__all__ = [
    "EVENT_SCHEMA_VERSION",
    "AvsResult",
    "CardAttributes",
    "CardBrand",
    "Channel",
    "CvvResult",
    "Funding",
    "ThreeDSResult",
    "TransactionEvent",
    "TransactionKind",
]

EVENT_SCHEMA_VERSION: Literal[1] = 1

MAX_ID_LENGTH = 255


class AvsResult(StrEnum):
    """Address verification: did street and postal code match the issuer's records."""

    MATCH = "match"  # street and postal code match
    POSTAL_ONLY = "postal_only"  # partial: postal code matches, street does not
    STREET_ONLY = "street_only"  # partial: street matches, postal code does not
    NO_MATCH = "no_match"
    UNAVAILABLE = "unavailable"  # issuer does not support AVS or was unreachable
    NOT_CHECKED = "not_checked"  # no address was sent


class CvvResult(StrEnum):
    """The issuer's card-verification-value check (the value itself never arrives)."""

    MATCH = "M"
    NO_MATCH = "N"
    NOT_PROCESSED = "P"
    NOT_PRESENT = "S"  # merchant says the CVV is not on the card
    ISSUER_UNREGISTERED = "U"
    NOT_PROVIDED = "X"  # no CVV was sent with the attempt


class ThreeDSResult(StrEnum):
    """Outcome of 3-D Secure authentication."""

    AUTHENTICATED = "authenticated"  # liability shifts to the issuer
    ATTEMPTED = "attempted"  # issuer or card not participating; liability usually shifts
    FAILED = "failed"
    NOT_ENROLLED = "not_enrolled"
    NOT_REQUESTED = "not_requested"


class Channel(StrEnum):
    ECOMMERCE = "ecommerce"
    MOTO = "moto"  # mail order / telephone order
    IN_STORE = "in_store"
    RECURRING = "recurring"  # merchant-initiated


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    DINERS = "diners"
    OTHER = "other"


class Funding(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"
    UNKNOWN = "unknown"


TransactionKind = Literal["purchase", "card_check"]


def _country(code: str) -> str:
    if not is_country_code(code):
        raise ValueError("expected an ISO 3166-1 alpha-2 country code such as 'US' or 'DE'")
    return code


def _currency(code: str) -> str:
    if not is_iso_4217(code):
        raise ValueError("expected an ISO 4217 currency code such as 'USD' or 'EUR'")
    return code


# Ids are opaque tokens from the processor. The character set excludes quotes, spaces,
# semicolons and everything else an injection needs; deployments narrow it with
# patterns in contracts.policy.
Identifier = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[A-Za-z0-9_\-]+$")
]
CountryCode = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
# A keyed SHA-256 digest, base64url without padding (43 characters). Base64url rather
# than hex: hex digests contain long decimal runs that a PCI scanner must treat as
# possible card numbers.
Digest = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{43}$")]


class CardAttributes(BaseModel):
    """Non-sensitive card attributes. Never the number, the CVV or the expiry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bin: Annotated[str, Field(pattern=r"^[0-9]{6,8}$")]
    last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")]
    brand: CardBrand
    funding: Funding = Funding.UNKNOWN
    country: CountryCode
    fingerprint: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]


class TransactionEvent(BaseModel):
    """One card authorization attempt, schema version 1. Unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = EVENT_SCHEMA_VERSION
    transaction_id: Identifier
    merchant_id: Identifier
    customer_id: Identifier | None = None
    payment_method: Identifier
    kind: TransactionKind = "purchase"
    card: CardAttributes
    # Integer minor units; strict so that 50.0 or "5000" is refused rather than coerced.
    amount: Annotated[int, Field(strict=True, ge=0, le=10**12)]
    currency: CurrencyCode
    billing_country: CountryCode | None = None
    billing_postal_hash: Digest | None = None
    shipping_country: CountryCode | None = None
    shipping_postal_hash: Digest | None = None
    ip: IPv4Address | IPv6Address | None = None
    ip_country: CountryCode | None = None
    email_hash: Digest | None = None
    device_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-:.]{1,128}$")] | None = None
    avs_result: AvsResult = AvsResult.NOT_CHECKED
    cvv_result: CvvResult = CvvResult.NOT_PROVIDED
    three_ds: ThreeDSResult = ThreeDSResult.NOT_REQUESTED
    channel: Channel = Channel.ECOMMERCE
    event_time: AwareDatetime
    metadata: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-.]+$")],
            Annotated[str, Field(max_length=500)],
        ],
        Field(max_length=20),
    ] = Field(default_factory=dict)

    @field_validator("amount")
    @classmethod
    def _zero_only_for_card_check(cls, amount: int, info: ValidationInfo) -> int:
        if amount == 0 and info.data.get("kind", "purchase") != "card_check":
            raise ValueError("amount 0 is only valid for kind 'card_check'; send minor units > 0")
        return amount

    @field_validator("event_time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)
