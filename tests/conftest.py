"""Shared fixtures. Integration tests run against the real embedded stack (no mocks)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import Settings, load_settings
from riskstream.stack import EmbeddedStack


@pytest.fixture(scope="session")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def stack(stack_dir: Path) -> Iterator[EmbeddedStack]:
    """One embedded broker + Valkey for the whole test session (same code as `riskstream up`)."""
    settings = load_settings(data_dir=stack_dir, environment="test")
    embedded = EmbeddedStack(settings, write_state=False)
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> Iterator[object]:
    """Factory for test settings: isolated data dir, optional overrides."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {"data_dir": tmp_path / "data", "environment": "test"}
        values.update(overrides)
        return load_settings(**values)

    yield factory


@pytest.fixture
def stack_settings(stack: EmbeddedStack, tmp_path: Path) -> Settings:
    """Settings on the shared stack with a unique topic prefix, so tests never share topics.

    Redis is shared too; tests use unique ids (see tests/factories.py) or flush it.
    """
    prefix = f"t{uuid.uuid4().hex[:8]}."
    return load_settings(
        data_dir=tmp_path / "data",
        environment="test",
        kafka_bootstrap=stack.kafka_bootstrap,
        redis_url=stack.redis_url,
        topic_prefix=prefix,
        broker_session_timeout_s=6,
    )
