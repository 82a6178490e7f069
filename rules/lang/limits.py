"""Size limits that keep parsing and evaluation bounded whatever text arrives."""

from __future__ import annotations

from dataclasses import dataclass

from rules.lang.errors import RuleDataError

__all__ = ["DEFAULT_LIMITS", "MAX_DEPTH_CEILING", "RuleLimits"]

# The parser and evaluators recurse once per nesting level (several frames each); above this
# depth Python's own recursion limit could be reached, so no configuration may go higher.
MAX_DEPTH_CEILING = 100


@dataclass(frozen=True, slots=True)
class RuleLimits:
    """Limits checked while a rule or rule file is loaded.

    Attributes:
        max_length: characters in one rule's ``when`` text.
        max_depth: nesting depth of the expression tree: parentheses, ``not``, unary minus,
            function arguments and each link of a ``+ - * /`` chain count one level.
        max_list_items: items in one ``[...]`` list literal.
        max_rules: rules in one rule file.
    """

    max_length: int = 4096
    max_depth: int = 64
    max_list_items: int = 1000
    max_rules: int = 1000

    def __post_init__(self) -> None:
        for name, value in (
            ("max_length", self.max_length),
            ("max_depth", self.max_depth),
            ("max_list_items", self.max_list_items),
            ("max_rules", self.max_rules),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RuleDataError(f"RuleLimits.{name} must be a positive int, got {value!r}")
        if self.max_depth > MAX_DEPTH_CEILING:
            raise RuleDataError(
                f"RuleLimits.max_depth must be at most {MAX_DEPTH_CEILING}, got {self.max_depth}"
            )


DEFAULT_LIMITS = RuleLimits()
