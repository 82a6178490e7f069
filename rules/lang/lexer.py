"""Hand-written lexer: turns rule text into tokens, one at a time, on demand.

No regular expressions: every character is looked at a bounded number of times, so no
input can make the lexer backtrack or hang. Errors explain the usual mistakes (``=`` for
``==``, ``&&``, ``True``, attribute access with ``.``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.lang.errors import RuleSyntaxError, quote
from rules.lang.source import Span
from rules.lang.symbols import KEYWORDS, RESERVED_WORDS

__all__ = ["Token", "TokenKind", "Lexer"]

TokenKind = Literal["number", "string", "name", "keyword", "op", "eof"]

_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_REST = _NAME_START | _DIGITS
_SPACE = frozenset(" \t\r\n")
_TWO_CHAR_OPS = frozenset({"==", "!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset("<>+-*/()[],")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}

# What to say about characters that are not part of the language.
_CHAR_HINTS = {
    "=": "use '==' to compare; rules cannot assign",
    "!": "use '!=' for 'not equal' or 'not' to negate",
    "&": "use 'and'",
    "|": "use 'or'",
    ".": "there is no attribute access; use a feature name from the registry",
    "%": "there is no '%' operator",
    "^": "there is no '^' operator",
    "~": "use 'not' to negate",
    ":": "there are no slices, lambdas or dictionaries in rules",
    ";": "a rule is one expression; join conditions with 'and' / 'or'",
    "{": "there are no sets or dictionaries; write a list such as ['US', 'CA']",
    "}": "there are no sets or dictionaries; write a list such as ['US', 'CA']",
    "@": "there are no decorators or matrix operators in rules",
    "#": "rules have no comments; put the explanation in the rule's description",
    "`": "quote strings with ' or \"",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One token. ``value`` is the decoded literal (float for numbers, str for strings)."""

    kind: TokenKind
    text: str
    value: float | str | None
    span: Span

    def describe(self) -> str:
        """How the token is named in an error message."""
        if self.kind == "eof":
            return "end of rule"
        if self.kind == "number":
            return f"number {self.text}"
        if self.kind == "string":
            return f"string {quote(self.text)}"
        if self.kind == "name":
            return f"name {quote(self.text)}"
        return quote(self.text)


def _describe_char(char: str) -> str:
    if char.isprintable() and char.isascii():
        return repr(char)
    return f"{char!r} (U+{ord(char):04X})"


class Lexer:
    """Produces tokens from ``text`` left to right; call :meth:`next` until ``eof``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _error(
        self, message: str, start: int, end: int, hint: str | None = None
    ) -> RuleSyntaxError:
        return RuleSyntaxError(
            message,
            token=self.text[start:end] or "end of rule",
            hint=hint,
            source=self.text,
            span=Span(start, end),
        )

    def next(self) -> Token:
        text = self.text
        n = len(text)
        pos = self.pos
        while pos < n and text[pos] in _SPACE:
            pos += 1
        if pos >= n:
            self.pos = n
            return Token("eof", "", None, Span(n, n))
        char = text[pos]
        if char in _DIGITS:
            token = self._number(pos)
        elif char in _NAME_START:
            token = self._name(pos)
        elif char in "'\"":
            token = self._string(pos)
        elif text[pos : pos + 2] in _TWO_CHAR_OPS:
            token = Token("op", text[pos : pos + 2], None, Span(pos, pos + 2))
        elif char in _ONE_CHAR_OPS:
            token = Token("op", char, None, Span(pos, pos + 1))
        else:
            raise self._bad_char(pos)
        self.pos = token.span.end
        return token

    def _bad_char(self, pos: int) -> RuleSyntaxError:
        char = self.text[pos]
        pair = self.text[pos : pos + 2]
        hint = _CHAR_HINTS.get(char)
        if pair in ("&&", "||"):
            hint = "use 'and'" if pair == "&&" else "use 'or'"
            return self._error(f"unexpected {pair!r}", pos, pos + 2, hint)
        if char == "." and self.text[pos + 1 : pos + 2] in _DIGITS:
            hint = "write decimals with a leading digit, e.g. 0.5"
        return self._error(f"unexpected character {_describe_char(char)}", pos, pos + 1, hint)

    def _number(self, start: int) -> Token:
        text = self.text
        n = len(text)
        pos = start
        while pos < n and text[pos] in _DIGITS:
            pos += 1
        if pos < n and text[pos] == ".":
            if pos + 1 >= n or text[pos + 1] not in _DIGITS:
                raise self._error(
                    f"malformed number {quote(text[start : pos + 1])}",
                    start,
                    pos + 1,
                    "a decimal needs digits after the point, e.g. 1.0",
                )
            pos += 1
            while pos < n and text[pos] in _DIGITS:
                pos += 1
        if pos < n and (text[pos] in _NAME_REST or text[pos] == "."):
            end = pos
            while end < n and (text[end] in _NAME_REST or text[end] == "."):
                end += 1
            hint = "write plain digits with at most one decimal point, e.g. 100000 or 2.5"
            if text[pos] == ".":
                hint = "there is no attribute access, and a number has at most one decimal point"
            raise self._error(f"malformed number {quote(text[start:end])}", start, end, hint)
        value = float(text[start:pos])
        if value == float("inf"):
            raise self._error(
                f"number {quote(text[start:pos])} is too large",
                start,
                pos,
                "numbers must fit a 64-bit float (below about 1.8e308)",
            )
        return Token("number", text[start:pos], value, Span(start, pos))

    def _name(self, start: int) -> Token:
        text = self.text
        n = len(text)
        pos = start
        while pos < n and text[pos] in _NAME_REST:
            pos += 1
        word = text[start:pos]
        if word.startswith("__"):
            raise self._error(
                f"names starting with '__' are not allowed ({quote(word)})",
                start,
                pos,
                "there is no attribute, dunder or import access in rules",
            )
        if word != word.lower():
            lower = word.lower()
            hint = f"names and keywords are lower case: write {lower!r}"
            if lower == "none":
                hint = "write 'null'"
            raise self._error(f"unexpected upper-case name {quote(word)}", start, pos, hint)
        if word in RESERVED_WORDS:
            hint = "the rules language has expressions only: no statements, imports or lambdas"
            if word == "is":
                hint = "use '==' to compare, or is_null(x) to test for null"
            raise self._error(f"{word!r} is not part of the rules language", start, pos, hint)
        kind: TokenKind = "keyword" if word in KEYWORDS else "name"
        return Token(kind, word, None, Span(start, pos))

    def _string(self, start: int) -> Token:
        text = self.text
        n = len(text)
        quote_char = text[start]
        pos = start + 1
        chunks: list[str] = []
        run = pos
        while True:
            if pos >= n or text[pos] in "\r\n":
                raise self._error(
                    "unterminated string",
                    start,
                    pos,
                    f"close it with {quote_char}; write {quote_char} inside as \\{quote_char}",
                )
            char = text[pos]
            if char < " " or "\x7f" <= char <= "\x9f":
                # Control characters have no place in a rule, and NumPy's string kernels
                # treat NUL specially: refusing them keeps both evaluators exact.
                raise self._error(
                    f"a string literal cannot hold the control character {_describe_char(char)}",
                    pos,
                    pos + 1,
                    "remove it; string literals cannot hold control characters",
                )
            if char == quote_char:
                chunks.append(text[run:pos])
                break
            if char == "\\":
                chunks.append(text[run:pos])
                escaped = text[pos + 1 : pos + 2]
                if escaped not in _ESCAPES:
                    raise self._error(
                        f"unknown escape {quote(text[pos : pos + 2])} in a string",
                        pos,
                        pos + 2,
                        "only \\\\, \\' and \\\" are escapes; write \\\\ for a backslash",
                    )
                chunks.append(_ESCAPES[escaped])
                pos += 2
                run = pos
                continue
            pos += 1
        end = pos + 1
        return Token("string", text[start:end], "".join(chunks), Span(start, end))
