"""Statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["insert_ignore"]


def insert_ignore(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_columns: Sequence[str],
    returning: Column[Any],
) -> list[Any]:
    """Insert ``rows``, skipping those that collide on ``conflict_columns``.

    Returns the ``returning`` value of each row actually inserted, so callers know
    which rows are new (``INSERT … ON CONFLICT DO NOTHING RETURNING``, on both backends).
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
        result = session.execute(pg.returning(returning), list(rows))
    else:
        lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
        result = session.execute(lite.returning(returning), list(rows))
    return list(result.scalars().all())
