"""Types, the reserved vocabulary and the caller's symbol table."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rules.lang.errors import RuleDataError, quote

__all__ = [
    "BOOL",
    "FUNCTIONS",
    "KEYWORDS",
    "NULL",
    "NUMBER",
    "RESERVED_WORDS",
    "STRING",
    "FunctionSpec",
    "SymbolTable",
    "SymbolType",
    "is_identifier",
    "is_list_name",
    "validate_symbols",
]


class SymbolType(enum.Enum):
    """The type of a value in a rule. Every value of every type may also be null.

    ``NULL`` is the type of the ``null`` literal only; a symbol cannot be declared with it.
    """

    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    NULL = "null"

    def __str__(self) -> str:
        return self.value


NUMBER = SymbolType.NUMBER
STRING = SymbolType.STRING
BOOL = SymbolType.BOOL
NULL = SymbolType.NULL

SymbolTable = Mapping[str, SymbolType]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

# Python words an analyst (or an attacker) may try; rejected by the lexer with a clear message.
RESERVED_WORDS = frozenset(
    {
        "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "is", "lambda",
        "nonlocal", "pass", "raise", "return", "try", "while", "with", "yield",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A whitelisted function: its name, parameter names and a usage example."""

    name: str
    params: tuple[str, ...]
    example: str

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            FunctionSpec("in_list", ("'list_name'", "value"), "in_list('blocked_emails', email)"),
            FunctionSpec("starts_with", ("value", "'prefix'"), "starts_with(card_bin, '4242')"),
            FunctionSpec("abs", ("x",), "abs(amount_delta) > 100"),
            FunctionSpec("min", ("a", "b"), "min(amount, 1000)"),
            FunctionSpec("max", ("a", "b"), "max(card_count_1h, card_count_24h)"),
            FunctionSpec("is_null", ("x",), "is_null(score)"),
        )
    }
)

_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz_")
_REST = _FIRST | frozenset("0123456789")


def is_identifier(name: str) -> bool:
    """True if ``name`` is a usable symbol name: ``[a-z_][a-z0-9_]*``, not starting with
    ``__``, and not a keyword, reserved word or function name.

    >>> is_identifier("card_count_1h"), is_identifier("__class__"), is_identifier("and")
    (True, False, False)
    """
    return (
        bool(name)
        and name[0] in _FIRST
        and all(c in _REST for c in name)
        and not name.startswith("__")
        and name not in KEYWORDS
        and name not in RESERVED_WORDS
        and name not in FUNCTIONS
    )


_LIST_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz")
_LIST_REST = _LIST_FIRST | frozenset("0123456789_")


def is_list_name(name: str) -> bool:
    """True if ``name`` can name a managed list: ``[a-z][a-z0-9_]{0,63}``.

    >>> is_list_name("blocked_cards"), is_list_name("Blocked cards")
    (True, False)
    """
    return 0 < len(name) <= 64 and name[0] in _LIST_FIRST and all(c in _LIST_REST for c in name)


_DECLARABLE = (NUMBER, STRING, BOOL)


def validate_symbols(symbols: SymbolTable) -> Mapping[str, SymbolType]:
    """Check a caller's symbol table and return a read-only copy of it.

    Raises:
        RuleDataError: a name is not an identifier, or a type is not number/string/bool.
    """
    checked: dict[str, SymbolType] = {}
    for name, kind in symbols.items():
        if not isinstance(name, str) or not is_identifier(name):
            raise RuleDataError(
                f"symbol table: {quote(str(name))} cannot be a rule name",
                hint="names are [a-z_][a-z0-9_]*, not starting with '__' and not a keyword "
                "or function name; rename the feature",
            )
        if kind not in _DECLARABLE:
            raise RuleDataError(
                f"symbol table: {name!r} has type {kind!r}",
                hint="declare it as SymbolType.NUMBER, STRING or BOOL",
            )
        checked[name] = kind
    return MappingProxyType(checked)
