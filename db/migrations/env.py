"""Alembic environment for riskstream's one migration history.

Run through :func:`db.upgrade` (no ``alembic.ini`` needed). The connection or URL
comes from the Alembic config that :mod:`db.migrate` builds.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from db.engine import create_engine


def _configure_and_run(connection: Connection) -> None:
    target: Any = context.config.attributes.get("target_metadata")
    context.configure(
        connection=connection,
        target_metadata=target,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("db.migrate sets sqlalchemy.url; run migrations through db.upgrade()")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
