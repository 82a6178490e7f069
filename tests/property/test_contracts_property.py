"""Property tests of the boundary: no card number ever gets through; events round-trip."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contracts import BoundaryPolicy, EventDecoder, InvalidEvent, TransactionEvent
from contracts.currency import ISO_4217_EXPONENTS
from contracts.geo import ISO_3166_ALPHA2
from contracts.pci import contains_pan, is_forbidden_field_name, luhn_valid
from contracts.settings import DEFAULT_CURRENCIES
from tests.factories import event_dict

DECODER = EventDecoder(BoundaryPolicy.build(allowed_currencies=DEFAULT_CURRENCIES))
ALNUM = string.ascii_letters + string.digits

# Every string-valued path of a valid event, nested ones included.
STRING_PATHS = [
    ("transaction_id",),
    ("merchant_id",),
    ("customer_id",),
    ("payment_method",),
    ("card", "bin"),
    ("card", "last4"),
    ("card", "fingerprint"),
    ("card", "country"),
    ("currency",),
    ("ip",),
    ("email_hash",),
    ("billing_postal_hash",),
    ("device_id",),
    ("avs_result",),
    ("event_time",),
    ("metadata", "order"),
]


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid 13-19 digit number, plain or grouped by spaces or dashes."""
    length = draw(st.integers(13, 19))
    body = draw(st.text("0123456789", min_size=length - 1, max_size=length - 1))
    number = next(body + c for c in "0123456789" if luhn_valid(body + c))
    separator = draw(st.sampled_from(["", " ", "-"]))
    if separator:
        number = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _get(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    target: Any = document
    for part in path:
        target = target[part]
    return target


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(STRING_PATHS),
    pan=card_numbers(),
    where=st.floats(0, 1),
    noise=st.text(max_size=20),
)
def test_every_luhn_valid_number_anywhere_is_rejected(
    path: tuple[str, ...], pan: str, where: float, noise: str
) -> None:
    document = event_dict()
    original = str(_get(document, path)) + noise
    cut = int(len(original) * where)
    _set(document, path, original[:cut] + pan + original[cut:])
    try:
        DECODER.decode(orjson.dumps(document))
    except InvalidEvent as exc:
        assert exc.reason == "pci_violation"
        digits = pan.replace(" ", "").replace("-", "")
        assert digits not in str(exc)
        assert all(digits not in e.message and digits not in e.loc for e in exc.errors)
    else:
        raise AssertionError(f"a card number in {'.'.join(path)} was accepted")


@settings(max_examples=200)
@given(key=st.text(ALNUM + "_", min_size=1, max_size=30), pan=card_numbers())
def test_card_numbers_in_unknown_fields_are_pci_violations(key: str, pan: str) -> None:
    document = event_dict()
    assume(key not in document)
    document[key] = pan
    try:
        DECODER.decode(orjson.dumps(document))
    except InvalidEvent as exc:
        assert exc.reason == "pci_violation"
    else:
        raise AssertionError("accepted")


def _token(prefix: str) -> st.SearchStrategy[str]:
    return st.text(ALNUM, min_size=8, max_size=24).map(lambda s: prefix + s)


def _digest() -> st.SearchStrategy[str]:
    return st.text(ALNUM + "_-", min_size=43, max_size=43)


countries = st.sampled_from(sorted(ISO_3166_ALPHA2))
currencies = st.sampled_from(sorted(DEFAULT_CURRENCIES & set(ISO_4217_EXPONENTS)))

events = st.builds(
    TransactionEvent,
    transaction_id=_token("pi_"),
    merchant_id=_token("acct_"),
    customer_id=st.none() | _token("cus_"),
    payment_method=_token("pm_"),
    kind=st.just("purchase"),
    card=st.fixed_dictionaries(
        {
            "bin": st.text("0123456789", min_size=6, max_size=8),
            "last4": st.text("0123456789", min_size=4, max_size=4),
            "brand": st.sampled_from(["visa", "mastercard", "amex"]),
            "funding": st.sampled_from(["credit", "debit", "prepaid", "unknown"]),
            "country": countries,
            "fingerprint": st.text(ALNUM, min_size=8, max_size=32),
        }
    ),
    amount=st.integers(1, 100_000),  # within the default maximum in every currency
    currency=currencies,
    billing_country=st.none() | countries,
    shipping_country=st.none() | countries,
    billing_postal_hash=st.none() | _digest(),
    ip=st.none() | st.ip_addresses().map(str),
    ip_country=st.none() | countries,
    email_hash=st.none() | _digest(),
    device_id=st.none() | st.text(ALNUM + "_-:.", min_size=1, max_size=40),
    avs_result=st.sampled_from(["match", "postal_only", "no_match", "unavailable"]),
    cvv_result=st.sampled_from(["M", "N", "P", "S", "U", "X"]),
    three_ds=st.sampled_from(["authenticated", "attempted", "failed", "not_requested"]),
    channel=st.sampled_from(["ecommerce", "moto", "in_store", "recurring"]),
    # hypothesis takes naive bounds and attaches the timezone itself
    event_time=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    metadata=st.dictionaries(
        st.text(ALNUM + "_-.", min_size=1, max_size=40), st.text(max_size=60), max_size=5
    ),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(event=events)
def test_valid_events_round_trip_through_json(event: TransactionEvent) -> None:
    raw = event.model_dump_json()
    assume(not contains_pan(raw))  # random digits may spell a card number; never accepted
    assume(not any(is_forbidden_field_name(k) for k in event.metadata))  # e.g. "cvv"
    again = TransactionEvent.model_validate_json(raw)
    assert again == event
    assert again.model_dump_json() == raw
    assert DECODER.validate(orjson.loads(raw)) == event
