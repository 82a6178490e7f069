"""Rules: the analysts' language, the decision policy, managed lists and hot reload."""

from rules.holder import PolicyHolder, default_policy_path
from rules.lang import RuleError, RuleSet, RuleSetError, check_ruleset, load_ruleset
from rules.lists_store import ListEntry, ListNameError, RedisListStore
from rules.policy import IDENTIFIER_SYMBOLS, Outcome, Policy, symbol_table, to_column_batch

__all__ = [
    "IDENTIFIER_SYMBOLS",
    "ListEntry",
    "ListNameError",
    "Outcome",
    "Policy",
    "PolicyHolder",
    "RedisListStore",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "check_ruleset",
    "default_policy_path",
    "load_ruleset",
    "symbol_table",
    "to_column_batch",
]
