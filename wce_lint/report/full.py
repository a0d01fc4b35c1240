"""``full``: the header line, the offending source with the span underlined, the trace, help and fix.

Modelled on ruff's ``full`` format::

    train.py:9:72: WCE203 pos_weight is negative …
       |
     9 | loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
       |                                                                        ^^^^ WCE203
       |
       = note: train.py:7:1: `w` is bound here
       = help: use a positive weight
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Sequence, TextIO

from wce_lint.diagnostics import Diagnostic
from wce_lint.report.base import OutputFormat, SourceLines, header, location, ordered

if TYPE_CHECKING:
    from wce_lint.settings import Settings

TAB = "    "
# A span longer than this shows its first and last lines around an ellipsis.
MAX_SPAN_LINES = 6


def render(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    sources: SourceLines,
    settings: Settings | None = None,
) -> None:
    for diagnostic in ordered(diagnostics):
        out.write(header(diagnostic) + "\n")
        for line in _snippet(diagnostic, sources):
            out.write(line + "\n")
        for step in diagnostic.related:
            out.write(f"  = note: {location(step.path or diagnostic.path, step.start)}: {step.message}\n")
        if diagnostic.help:
            out.write(f"  = help: {diagnostic.help}\n")
        if diagnostic.fix is not None:
            applicability = getattr(diagnostic.fix.applicability, "value", diagnostic.fix.applicability)
            out.write(f"  = fix ({applicability}): {diagnostic.fix.message}\n")
        out.write("\n")


def _snippet(diagnostic: Diagnostic, sources: SourceLines) -> list[str]:
    """The span's lines, each followed by its underline; empty when the source is not available."""
    first, last = diagnostic.start.line, max(diagnostic.end.line, diagnostic.start.line)
    numbers = list(range(first, last + 1))
    if len(numbers) > MAX_SPAN_LINES:
        numbers = numbers[:2] + [0] + numbers[-2:]  # 0 marks the elided middle
    # In a notebook the lines are the cell's (a span never leaves its cell: cells are complete code).
    texts = {n: sources.line(diagnostic.path, n, diagnostic.start.cell) for n in numbers if n}
    if texts.get(first) is None:
        return []
    gutter = len(str(last))
    blank = " " * gutter + " |"
    rows = [blank]
    for number in numbers:
        text = texts.get(number)
        if number == 0 or text is None:
            rows.append(" " * gutter + " ...")
            continue
        rows.append(f"{number:>{gutter}} | {_expand(text)}".rstrip())
        start, end = _covered(diagnostic, number, text)
        underline = " " * _width(text[:start]) + "^" * max(1, _width(text[start:end]))
        label = f" {diagnostic.code}" if number == numbers[-1] else ""
        rows.append(f"{blank} {underline}{label}")
    rows.append(blank)
    return rows


def _covered(diagnostic: Diagnostic, number: int, text: str) -> tuple[int, int]:
    """The columns (0-based, end exclusive) of line ``number`` that the span covers."""
    if number == diagnostic.start.line:
        start = diagnostic.start.column
    else:  # a continuation line: underline from its first non-blank character
        start = len(text) - len(text.lstrip())
    end = diagnostic.end.column if number == diagnostic.end.line else len(text)
    start = min(start, len(text))
    return start, max(start, min(end, len(text)))


def _expand(text: str) -> str:
    return text.replace("\t", TAB)


def _width(text: str) -> int:
    """Terminal columns taken by ``text``: tabs as four, wide East Asian characters as two, combining
    marks as none, so the underline sits under the span whatever the line holds."""
    width = 0
    for char in text:
        if char == "\t":
            width += len(TAB)
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += 2
        else:
            width += 1
    return width


FORMAT = OutputFormat(name="full", render=render, machine_readable=False)
