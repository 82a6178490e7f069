"""Every generated event passes the boundary exactly as the payment pipeline's would."""

from __future__ import annotations

import re

import orjson

from contracts import BoundaryPolicy, EventDecoder, Settings, TransactionEvent
from contracts.pci import contains_pan, scan_document
from contracts.policy import DEFAULT_ID_PATTERNS
from simulator import SimulatedTransaction, SimulationConfig, Simulator

FINGERPRINT = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
DEVICE = re.compile(r"^dev_[A-Za-z0-9]{20}$")


def _policy() -> BoundaryPolicy:
    settings = Settings()
    return BoundaryPolicy.build(allowed_currencies=settings.allowed_currencies)


def test_every_event_of_the_default_month_passes_schema_pci_and_policy(
    month: list[SimulatedTransaction],
) -> None:
    policy = _policy()
    decoder = EventDecoder(policy)
    assert len(month) > 30_000
    for transaction in month:
        raw = transaction.event.model_dump_json()
        # The decoder runs the PCI scan, the schema and the policy, as the worker does.
        assert decoder.decode(raw) == transaction.event
        assert policy.check(transaction.event) == ()


def test_ids_follow_the_processor_patterns(month: list[SimulatedTransaction]) -> None:
    patterns = {name: re.compile(p) for name, p in DEFAULT_ID_PATTERNS.items()}
    for transaction in month[:5_000]:
        event = transaction.event
        for name, pattern in patterns.items():
            value = getattr(event, name)
            assert value is None or pattern.fullmatch(value), name
        assert FINGERPRINT.fullmatch(event.card.fingerprint)
        assert event.device_id is None or DEVICE.fullmatch(event.device_id)
        assert len(event.card.bin) == 6
        assert len(event.card.last4) == 4


def test_no_string_anywhere_looks_like_a_card_number(month: list[SimulatedTransaction]) -> None:
    for transaction in month:
        document = orjson.loads(transaction.event.model_dump_json())
        assert scan_document(document) == []
    assert not any(contains_pan(t.event.transaction_id) for t in month)


def test_a_larger_world_also_validates() -> None:
    """Another seed and a bigger population, streamed past the configured period."""
    config = SimulationConfig(seed=123, days=2, n_customers=6_000, n_merchants=900)
    policy = _policy()
    stream = Simulator(config).stream()
    for _, transaction in zip(range(25_000), stream, strict=False):
        TransactionEvent.model_validate_json(transaction.event.model_dump_json())
        assert policy.check(transaction.event) == ()
