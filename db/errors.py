"""The db package's error tree."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

__all__ = ["DatabaseError", "MigrationError", "UnsupportedDatabase", "is_unavailable"]


def is_unavailable(exc: BaseException) -> bool:
    """Whether a SQLAlchemy error means "cannot reach the database" rather than a bug.

    Connection refused or dropped, server shut down, pool exhausted: the request can
    succeed later (503). Anything else (a constraint, bad SQL) is a bug (500).
    """
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection became free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


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
