"""The migration history matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import access.models
import audit.models
import db
import disputes.models
import review_queue.models

MODEL_MODULES = (access.models, audit.models, review_queue.models, disputes.models)


def test_migrations_reach_head_and_match_the_models(db_url: str) -> None:
    assert MODEL_MODULES  # the models are registered on db.Base
    assert db.current_revision(db_url) == db.head_revision()
    engine = db.create_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    db.downgrade(db_url, "base")
    assert db.current_revision(db_url) is None
    db.upgrade(db_url)
    assert db.current_revision(db_url) == db.head_revision()


def test_timestamps_come_back_aware_utc(database: db.Database) -> None:
    table = sa.Table(
        "tz_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", db.UTCDateTime()),
    )  # fmt: skip
    table.create(database.engine)
    cet = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 2, 10, 30, 15, 123456, tzinfo=cet)
    with database.transaction() as session:
        session.execute(sa.insert(table).values(id=1, at=moment))
    with database.transaction() as session:
        stored = session.execute(sa.select(table.c.at)).scalar_one()
    assert stored == moment
    assert stored.tzinfo == UTC


def test_naive_timestamps_are_refused(database: db.Database) -> None:
    table = sa.Table(
        "tz_probe2", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", db.UTCDateTime()),
    )  # fmt: skip
    table.create(database.engine)
    with (
        pytest.raises(sa.exc.StatementError, match="timezone-aware"),
        database.transaction() as session,
    ):
        session.execute(sa.insert(table).values(id=1, at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_insert_ignore_returns_only_new_rows(database: db.Database) -> None:
    table = sa.Table(
        "ignore_probe", sa.MetaData(), sa.Column("k", sa.String(10), primary_key=True),
        sa.Column("v", sa.Integer),
    )  # fmt: skip
    table.create(database.engine)
    with database.transaction() as session:
        first = db.insert_ignore(
            session, table, [{"k": "a", "v": 1}, {"k": "b", "v": 2}],
            conflict_columns=["k"], returning=table.c.k,
        )  # fmt: skip
        second = db.insert_ignore(
            session, table, [{"k": "b", "v": 3}, {"k": "c", "v": 4}],
            conflict_columns=["k"], returning=table.c.k,
        )  # fmt: skip
        assert (
            db.insert_ignore(session, table, [], conflict_columns=["k"], returning=table.c.k) == []
        )
    assert sorted(first) == ["a", "b"]
    assert second == ["c"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = db.Database.from_url(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    try:
        with database.transaction() as session:
            assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert database.dialect == "sqlite"
    finally:
        database.dispose()


def test_urls_are_normalised_and_unknown_backends_refused() -> None:
    assert db.normalise_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert db.normalise_url("sqlite:///x.db").drivername == "sqlite+pysqlite"
    with pytest.raises(db.UnsupportedDatabase, match="mysql"):
        db.normalise_url("mysql://u@h/d")


def test_a_failed_migration_says_which_revision(tmp_path: Path) -> None:
    with pytest.raises(db.MigrationError, match="no_such_revision"):
        db.upgrade(f"sqlite:///{tmp_path / 'y.db'}", "no_such_revision")
