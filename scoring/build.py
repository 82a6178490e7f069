"""Build a :class:`ScoringEngine` from the settings (the edge calls this once)."""

from __future__ import annotations

from redis.asyncio import Redis

from contracts import Clock, Settings
from features import (
    FeatureRegistry,
    RatesTable,
    RedisFeatureStore,
    default_registry,
    first_path_registry,
)
from models import LocalModelStore, ModelHolder
from rules import PolicyHolder, RedisListStore, default_policy_path
from sca import ScaAdvisor
from scoring.cache import DecisionCache
from scoring.engine import ScoringEngine, policy_symbols

__all__ = ["build_engine", "redis_client", "registry_for"]


def registry_for(settings: Settings) -> FeatureRegistry:
    return first_path_registry() if settings.feature_set == "first_path" else default_registry()


def redis_client(settings: Settings) -> Redis:
    if settings.redis_url is None:
        raise ValueError("settings.redis_url is not set; resolve the services first")
    return Redis.from_url(str(settings.redis_url), socket_timeout=10, socket_connect_timeout=5)


def build_engine(settings: Settings, clock: Clock, client: Redis | None = None) -> ScoringEngine:
    """The scoring core wired to Redis, the model store and the policy file.

    Without ``client`` the engine opens its own; close it with ``engine.aclose()``.
    """
    owned = None if client is not None else redis_client(settings)
    client = client if client is not None else owned
    if client is None:  # pragma: no cover - one of the two is set
        raise ValueError("no Redis client")
    registry = registry_for(settings)
    namespace = settings.redis_namespace
    features = RedisFeatureStore(
        client,
        registry,
        RatesTable.from_mapping(base=settings.base_currency),
        namespace=namespace,
    )
    models = ModelHolder(LocalModelStore(settings.data_dir / "models"), registry.names)
    policy = PolicyHolder(settings.rules_path or default_policy_path(), policy_symbols(registry))
    return ScoringEngine(
        features=features,
        policy=policy,
        models=models,
        lists=RedisListStore(client, namespace=namespace),
        decisions=DecisionCache(client, ttl_s=settings.decision_ttl_s, namespace=namespace),
        clock=clock,
        owned=owned,
        # SCA advice only where the deployment names its acquirer's country
        sca=ScaAdvisor.from_settings(settings) if settings.sca_acquirer_country else None,
    )
