"""The rules package's error tree (the language has its own: :class:`rules.lang.RuleError`).

``RulesError`` is the root of the errors raised outside the language itself: managed
lists, backtests. Each carries the fields a caller needs and says what to do.
"""

from __future__ import annotations

__all__ = [
    "BacktestError",
    "ListEntryNotFound",
    "ListNameError",
    "ListUnavailable",
    "RulesError",
]


class RulesError(Exception):
    """Root of the rules package's own errors (lists, backtests)."""


class ListNameError(RulesError, ValueError):
    """A list name, value or change is not acceptable; the message says which and why."""


class ListEntryNotFound(RulesError, LookupError):
    """The value is not on the list."""

    def __init__(self, list_name: str, value: str) -> None:
        self.list_name = list_name
        self.value = value
        super().__init__(f"{value!r} is not on list {list_name!r}")


class ListUnavailable(RulesError):
    """The list store (Redis) or the audit log could not be reached; nothing changed."""


class BacktestError(RulesError):
    """A backtest cannot run on the data it was given; the message says what is missing."""
