"""Mask card data and secret keys in every log record, from every logger.

The masking happens where records are *made* (a log-record factory), not in one
handler's filter: handlers that a framework installs later (Faust, uvicorn) would
otherwise escape it.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from contracts.pci import mask_card_data

__all__ = ["install_log_masking", "mask_record"]

_installed = False


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Merge the record's arguments into its message and mask both it and its traceback."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string must not lose the record
        message = f"{record.msg!s} {record.args!r}"
    record.msg = mask_card_data(message)
    record.args = ()  # empty, not None: some formatters (mode) wrap None into (None,)
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = mask_card_data(text)
        record.exc_info = None
    if record.stack_info:
        record.stack_info = mask_card_data(record.stack_info)
    return record


def install_log_masking() -> None:
    """Wrap the process's log-record factory so every record is masked once. Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
