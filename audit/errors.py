"""The audit package's error tree."""

from __future__ import annotations

__all__ = ["AuditError", "ChainNotInitialised", "InvalidAuditEvent"]


class AuditError(Exception):
    """Root of every error raised by :mod:`audit`."""


class InvalidAuditEvent(AuditError):
    """An audit event was malformed; ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"audit event field {field!r}: {message}")


class ChainNotInitialised(AuditError):
    """The audit chain head row is missing: the database was not migrated."""

    def __init__(self) -> None:
        super().__init__(
            "the audit_chain_head row is missing: run the database migrations "
            "(`riskstream db upgrade`) before writing audit records"
        )
