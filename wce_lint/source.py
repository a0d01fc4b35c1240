"""Reading a file's bytes into text, with every way that can fail turned into a plain message."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

# PEP 263: the declaration must be on line 1 or 2.
_COOKIE = re.compile(rb"^(?:\xef\xbb\xbf)?[ \t\f]*#.*?coding[:=]", re.MULTILINE)  # after a BOM too
_SKIP_FILE = re.compile(rb"#\s*wce-lint\s*:\s*skip-file\b", re.IGNORECASE)


class UnreadableSource(Exception):
    """The file's bytes cannot be turned into Python text; ``line`` is 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str


def decode(data: bytes) -> SourceText:
    """Decode Python source bytes the way the interpreter would (PEP 263 and BOM)."""
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise UnreadableSource("source contains a NUL byte (binary file?)", line, nul - (data.rfind(b"\n", 0, nul) + 1))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if _COOKIE.search(b"\n".join(data.split(b"\n", 2)[:2])) is None:
            # No declaration at all: the first lines simply are not UTF-8. Say where, as for later lines.
            encoding = "utf-8"
        else:
            raise UnreadableSource(f"invalid encoding declaration: {error.msg}", error.lineno or 1) from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UnreadableSource(f"unknown encoding {encoding!r}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
        raise UnreadableSource(
            f"bytes are not valid {encoding} (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "declare the file's encoding or save it as UTF-8",
            line,
            column,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python and LibCST count them: only \\r\\n, \\r and \\n end a line (``str.splitlines``
    also splits on form feeds and other separators, which would shift line numbers)."""
    return _LINE_BREAK.split(text)


def has_skip_file_comment(data: bytes) -> bool:
    """``# wce-lint: skip-file`` anywhere in the first 10 lines."""
    head = b"\n".join(data.split(b"\n", 10)[:10])
    return _SKIP_FILE.search(head) is not None
