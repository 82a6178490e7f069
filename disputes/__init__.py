"""Chargebacks close the loop: dispute notices in, labels out.

Chargebacks, early fraud warnings and refunds arrive through the processor's signed
webhook (:mod:`disputes.webhook`, Stripe's ``Stripe-Signature`` scheme) and on the
``chargebacks`` topic (:mod:`disputes.consumer`). Each is matched to its decision by
transaction id (:mod:`disputes.service`), stored (unmatched ones too, matched again
later), and, once matched, emitted as a :class:`contracts.LabelEvent` whose category
follows the reason code (:mod:`disputes.reasons`: only fraud codes are fraud). Every
label on the ``labels`` topic is also kept in a queryable store for dashboards.
"""

from disputes.consumer import ChargebackIngestor, LabelIngestor, decode_dispute, decode_label
from disputes.errors import (
    DisputeError,
    EventConflict,
    InvalidDispute,
    ReplayedDelivery,
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfTolerance,
    WebhookNotConfigured,
    WebhookRefused,
)
from disputes.labels import record_labels
from disputes.models import DisputeRecord, LabelRecord, WebhookDelivery
from disputes.observer import DisputeObserver, NullObserver
from disputes.reasons import FRAUD_NETWORK_CODES, FRAUD_REASONS, Classification, classify
from disputes.service import DisputeService, RecordResult, UnmatchedDispute, label_id_for
from disputes.signature import (
    SIGNATURE_HEADER,
    VerifiedDelivery,
    compute_signature,
    parse_signature_header,
    signature_header,
    verify_signature,
)
from disputes.stripe_events import HANDLED_TYPES, from_stripe_event
from disputes.webhook import WEBHOOK_PATH, create_webhook_router, install_disputes
from disputes.workers import run_dispute_workers, run_rematcher

__all__ = [
    "FRAUD_NETWORK_CODES",
    "FRAUD_REASONS",
    "HANDLED_TYPES",
    "SIGNATURE_HEADER",
    "WEBHOOK_PATH",
    "ChargebackIngestor",
    "Classification",
    "DisputeError",
    "DisputeObserver",
    "DisputeRecord",
    "DisputeService",
    "EventConflict",
    "InvalidDispute",
    "LabelIngestor",
    "LabelRecord",
    "NullObserver",
    "RecordResult",
    "ReplayedDelivery",
    "SignatureMismatch",
    "SignatureMissing",
    "TimestampOutOfTolerance",
    "UnmatchedDispute",
    "VerifiedDelivery",
    "WebhookDelivery",
    "WebhookNotConfigured",
    "WebhookRefused",
    "classify",
    "compute_signature",
    "create_webhook_router",
    "decode_dispute",
    "decode_label",
    "from_stripe_event",
    "install_disputes",
    "label_id_for",
    "parse_signature_header",
    "record_labels",
    "run_dispute_workers",
    "run_rematcher",
    "signature_header",
    "verify_signature",
]
