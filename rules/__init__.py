"""Rules: the analysts' language, the decision policy, managed lists and hot reload.

Heavier parts are imported on their own so the worker does not load them:
``rules.backtest`` (replay labelled history through a policy), ``rules.lists_admin``
(audited list changes) and ``rules.lists_api`` (the ``/v1/lists`` routes).
"""

from rules.errors import (
    BacktestError,
    ListEntryNotFound,
    ListNameError,
    ListUnavailable,
    RulesError,
)
from rules.holder import PolicyHolder, default_policy_path
from rules.lang import RuleError, RuleSet, RuleSetError, check_ruleset, load_ruleset
from rules.lists_store import ListEntry, RedisListStore
from rules.policy import IDENTIFIER_SYMBOLS, Outcome, Policy, symbol_table, to_column_batch

__all__ = [
    "IDENTIFIER_SYMBOLS",
    "BacktestError",
    "ListEntry",
    "ListEntryNotFound",
    "ListNameError",
    "ListUnavailable",
    "Outcome",
    "Policy",
    "PolicyHolder",
    "RedisListStore",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "RulesError",
    "check_ruleset",
    "default_policy_path",
    "load_ruleset",
    "symbol_table",
    "to_column_batch",
]
