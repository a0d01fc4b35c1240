"""Where "add ``# noqa: CODE``" writes its comment.

The engine honours a ``# noqa`` on any line of the finding's statement up to the line where the finding
ends (``ModuleContext.logical_line_range``). A comment can only go where a line ends outside a string and
without a backslash continuation; the tokenizer tells which lines those are (they carry a ``NEWLINE`` or
``NL`` token). The first such line from the finding's start is chosen; a ``# noqa: …`` already there is
extended rather than duplicated.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import NamedTuple

from wce_lint.source import split_lines

# The first code of an existing `# noqa: …`: the new code goes right after it, before any free text that
# follows the list (`# noqa: WCE203 -- reviewed` → `# noqa: WCE203, WCE101 -- reviewed`).
_NOQA_FIRST_CODE = re.compile(r"#\s*noqa:\s*[\w\-]+", re.IGNORECASE)


class NoqaEdit(NamedTuple):
    """Replace code-point columns ``column``..``end`` of 1-based ``line`` with ``text``."""

    line: int
    column: int
    end: int
    text: str


def noqa_edit(text: str, code: str, start_line: int) -> NoqaEdit:
    """The insertion that suppresses ``code`` for a finding that starts on ``start_line``."""
    lines = split_lines(text)
    line, comment = _comment_line(text, start_line)
    line = min(max(line, 1), len(lines))
    physical = lines[line - 1]
    if comment is not None:
        match = _NOQA_FIRST_CODE.search(physical, comment)
        if match is not None:  # `# noqa: WCE203` → `# noqa: WCE203, WCE101`
            return NoqaEdit(line, match.end(), match.end(), f", {code}")
    stripped = len(physical.rstrip(" \t\f"))  # trailing blanks are replaced, not left after the comment
    return NoqaEdit(line, stripped, len(physical), f"  # noqa: {code}")


def _comment_line(text: str, start_line: int) -> tuple[int, int | None]:
    """The first line at or after ``start_line`` that may end with a comment, and the column of the
    comment it already has (None: none). Falls back to ``start_line`` when the text does not tokenize."""
    comments: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            row, column = token.start
            if token.type == tokenize.COMMENT:
                comments[row] = column
            elif token.type in (tokenize.NEWLINE, tokenize.NL) and row >= start_line:
                return row, comments.get(row)
    except (tokenize.TokenError, SyntaxError, IndentationError, RecursionError, MemoryError):
        pass
    return start_line, comments.get(start_line)
