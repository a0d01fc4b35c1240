"""Columns between the engine and the client.

The engine counts columns in code points of a line (LibCST's convention, ``wce_lint.diagnostics``); LSP
counts them in the unit the client and server agreed on at ``initialize``: UTF-16 code units unless the
client offered ``utf-8`` or ``utf-32`` (``general.positionEncodings``). Characters outside the Basic
Multilingual Plane (emoji …) are one code point but two UTF-16 units, and non-ASCII letters are one code
point but several UTF-8 bytes, so the conversion needs the line's text.
"""

from __future__ import annotations

from wce_lint.source import split_lines

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


class LineIndex:
    """The lines of one text, split as the engine splits them (``\\r\\n``, ``\\r``, ``\\n`` only)."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.lines = split_lines(text)
        self.encoding = encoding

    def to_client(self, line: int, column: int) -> tuple[int, int]:
        """The engine's (1-based line, code-point column) as the client's (0-based line, column in its unit).

        Positions beyond the text (a stale finding, an encoding error's byte offset) are clamped to it: an
        out-of-range position makes some clients drop every diagnostic of the document."""
        index = min(max(line - 1, 0), len(self.lines) - 1)
        text = self.lines[index]
        column = min(max(column, 0), len(text))
        return index, units(text[:column], self.encoding)


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in the client's unit (lone surrogates, which JSON can carry, count as one)."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
