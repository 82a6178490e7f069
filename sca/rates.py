"""Measured fraud rates for the TRA exemption, and the file that carries them to workers.

The monitoring workers measure the rates from decisions and labels (rolling 90 days,
by value) and write them atomically to ``<data_dir>/monitoring/fraud_rates.json``;
scorers read the file through :class:`RatesFile`, which re-reads it at most every
``poll_interval_s`` and keeps the last good copy when it is missing or broken.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sca.errors import RatesFileError

__all__ = ["FraudRates", "RatesFile", "rates_path"]

log = logging.getLogger(__name__)

RATES_FILE = "fraud_rates.json"


def rates_path(data_dir: Path) -> Path:
    return data_dir / "monitoring" / RATES_FILE


@dataclass(frozen=True, slots=True)
class FraudRates:
    """Fraudulent remote-payment value over all remote-payment value, in basis points."""

    acquirer_bps: float | None
    merchant_bps: Mapping[str, float] = field(default_factory=dict)
    window_days: int = 90
    remote_value_eur_minor: int = 0
    fraud_value_eur_minor: int = 0
    computed_at: str = ""  # ISO 8601 UTC

    def to_json(self) -> str:
        return json.dumps(
            {
                "acquirer_bps": self.acquirer_bps,
                "merchant_bps": dict(self.merchant_bps),
                "window_days": self.window_days,
                "remote_value_eur_minor": self.remote_value_eur_minor,
                "fraud_value_eur_minor": self.fraud_value_eur_minor,
                "computed_at": self.computed_at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, where: str = "fraud rates") -> FraudRates:
        try:
            raw: dict[str, Any] = json.loads(text)
            acquirer = raw["acquirer_bps"]
            return cls(
                acquirer_bps=None if acquirer is None else float(acquirer),
                merchant_bps={str(k): float(v) for k, v in raw.get("merchant_bps", {}).items()},
                window_days=int(raw.get("window_days", 90)),
                remote_value_eur_minor=int(raw.get("remote_value_eur_minor", 0)),
                fraud_value_eur_minor=int(raw.get("fraud_value_eur_minor", 0)),
                computed_at=str(raw.get("computed_at", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RatesFileError(where, f"not a fraud-rates document ({exc})") from None

    def write(self, path: Path) -> None:
        """Replace ``path`` atomically (readers never see half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rates-", dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.to_json())
        os.replace(tmp, path)


class RatesFile:
    """Reads :class:`FraudRates` from a file, at most once per ``poll_interval_s``."""

    def __init__(self, path: Path, *, poll_interval_s: float = 30.0) -> None:
        self.path = path
        self.poll_interval_s = poll_interval_s
        self._last_poll = float("-inf")
        self._stamp: tuple[int, int] | None = None
        self.current: FraudRates | None = None

    def get(self) -> FraudRates | None:
        now = time.monotonic()
        if now - self._last_poll < self.poll_interval_s:
            return self.current
        self._last_poll = now
        try:
            stat = self.path.stat()
        except OSError:
            return self.current
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return self.current
        try:
            self.current = FraudRates.from_json(self.path.read_text(), str(self.path))
            self._stamp = stamp
        except (OSError, RatesFileError) as exc:
            log.error("keeping the previous fraud rates: %s", exc)
        return self.current
