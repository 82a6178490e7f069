"""The riskstream database: one declarative base, one engine factory, one migration history.

SQLite is the default (a file in ``data_dir``); PostgreSQL runs production. Packages
that own tables declare them on :class:`Base` and add migrations to the history kept
in ``db/migrations``; :func:`upgrade` applies it.
"""

from db.base import NAMING_CONVENTION, Base, BigId, UTCDateTime
from db.dialect import insert_ignore
from db.engine import Database, create_engine, normalise_url
from db.errors import DatabaseError, MigrationError, UnsupportedDatabase, is_unavailable
from db.migrate import current_revision, downgrade, head_revision, upgrade

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "BigId",
    "Database",
    "DatabaseError",
    "MigrationError",
    "UTCDateTime",
    "UnsupportedDatabase",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "insert_ignore",
    "is_unavailable",
    "normalise_url",
    "upgrade",
]
