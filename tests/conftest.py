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

    Redis is shared too: each test gets its own key namespace.
    """
    unique = uuid.uuid4().hex[:8]
    return load_settings(
        data_dir=tmp_path / "data",
        environment="test",
        kafka_bootstrap=stack.kafka_bootstrap,
        redis_url=stack.redis_url,
        topic_prefix=f"t{unique}.",
        redis_namespace=f"t{unique}",
        worker_group=f"worker-{unique}",
        broker_session_timeout_s=6,
    )


@pytest.fixture(scope="session")
def model_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose model store has a trained champion (small simulated world)."""
    from datetime import timedelta

    from features import RatesTable, default_registry
    from models import LocalModelStore
    from simulator import SimulationConfig
    from training.simulated import train_on_simulation

    home = tmp_path_factory.mktemp("model-home")
    store = LocalModelStore(home / "models")
    run = train_on_simulation(
        SimulationConfig(seed=5, days=30, n_customers=700, n_merchants=80),
        default_registry(),
        RatesTable.from_mapping(),
        store,
        maturity=timedelta(days=7),
    )
    store.promote(run.fitted.meta.version)
    return home
