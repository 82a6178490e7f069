"""Build the audited list manager the CLI and the HTTP app share.

Additions may only target lists something reads: the lists the live policy consults
(followed as the policy file is hot-reloaded) and the review queue's block/allow lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from redis.asyncio import Redis

from audit import AuditLog
from contracts import Clock, Settings
from db import Database
from review_queue import ListEntity, ListKind, list_name
from rules import PolicyHolder, RedisListStore, default_policy_path
from rules.lists_admin import ListManager
from scoring import policy_symbols
from scoring.build import registry_for

__all__ = ["live_policy", "list_manager", "review_list_names"]


def review_list_names() -> frozenset[str]:
    """``block_card``, ``allow_card``, … : the lists analysts fill from a case."""
    return frozenset(
        list_name(kind, entity) for kind in get_args(ListKind) for entity in get_args(ListEntity)
    )


def live_policy(settings: Settings) -> PolicyHolder:
    """The live policy file (``RISKSTREAM_RULES_PATH`` or the starter pack), followed."""
    path = settings.rules_path or default_policy_path()
    return PolicyHolder(path, policy_symbols(registry_for(settings)))


def _known(policy: PolicyHolder | None) -> Callable[[], frozenset[str]]:
    review = review_list_names()

    def names() -> frozenset[str]:
        if policy is None:
            return review
        policy.refresh()
        consulted = policy.current.ruleset.required_lists()
        return review | {lookup.list_name for lookup in consulted}

    return names


def list_manager(
    settings: Settings,
    client: Redis,
    clock: Clock,
    *,
    database: Database,
    audit: AuditLog,
    policy: PolicyHolder | None,
    any_list: bool = False,
) -> ListManager:
    """A :class:`ListManager` on ``client``; ``any_list`` lifts the known-lists check."""
    return ListManager(
        RedisListStore(client, namespace=settings.redis_namespace),
        database,
        audit,
        clock,
        known_lists=None if any_list else _known(policy),
    )
