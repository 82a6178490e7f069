"""The disputes package's error tree: what a webhook caller or a stream message got wrong.

``DisputeError`` is the root. Each error has the HTTP status and a stable ``code`` the
webhook answers with, and a message that says what to do; none echoes the payload.
"""

from __future__ import annotations

__all__ = [
    "DisputeError",
    "EventConflict",
    "InvalidDispute",
    "ReplayedDelivery",
    "SignatureMismatch",
    "SignatureMissing",
    "TimestampOutOfTolerance",
    "WebhookNotConfigured",
    "WebhookRefused",
]


class DisputeError(Exception):
    """Root of every error raised by :mod:`disputes`."""

    status_code = 400
    code = "dispute_error"


class WebhookRefused(DisputeError):
    """The delivery does not prove it came from the processor (signature checks)."""

    code = "signature_invalid"


class SignatureMissing(WebhookRefused):
    code = "signature_missing"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "the Stripe-Signature header is missing or unreadable"
            + (f" ({detail})" if detail else "")
            + "; expected 't=<unix seconds>,v1=<hex HMAC-SHA256>'"
        )


class SignatureMismatch(WebhookRefused):
    code = "signature_mismatch"

    def __init__(self) -> None:
        super().__init__(
            "no v1 signature matches the body: sign '<t>.<raw body>' with the endpoint's "
            "secret (whsec_…) and send the body unchanged"
        )


class TimestampOutOfTolerance(WebhookRefused):
    code = "timestamp_out_of_tolerance"

    def __init__(self, skew_s: int, tolerance_s: int) -> None:
        self.skew_s = skew_s
        self.tolerance_s = tolerance_s
        when = "old" if skew_s > 0 else "in the future"
        super().__init__(
            f"the signature timestamp is {abs(skew_s)} s {when}; deliveries are accepted "
            f"within {tolerance_s} s (check the sender's clock, or let the processor retry)"
        )


class ReplayedDelivery(DisputeError):
    """The exact signed delivery (same timestamp and signature) arrived before."""

    status_code = 409
    code = "replayed_delivery"

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(
            f"this signed delivery of {event_id} was already received; a processor retry "
            "carries a fresh timestamp and signature"
        )


class EventConflict(DisputeError):
    """An event id arrived again with a different body."""

    status_code = 409
    code = "event_id_conflict"

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} was already received with a different body")


class InvalidDispute(DisputeError):
    """The body is not a dispute, early fraud warning or refund event we can read."""

    status_code = 400
    code = "invalid_event"

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")


class WebhookNotConfigured(DisputeError):
    status_code = 503
    code = "webhook_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "the webhook secret is not configured: set RISKSTREAM_WEBHOOK_SECRET to the "
            "endpoint's signing secret (whsec_…)"
        )
