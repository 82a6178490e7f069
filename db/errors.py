"""The db package's error tree."""

from __future__ import annotations

__all__ = ["DatabaseError", "MigrationError", "UnsupportedDatabase"]


class DatabaseError(Exception):
    """Root of every error raised by :mod:`db`."""


class UnsupportedDatabase(DatabaseError):
    """The database URL names a backend riskstream does not support."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(
            f"unsupported database backend {backend!r}: use sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host:5432/dbname"
        )


class MigrationError(DatabaseError):
    """Running the migrations failed; the message names the revision and the cause."""
