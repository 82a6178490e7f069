"""Database-backed fixtures (SQLite and PostgreSQL) shared by these tests."""

from tests.review_support import (  # noqa: F401 - fixtures
    audit_log,
    clock,
    database,
    db_url,
    directory,
    review_app,
    review_settings,
    service,
)
