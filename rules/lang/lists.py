"""Managed block/allow lists: the membership protocol, an in-memory implementation, and the
look-ups a set of rules needs so the caller can prefetch them for a batch.

Evaluation never does I/O. The caller asks :func:`required_lists` which lists (and which
values, see :func:`rules.lang.compiler.list_keys`) a batch needs, fetches that membership
in one round trip, and passes it in as a :class:`ListMembership`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from rules.lang.batch import STRING_DTYPE, BoolArray, StrArray
from rules.lang.checker import CheckedExpr
from rules.lang.errors import RuleDataError
from rules.lang.nodes import Call, Literal, walk
from rules.lang.unparse import unparse

__all__ = [
    "InMemoryLists",
    "ListLookup",
    "ListMembership",
    "lookup_membership",
    "required_lists",
]


@runtime_checkable
class ListMembership(Protocol):
    """Answers "is each of these values on list ``list_name``?" for a whole batch at once."""

    def contains(self, list_name: str, values: StrArray) -> BoolArray:
        """Membership of each value.

        Args:
            list_name: the managed list, as written in ``in_list('list_name', ...)``.
            values: a 1-d array of dtype ``STRING_DTYPE``; never holds nulls (the evaluator
                handles null itself).

        Returns:
            A bool array of the same shape: True where the value is on the list.
        """
        ...


_SMALL = 32  # up to this many values, set look-ups beat np.isin


class InMemoryLists:
    """A :class:`ListMembership` over in-memory sets, for tests and prefetched snapshots.

    Asking for a list it does not hold raises :class:`RuleDataError` rather than answering
    "not on the list": a missing block list must never silently let fraud through.
    """

    __slots__ = ("_arrays", "_lists")

    def __init__(self, lists: Mapping[str, Iterable[str]]) -> None:
        frozen: dict[str, frozenset[str]] = {}
        for name, members in lists.items():
            values = frozenset(members)
            if not all(isinstance(v, str) for v in values):
                raise RuleDataError(f"list {name!r}: members must be strings")
            frozen[name] = values
        self._lists = MappingProxyType(frozen)
        self._arrays = {
            name: np.array(sorted(values), dtype=STRING_DTYPE) for name, values in frozen.items()
        }

    @property
    def lists(self) -> Mapping[str, frozenset[str]]:
        return self._lists

    def contains(self, list_name: str, values: StrArray) -> BoolArray:
        members = self._arrays.get(list_name)
        if members is None:
            raise RuleDataError(
                f"list {list_name!r} was not provided to the evaluator",
                hint="prefetch every list named by required_lists() before evaluating",
            )
        if not len(members):  # the usual answer of a per-batch prefetch: nobody listed
            return np.zeros(values.shape, dtype=np.bool_)
        if len(values) <= _SMALL:  # np.isin costs ~20 us whatever the size
            listed = self._lists[list_name]
            return np.fromiter((v in listed for v in values), dtype=np.bool_, count=len(values))
        return np.isin(values, members)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}: {len(v)}" for name, v in sorted(self._lists.items()))
        return f"InMemoryLists({{{sizes}}})"


class ListLookup(NamedTuple):
    """One ``in_list`` call: the list it consults and the (canonical) expression it looks up,
    e.g. ``ListLookup("blocked_emails", "email")``."""

    list_name: str
    value: str


class HasCondition(Protocol):
    """Anything that carries a checked condition: a CompiledExpr or a Rule."""

    @property
    def condition(self) -> CheckedExpr: ...


def required_lists(*targets: CheckedExpr | HasCondition) -> frozenset[ListLookup]:
    """Every ``in_list`` look-up in the given conditions (or compiled conditions, or rules),
    de-duplicated."""
    found: set[ListLookup] = set()
    for target in targets:
        condition = target if isinstance(target, CheckedExpr) else target.condition
        for node in walk(condition.root):
            if isinstance(node, Call) and node.func == "in_list":
                name, value = node.args
                if isinstance(name, Literal) and isinstance(name.value, str):
                    found.add(ListLookup(name.value, unparse(value)))
    return frozenset(found)


def lookup_membership(lists: ListMembership | None, list_name: str, values: StrArray) -> BoolArray:
    """Ask ``lists`` and check its answer; shared by both evaluators."""
    if lists is None:
        raise RuleDataError(
            f"the rule consults list {list_name!r} but no ListMembership was given",
            hint="pass lists=InMemoryLists(...) or another ListMembership",
        )
    answer = lists.contains(list_name, values)
    if (
        not isinstance(answer, np.ndarray)
        or answer.dtype != np.bool_
        or answer.shape != values.shape
    ):
        raise RuleDataError(
            f"ListMembership.contains({list_name!r}, ...) must return a bool array of shape "
            f"{values.shape}"
        )
    return answer
