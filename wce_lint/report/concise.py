"""``concise``: one line per finding, ``path:line:col: CODE message`` (the default when piped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence, TextIO

from wce_lint.diagnostics import Diagnostic
from wce_lint.report.base import OutputFormat, SourceLines, header, ordered

if TYPE_CHECKING:
    from wce_lint.settings import Settings


def render(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    sources: SourceLines,
    settings: Settings | None = None,
) -> None:
    for diagnostic in ordered(diagnostics):
        out.write(header(diagnostic) + "\n")


FORMAT = OutputFormat(name="concise", render=render, machine_readable=False)
