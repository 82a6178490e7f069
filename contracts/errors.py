"""The contracts package's error tree.

``ContractError`` is the root. Every error carries the fields a caller needs to act
(which field, which code) and a message that says what to do; none carries the value
that arrived, because that value may be card data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ContractError",
    "FieldError",
    "InvalidEvent",
    "RejectionReason",
    "SettingsError",
]

# pci_violation: card data in the payload; invalid_json: not a JSON object;
# schema: fails the event schema; policy: fails this deployment's boundary policy.
RejectionReason = Literal["pci_violation", "invalid_json", "schema", "policy"]


class ContractError(Exception):
    """Root of every error raised by :mod:`contracts`."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field. ``loc`` is a dotted path such as ``card.bin``."""

    loc: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "code": self.code, "message": self.message}


class InvalidEvent(ContractError):
    """An event was refused at the boundary. Never carries the offending value."""

    def __init__(
        self,
        reason: RejectionReason,
        errors: tuple[FieldError, ...],
        *,
        transaction_id: str | None = None,
    ) -> None:
        self.reason: RejectionReason = reason
        self.errors = errors
        self.transaction_id = transaction_id
        first = errors[0] if errors else FieldError("$", reason, reason)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{reason}: {first.loc}: {first.message}{more}")


class SettingsError(ContractError):
    """The configuration cannot be used; the message says which setting and why."""
