"""The rules language's error tree.

``RuleError`` is the root. Every error carries the fields a caller needs to act on it (the
position in the rule text, the offending token, a suggestion, the rule id once a loader
knows it) and its message says what to do. ``str(error)`` renders the location, the
message, the hint and a caret excerpt of the rule text::

    rule 'velocity' (when), line 1, column 16: unknown name 'card_count_h1'; did you mean
    'card_count_1h'?
      amount > 500 and card_count_h1 > 3
                       ^^^^^^^^^^^^^
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from rules.lang.source import Span, excerpt, line_column

__all__ = [
    "Diagnostic",
    "NameKind",
    "RuleDataError",
    "RuleError",
    "RuleFileError",
    "RuleLimitError",
    "RuleSetError",
    "RuleSyntaxError",
    "RuleTypeError",
    "UnknownNameError",
]

NameKind = Literal["name", "function", "list"]

# Tokens and operand texts quoted in messages are cut to this length.
_QUOTE_LIMIT = 40


def quote(text: str) -> str:
    """Quote a token for a message, shortened so a huge literal cannot flood the output."""
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 3] + "..."
    return repr(text)


class RuleError(Exception):
    """Root of every error raised by :mod:`rules.lang`.

    Attributes:
        message: what is wrong, without location.
        hint: what to do about it, or None.
        source: the rule text the position refers to, or None.
        span: where in ``source`` the problem is, or None.
        rule_id: the rule the text belongs to, once a loader knows it.
        rule_index: the rule's 1-based position in its file, once a loader knows it.
        field: the rule-file key the text came from (``"when"``), once known.
    """

    code: ClassVar[str] = "rule_error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        source: str | None = None,
        span: Span | None = None,
    ) -> None:
        self.message = message
        self.hint = hint
        self.source = source
        self.span = span
        self.rule_id: str | None = None
        self.rule_index: int | None = None
        self.field: str | None = None
        super().__init__(message)

    @property
    def offset(self) -> int | None:
        """0-based character offset of the problem in ``source``."""
        return None if self.span is None else self.span.start

    @property
    def line(self) -> int | None:
        """1-based line of the problem in ``source``."""
        if self.span is None or self.source is None:
            return None
        return line_column(self.source, self.span.start)[0]

    @property
    def column(self) -> int | None:
        """1-based column of the problem in ``source``."""
        if self.span is None or self.source is None:
            return None
        return line_column(self.source, self.span.start)[1]

    def with_context(
        self, *, rule_id: str | None, rule_index: int | None = None, field: str | None = None
    ) -> Self:
        """Record which rule (and which key of it) the error belongs to; returns ``self``."""
        self.rule_id = rule_id
        self.rule_index = rule_index
        self.field = field
        return self

    def __str__(self) -> str:
        where: list[str] = []
        field = f" ({self.field})" if self.field else ""
        if self.rule_id is not None:
            where.append(f"rule {self.rule_id!r}{field}")
        elif self.rule_index is not None:
            where.append(f"rule #{self.rule_index}{field}")
        elif self.field is not None:
            where.append(self.field)
        if self.line is not None:
            where.append(f"line {self.line}, column {self.column}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"; {self.hint}"
        if self.source is not None and self.span is not None:
            text += "\n" + "\n".join(
                "  " + part for part in excerpt(self.source, self.span).split("\n")
            )
        return text


class RuleSyntaxError(RuleError):
    """The text is not a rule: a bad character, a misplaced token, a missing bracket.

    ``token`` is the offending token's text (``"end of rule"`` when the text stopped early).
    """

    code = "syntax"

    def __init__(
        self,
        message: str,
        *,
        token: str,
        hint: str | None = None,
        source: str | None = None,
        span: Span | None = None,
    ) -> None:
        super().__init__(message, hint=hint, source=source, span=span)
        self.token = token


class UnknownNameError(RuleError):
    """A name, function or managed list that does not exist, with the closest known one."""

    code = "unknown_name"

    def __init__(
        self,
        name: str,
        *,
        kind: NameKind,
        suggestion: str | None,
        known: tuple[str, ...] = (),
        source: str | None = None,
        span: Span | None = None,
    ) -> None:
        if suggestion is not None:
            hint: str | None = f"did you mean {suggestion!r}?"
        elif known and len(known) <= 12:
            hint = "known: " + ", ".join(known)
        else:
            hint = {
                "name": "use a feature name from the registry",
                "function": None,
                "list": "create the list first or fix the name",
            }[kind]
        super().__init__(f"unknown {kind} {quote(name)}", hint=hint, source=source, span=span)
        self.name = name
        self.kind: NameKind = kind
        self.suggestion = suggestion


class RuleTypeError(RuleError):
    """An operator or function got an operand of the wrong type.

    Attributes:
        operator: the operator or function (``">"``, ``"and"``, ``"min"``; ``"condition"``
            when the whole rule is not a bool).
        side: which operand is wrong: ``"left"``, ``"right"``, ``"operand"``,
            ``"argument 1"``…, or ``"condition"``.
        operand: the operand's source text.
        actual: the operand's type (``"number"``, ``"string"``, ``"bool"``, ``"null"``).
        expected: the types that would have been accepted.
    """

    code = "type"

    def __init__(
        self,
        message: str,
        *,
        operator: str,
        side: str,
        operand: str,
        actual: str,
        expected: tuple[str, ...],
        hint: str | None = None,
        source: str | None = None,
        span: Span | None = None,
    ) -> None:
        super().__init__(message, hint=hint, source=source, span=span)
        self.operator = operator
        self.side = side
        self.operand = operand
        self.actual = actual
        self.expected = expected


class RuleLimitError(RuleError):
    """A rule is too long, too deeply nested or holds too large a list."""

    code = "limit"

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        maximum: int,
        actual: int | None = None,
        hint: str | None = None,
        source: str | None = None,
        span: Span | None = None,
    ) -> None:
        super().__init__(message, hint=hint, source=source, span=span)
        self.limit = limit
        self.maximum = maximum
        self.actual = actual


class RuleFileError(RuleError):
    """A rule file is not valid TOML or does not have the rule-file shape.

    ``key`` names the offending key (``"action"``, ``"version"``) when there is one.
    """

    code = "file"

    def __init__(self, message: str, *, key: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.key = key


class RuleDataError(RuleError):
    """The caller handed the engine unusable data: a symbol table, a batch, a row or a
    list-membership answer of the wrong shape or type. This is a bug in the caller."""

    code = "data"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found while checking a rule file, for ``riskstream rules check``.

    ``line`` and ``column`` are positions inside the rule's ``when`` text when the problem
    is in the expression, else None. ``str(diagnostic)`` is the full message.
    """

    code: str
    message: str
    rule_id: str | None
    rule_index: int | None
    field: str | None
    line: int | None
    column: int | None
    error: RuleError = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_error(cls, error: RuleError) -> Diagnostic:
        return cls(
            code=error.code,
            message=error.message,
            rule_id=error.rule_id,
            rule_index=error.rule_index,
            field=error.field,
            line=error.line,
            column=error.column,
            error=error,
        )

    def __str__(self) -> str:
        return str(self.error)


class RuleSetError(RuleError):
    """A rule file has one or more problems; ``diagnostics`` lists every one of them."""

    code = "ruleset"

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"the rule file has {count} {noun}; fix them and load it again",
        )
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(d) for d in self.diagnostics)])
