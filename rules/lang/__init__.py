"""The rules language: analyst-readable conditions, checked at load, evaluated in batches.

A rule condition is one line of text such as
``amount > 100000 and card_country != ip_country and not is_null(score)``. It is parsed by a
hand-written recursive-descent parser (no ``eval``; attribute access, subscripts and calls
of anything but six whitelisted functions are not in the grammar), type-checked against the
caller's symbol table, and then run by either evaluator:

* :func:`interpret` - the reference interpreter, one row at a time;
* :func:`compile_expression` - closures over NumPy arrays that evaluate a whole
  :class:`ColumnBatch` at once. Both agree exactly (three-valued, SQL-like null logic).

Rule files (TOML) load into a frozen, hashed :class:`RuleSet` with :func:`load_ruleset`;
:func:`check_ruleset` lists every problem instead of stopping at the first. The language
itself, for analysts, is described in ``LANGUAGE.md`` beside this file.
"""

from rules.lang.batch import (
    STRING_DTYPE,
    BoolColumn,
    Column,
    ColumnBatch,
    NumberColumn,
    StringColumn,
    bool_column,
    number_column,
    string_column,
)
from rules.lang.checker import CheckedExpr, check_expression, diagnose_rule, parse_rule
from rules.lang.compiler import CompiledExpr, compile_expression, list_keys
from rules.lang.errors import (
    Diagnostic,
    RuleDataError,
    RuleError,
    RuleFileError,
    RuleLimitError,
    RuleSetError,
    RuleSyntaxError,
    RuleTypeError,
    UnknownNameError,
)
from rules.lang.interpreter import interpret
from rules.lang.limits import DEFAULT_LIMITS, RuleLimits
from rules.lang.lists import InMemoryLists, ListLookup, ListMembership, required_lists
from rules.lang.loader import check_ruleset, load_ruleset, run_check
from rules.lang.parser import parse_expression
from rules.lang.ruleset import Rule, RuleSet
from rules.lang.symbols import BOOL, FUNCTIONS, NUMBER, STRING, SymbolTable, SymbolType
from rules.lang.unparse import unparse

__all__ = [
    "BOOL",
    "DEFAULT_LIMITS",
    "FUNCTIONS",
    "NUMBER",
    "STRING",
    "STRING_DTYPE",
    "BoolColumn",
    "CheckedExpr",
    "Column",
    "ColumnBatch",
    "CompiledExpr",
    "Diagnostic",
    "InMemoryLists",
    "ListLookup",
    "ListMembership",
    "NumberColumn",
    "Rule",
    "RuleDataError",
    "RuleError",
    "RuleFileError",
    "RuleLimitError",
    "RuleLimits",
    "RuleSet",
    "RuleSetError",
    "RuleSyntaxError",
    "RuleTypeError",
    "StringColumn",
    "SymbolTable",
    "SymbolType",
    "UnknownNameError",
    "bool_column",
    "check_expression",
    "check_ruleset",
    "compile_expression",
    "diagnose_rule",
    "interpret",
    "list_keys",
    "load_ruleset",
    "number_column",
    "parse_expression",
    "parse_rule",
    "required_lists",
    "run_check",
    "string_column",
    "unparse",
]
