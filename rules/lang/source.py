"""Positions in rule text: spans, line/column lookup and caret excerpts for error messages."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Span", "excerpt", "line_column"]

# An excerpt shows at most this many characters of the offending line, centred on the error,
# so a 4,096-character one-line rule never floods a terminal.
_EXCERPT_WIDTH = 72


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in the rule text (0-based offsets)."""

    start: int
    end: int


def line_column(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of ``offset`` in ``text``.

    >>> line_column("a and\\nbb", 7)
    (2, 2)
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1


def _printable(char: str) -> str:
    # Tabs and control characters would misalign the caret line; show a space instead.
    return char if char.isprintable() else " "


def excerpt(text: str, span: Span) -> str:
    """Two lines: the source line holding ``span.start`` and a caret line under the span.

    >>> print(excerpt("amount > 'x'", Span(9, 12)))
    amount > 'x'
             ^^^
    """
    start = max(0, min(span.start, len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    end = max(start + 1, min(span.end, line_end))
    lo = max(line_start, start - _EXCERPT_WIDTH // 2)
    hi = min(line_end, lo + _EXCERPT_WIDTH)
    lo = max(line_start, min(lo, hi - _EXCERPT_WIDTH))
    shown = "".join(_printable(c) for c in text[lo:hi])
    prefix = "..." if lo > line_start else ""
    suffix = "..." if hi < line_end else ""
    caret_start = len(prefix) + (start - lo)
    caret_len = max(1, min(end, hi + 1) - start)
    return f"{prefix}{shown}{suffix}\n{' ' * caret_start}{'^' * caret_len}"
