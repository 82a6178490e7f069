"""A transaction being assembled: plain mutable fields, turned into a validated event last.

Generators fill drafts (cheap), the engine sorts them by event time, and only then are
they validated into :class:`~contracts.events.TransactionEvent` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Final

from contracts.events import (
    AvsResult,
    CardAttributes,
    Channel,
    CvvResult,
    ThreeDSResult,
    TransactionEvent,
    TransactionKind,
)
from simulator.config import PatternName
from simulator.records import Label, SimulatedTransaction

__all__ = ["EPOCH", "Draft", "from_ms", "to_ms"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


@lru_cache(maxsize=65_536)
def _ip(text: str) -> IPv4Address | IPv6Address:
    return ip_address(text)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch of an aware datetime."""
    return (moment - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime ``ms`` milliseconds after the Unix epoch."""
    return EPOCH + timedelta(milliseconds=ms)


@dataclass(slots=True)
class Draft:
    """Every field of a future event plus its ground truth. Mutable while being built."""

    ts_ms: int
    transaction_id: str
    merchant_id: str
    card: CardAttributes
    payment_method: str
    amount: int
    currency: str
    channel: Channel
    customer_id: str | None = None
    kind: TransactionKind = "purchase"
    billing_country: str | None = None
    billing_postal_hash: str | None = None
    shipping_country: str | None = None
    shipping_postal_hash: str | None = None
    ip: str | None = None
    ip_country: str | None = None
    email_hash: str | None = None
    device_id: str | None = None
    avs: AvsResult = AvsResult.NOT_CHECKED
    cvv: CvvResult = CvvResult.NOT_PROVIDED
    three_ds: ThreeDSResult = ThreeDSResult.NOT_REQUESTED
    pattern: PatternName | None = None
    episode_id: str | None = None
    label: Label | None = None
    seq: int = 0  # tie-breaker for equal timestamps, set by the engine

    @property
    def is_fraud(self) -> bool:
        return self.pattern is not None

    def to_transaction(self) -> SimulatedTransaction:
        """Validate into the contract model (raises pydantic's error if a generator erred)."""
        event = TransactionEvent(
            transaction_id=self.transaction_id,
            merchant_id=self.merchant_id,
            customer_id=self.customer_id,
            payment_method=self.payment_method,
            kind=self.kind,
            card=self.card,
            amount=self.amount,
            currency=self.currency,
            billing_country=self.billing_country,
            billing_postal_hash=self.billing_postal_hash,
            shipping_country=self.shipping_country,
            shipping_postal_hash=self.shipping_postal_hash,
            ip=_ip(self.ip) if self.ip is not None else None,
            ip_country=self.ip_country,
            email_hash=self.email_hash,
            device_id=self.device_id,
            avs_result=self.avs,
            cvv_result=self.cvv,
            three_ds=self.three_ds,
            channel=self.channel,
            event_time=from_ms(self.ts_ms),
        )
        return SimulatedTransaction(
            event=event,
            is_fraud=self.pattern is not None,
            pattern=self.pattern,
            episode_id=self.episode_id,
            label=self.label,
        )
