"""Boundary validation: schema, deployment policy and the PCI guard, in that order."""

from __future__ import annotations

import secrets

import orjson
import pytest

from contracts import BoundaryPolicy, EventDecoder, InvalidEvent, MerchantLimits, TransactionEvent
from contracts.settings import DEFAULT_CURRENCIES
from tests.factories import event_dict, luhn_complete


@pytest.fixture
def decoder() -> EventDecoder:
    return EventDecoder(
        BoundaryPolicy.build(
            allowed_currencies=DEFAULT_CURRENCIES,
            merchants={
                "acct_EuroOnly1": MerchantLimits(currencies=frozenset({"EUR"})),
                "acct_SmallShop": MerchantLimits(max_amounts={"USD": 10_000}),
            },
        )
    )


def _reject(decoder: EventDecoder, document: object) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as info:
        decoder.decode(orjson.dumps(document))
    return info.value


def test_valid_event_decodes(decoder: EventDecoder) -> None:
    event = decoder.decode(orjson.dumps(event_dict()))
    assert isinstance(event, TransactionEvent)
    assert event.event_time.tzinfo is not None


def test_unknown_field_is_rejected(decoder: EventDecoder) -> None:
    error = _reject(decoder, event_dict(surprise="x"))
    assert error.reason == "schema"
    assert [(e.loc, e.code) for e in error.errors] == [("surprise", "extra_forbidden")]


@pytest.mark.parametrize("amount", [50.0, "5000", -1, True])
def test_amount_must_be_integer_minor_units(decoder: EventDecoder, amount: object) -> None:
    error = _reject(decoder, event_dict(amount=amount))
    assert error.errors[0].loc == "amount"


def test_zero_amount_only_for_card_checks(decoder: EventDecoder) -> None:
    error = _reject(decoder, event_dict(amount=0))
    assert error.errors[0].loc == "amount"
    decoder.decode(orjson.dumps(event_dict(amount=0, kind="card_check")))


@pytest.mark.parametrize(
    "field, value",
    [
        ("transaction_id", "pi_abc'; DROP TABLE x;--"),
        ("transaction_id", "pi_" + "a" * 300),
        ("customer_id", "cus_<script>"),
        ("currency", "usd"),
        ("currency", "XYZ"),
        ("billing_country", "XX"),
    ],
)
def test_bad_fields_name_the_field(decoder: EventDecoder, field: str, value: str) -> None:
    error = _reject(decoder, event_dict(**{field: value}))
    assert error.errors[0].loc == field


def test_id_patterns_are_policy(decoder: EventDecoder) -> None:
    error = _reject(decoder, event_dict(transaction_id="txn_12345678"))
    assert (error.reason, error.errors[0].code) == ("policy", "id_pattern_mismatch")


def test_currency_allow_list_and_merchant_currencies(decoder: EventDecoder) -> None:
    error = _reject(decoder, event_dict(currency="THB"))
    assert error.errors[0].code == "currency_not_allowed"
    error = _reject(decoder, event_dict(merchant_id="acct_EuroOnly1", currency="USD"))
    assert error.errors[0].code == "currency_not_enabled_for_merchant"


def test_merchant_maximum(decoder: EventDecoder) -> None:
    error = _reject(decoder, event_dict(merchant_id="acct_SmallShop", amount=10_001))
    assert error.errors[0].code == "amount_above_merchant_maximum"
    decoder.decode(orjson.dumps(event_dict(merchant_id="acct_SmallShop", amount=10_000)))


def test_pan_anywhere_is_a_pci_violation_without_the_value(decoder: EventDecoder) -> None:
    pan = luhn_complete("4", 16)
    error = _reject(decoder, event_dict(metadata={"note": f"pan {pan}"}))
    assert error.reason == "pci_violation"
    assert error.errors[0].loc == "metadata.note"
    assert pan not in str(error)
    assert error.transaction_id is not None


def test_pan_in_an_unknown_field_is_pci_not_schema(decoder: EventDecoder) -> None:
    pan = luhn_complete("5", 16)
    error = _reject(decoder, event_dict(cardNumber=pan))
    assert error.reason == "pci_violation"
    assert {e.code for e in error.errors} == {"forbidden_field", "card_number"}


def test_pan_in_broken_json_is_still_pci(decoder: EventDecoder) -> None:
    pan = luhn_complete("4", 16)
    with pytest.raises(InvalidEvent) as info:
        decoder.decode(b'{"transaction_id": "pi_x", "note": "' + pan.encode() + b'"')
    assert info.value.reason == "pci_violation"
    assert pan not in str(info.value)


def test_not_json(decoder: EventDecoder) -> None:
    with pytest.raises(InvalidEvent) as info:
        decoder.decode(b"\xff\xfe not json")
    assert info.value.reason == "invalid_json"


def _secret_key(prefix: str = "sk_live_") -> str:
    return prefix + secrets.token_hex(12)


@pytest.mark.parametrize("prefix", ["sk_live_", "sk_test_", "rk_live_", "whsec_"])
def test_a_secret_key_anywhere_is_refused_without_the_value(
    decoder: EventDecoder, prefix: str
) -> None:
    key = _secret_key(prefix)
    for document in (
        event_dict(metadata={"note": f"key {key}"}),
        event_dict(device_id=key),
        event_dict(transaction_id=key),
    ):
        error = _reject(decoder, document)
        assert error.reason == "pci_violation"
        assert [e.code for e in error.errors] == ["secret_key"]
        assert key not in str(error) and key[-8:] not in str(error)
        assert error.transaction_id is None or key not in error.transaction_id
    with pytest.raises(InvalidEvent) as info:
        decoder.decode(b'{"transaction_id": "pi_x", "note": "' + key.encode() + b'"')
    assert [e.code for e in info.value.errors] == ["secret_key"]


def test_a_publishable_key_is_not_a_secret(decoder: EventDecoder) -> None:
    event = decoder.decode(orjson.dumps(event_dict(metadata={"widget": "pk_live_" + "a1" * 12})))
    assert event.metadata["widget"].startswith("pk_live_")
