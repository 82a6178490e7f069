"""The list changes' input checks: durations, reasons, card numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rules.errors import ListNameError, RulesError
from rules.lists_admin import check_text, parse_duration
from tests.factories import luhn_complete


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), (" 7d ", timedelta(days=7)),
     ("2w", timedelta(weeks=2)), ("45s", timedelta(seconds=45))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "0d", "7 days", "-1d", "1y", "9999999d"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ListNameError, match="30m, 12h, 7d or 2w"):
        parse_duration(text)


def test_reasons_are_checked_without_echoing_card_numbers() -> None:
    assert check_text("reason", "  confirmed fraud  ") == "confirmed fraud"
    pan = luhn_complete("4", 16)
    with pytest.raises(ListNameError) as caught:
        check_text("reason", f"card {pan}")
    assert pan not in str(caught.value)
    for bad in ("", "   ", "x" * 501, "two\nlines"):
        with pytest.raises(ListNameError):
            check_text("reason", bad)
    assert issubclass(ListNameError, RulesError)
