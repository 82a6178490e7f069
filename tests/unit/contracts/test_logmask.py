"""Every log record is masked where it is made, whatever handler prints it."""

from __future__ import annotations

import logging

import pytest

from contracts.logmask import install_log_masking
from tests.factories import luhn_complete


def test_records_from_any_logger_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_log_masking()
    pan = luhn_complete("4", 16)
    with caplog.at_level(logging.INFO):
        logging.getLogger("third.party").info("card %s key %s", pan, "sk_live_" + "b" * 20)
        try:
            raise ValueError(f"bad card {pan}")
        except ValueError:
            logging.getLogger("x").exception("failed")
    text = caplog.text
    assert pan not in text
    assert "****" + pan[-4:] in text
    assert "b" * 20 not in text
