"""Database-backed fixtures (SQLite and PostgreSQL) for the disputes tests."""

from tests.review_support import (  # noqa: F401 - fixtures
    audit_log,
    clock,
    database,
    db_url,
    review_settings,
)
