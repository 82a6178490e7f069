"""Which disputes are fraud: reason codes of the processor and of the card networks.

Only fraud codes make a fraud label. A cardholder who says "I did not make this
payment" (Visa 10.x, Mastercard 4837/4840/4849/4863/4870/4871, Amex F10/F14/F24/F29/
FR2/FR4/FR6, Discover UA01/UA02/UA05/UA06, the processor's ``fraudulent`` and
``unrecognized``) is reporting fraud; one who says "the goods never came", "I was
charged twice" or "I cancelled" is disputing the service, and the transaction was
legitimate. The network's code wins when it is known: it is what the issuer filed.
An early fraud warning is fraud by definition. A refund is fraud only when the
merchant refunded it as fraudulent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from contracts import DisputeEvent, LabelSource

__all__ = [
    "FRAUD_NETWORK_CODES",
    "FRAUD_REASONS",
    "Classification",
    "LabelCategory",
    "classify",
]

LabelCategory = Literal["fraud", "service_dispute", "refund"]

# The processor's dispute reasons that mean "not authorised by the cardholder".
# ``debit_not_authorized`` is the bank-debit form of the same claim.
FRAUD_REASONS: Final = frozenset({"fraudulent", "unrecognized", "debit_not_authorized"})

FRAUD_NETWORK_CODES: Final = frozenset(
    {
        # Visa condition category 10 (fraud)
        "10.1", "10.2", "10.3", "10.4", "10.5",
        # Mastercard
        "4837", "4840", "4849", "4863", "4870", "4871",
        # American Express
        "F10", "F14", "F24", "F29", "FR2", "FR4", "FR6",
        # Discover
        "UA01", "UA02", "UA05", "UA06",
    }
)  # fmt: skip
# Codes of the same networks that are not fraud (authorisation, processing errors,
# consumer disputes): they decide "service dispute" even when the processor's own
# reason says otherwise.
SERVICE_NETWORK_PREFIXES: Final = ("11.", "12.", "13.")
SERVICE_NETWORK_CODES: Final = frozenset(
    {
        "4808", "4831", "4834", "4841", "4842", "4853", "4854", "4855", "4859", "4860",
        "C02", "C04", "C05", "C08", "C14", "C18", "C28", "C31", "C32", "P01", "P03",
        "P04", "P05", "P07", "P08", "P22", "P23", "A01", "A02", "A08",
        "AA", "AP", "AW", "CD", "CR", "DP", "EX", "IC", "IN", "LP", "NA", "NC", "RG", "RM",
    }
)  # fmt: skip

_SOURCES: Final[dict[str, LabelSource]] = {
    "chargeback": "chargeback",
    "early_fraud_warning": "early_fraud_warning",
    "refund": "refund",
}


@dataclass(frozen=True, slots=True)
class Classification:
    category: LabelCategory
    is_fraud: bool
    source: LabelSource
    basis: str  # which code decided: "network:10.4", "reason:fraudulent", "kind"


def _network(code: str | None) -> bool | None:
    if code is None:
        return None
    normalised = code.strip().upper()
    if normalised in FRAUD_NETWORK_CODES:
        return True
    if normalised in SERVICE_NETWORK_CODES or normalised.startswith(SERVICE_NETWORK_PREFIXES):
        return False
    return None


def classify(event: DisputeEvent) -> Classification:
    """The label a notice becomes.

    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> classify(DisputeEvent(event_id="evt_1", kind="chargeback", object_id="dp_1",
    ...     reason="product_not_received", occurred_at=at)).category
    'service_dispute'
    >>> classify(DisputeEvent(event_id="evt_2", kind="chargeback", object_id="dp_2",
    ...     reason="general", network_reason_code="10.4", occurred_at=at)).is_fraud
    True
    """
    source = _SOURCES[event.kind]
    if event.kind == "early_fraud_warning":
        return Classification("fraud", True, source, "kind")
    if event.kind == "refund":
        fraud = event.reason == "fraudulent"
        return Classification(
            "fraud" if fraud else "refund", fraud, source, f"reason:{event.reason}"
        )
    by_network = _network(event.network_reason_code)
    if by_network is not None:
        category: LabelCategory = "fraud" if by_network else "service_dispute"
        return Classification(category, by_network, source, f"network:{event.network_reason_code}")
    fraud = event.reason in FRAUD_REASONS
    category = "fraud" if fraud else "service_dispute"
    return Classification(category, fraud, source, f"reason:{event.reason}")
