"""The PCI guard: card numbers and card-secret field names are found, never echoed."""

from __future__ import annotations

import pytest

from contracts.pci import (
    contains_pan,
    is_forbidden_field_name,
    luhn_valid,
    mask_card_data,
    scan_document,
)
from tests.factories import luhn_complete


def test_luhn_reference_numbers() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize("length", range(13, 20))
def test_every_pan_length_is_found(length: int) -> None:
    pan = luhn_complete("4", length)
    assert contains_pan(pan)
    assert contains_pan(f"order for {pan} thanks")


def test_grouped_with_spaces_or_dashes() -> None:
    pan = luhn_complete("5", 16)
    spaced = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
    dashed = "-".join(pan[i : i + 4] for i in range(0, 16, 4))
    assert contains_pan(spaced)
    assert contains_pan(dashed)


def test_glued_to_other_digits_is_found() -> None:
    pan = luhn_complete("3", 15)
    assert contains_pan("99" + pan + "00")


def test_short_or_non_luhn_numbers_pass() -> None:
    assert not contains_pan("123456789012")  # 12 digits
    not_luhn = luhn_complete("4", 13)
    broken = not_luhn[:-1] + str((int(not_luhn[-1]) + 1) % 10)
    assert not contains_pan(broken)


def test_canonical_uuid_device_ids_are_not_card_numbers() -> None:
    assert not contains_pan("12345678-1234-1234-1234-123456789012")


@pytest.mark.parametrize(
    "name",
    ["card_number", "cardNumber", "PAN", "cvv", "CVC2", "security_code", "exp_month", "expiry",
     "cardExpiryDate", "track2"],
)  # fmt: skip
def test_forbidden_field_names(name: str) -> None:
    assert is_forbidden_field_name(name)


@pytest.mark.parametrize("name", ["cvv_result", "card_bin", "amount", "company", "expected"])
def test_ordinary_field_names(name: str) -> None:
    assert not is_forbidden_field_name(name)


def test_scan_reports_paths_never_values() -> None:
    pan = luhn_complete("4", 16)
    findings = scan_document(
        {"metadata": {"note": f"card {pan}"}, "items": [1, int(pan)], "cvv": "123"}
    )
    assert {(f.path, f.kind) for f in findings} == {
        ("metadata.note", "card_number"),
        ("items[1]", "card_number"),
        ("cvv", "forbidden_field"),
    }
    assert all(pan not in repr(f) for f in findings)


def test_negative_and_float_numbers_are_scanned() -> None:
    pan = luhn_complete("4", 16)
    assert scan_document({"a": -int(pan)})
    assert scan_document({"a": float(pan)})


def test_masking_keeps_last_four_only() -> None:
    pan = luhn_complete("4", 16)
    masked = mask_card_data(f"charge {pan} failed with key sk_live_{'a' * 20}WXYZ")
    assert pan not in masked
    assert f"****{pan[-4:]}" in masked
    assert "sk_live_****WXYZ" in masked
