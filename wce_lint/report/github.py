"""``github``: one GitHub Actions workflow command per finding, so pull requests show inline annotations::

    ::error file=train.py,line=9,col=72,endLine=9,endColumn=76,title=WCE203 (negative-pos-weight)::message

``warning`` replaces ``error`` for preview rules and warning-severity findings. Columns are 1-based; the end
column is exclusive, as in the ``json`` format and ruff. When a span covers several lines the column fields
are left out: GitHub mis-renders a multi-line annotation that carries columns.

Escaping follows GitHub's runner (``toolkit/packages/core/src/command.ts``): in the message ``%``, ``\\r``
and ``\\n`` become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and
``%2C`` — otherwise a comma in a file name would end the ``file`` property early.

In a notebook the annotation points at the finding's characters in the ``.ipynb`` JSON (the line of the
cell's ``source`` string that holds them, and the column inside that JSON line), which is what GitHub
shows when it displays the file's source; the message starts with the cell position (``cell 3, line 2,
column 5:``) for the rendered view. The columns are left out when start and end fall on different JSON
lines, and the line is 1 when the notebook cannot be read back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from wce_lint.diagnostics import Diagnostic, Severity
from wce_lint.report.base import OutputFormat, SourceLines, ordered

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
        out.write(workflow_command(diagnostic, sources) + "\n")


def workflow_command(diagnostic: Diagnostic, sources: SourceLines | None = None) -> str:
    """The ``::error …::message`` line for one finding (``sources`` reads notebooks back, for their JSON lines)."""
    start: tuple[int, int | None] = (diagnostic.start.line, diagnostic.start.display_column)
    end: tuple[int, int | None] = (diagnostic.end.line, diagnostic.end.display_column)
    prefix = ""
    if diagnostic.start.cell:
        position = diagnostic.start
        prefix = f"cell {position.cell}, line {position.line}, column {position.display_column}: "
        start, end = _json_span(diagnostic, sources or SourceLines())
    properties: list[tuple[str, object]] = [("file", display_path(diagnostic.path)), ("line", start[0])]
    single_line = end[0] == start[0] and start[1] is not None and end[1] is not None
    if single_line:
        properties.append(("col", start[1]))
    properties.append(("endLine", max(end[0], start[0])))
    if single_line:
        properties.append(("endColumn", max(end[1], start[1])))  # type: ignore[type-var]
    properties.append(("title", f"{diagnostic.code} ({diagnostic.rule})"))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    message = prefix + diagnostic.message
    if diagnostic.help:
        message += f"\nhelp: {diagnostic.help}"
    return f"::{level(diagnostic)} {rendered}::{escape_data(message)}"


def _json_span(diagnostic: Diagnostic, sources: SourceLines) -> tuple[tuple[int, int | None], tuple[int, int | None]]:
    """A notebook finding's start and end as (line, 1-based column) in the ``.ipynb`` JSON text; line 1 without
    columns when the notebook cannot be read back."""
    notebook = sources.notebook(diagnostic.path)
    start = notebook.json_position(diagnostic.start) if notebook is not None else None
    end = notebook.json_position(diagnostic.end) if notebook is not None else None
    if start is None or end is None:
        return (1, None), (1, None)
    return (start[0], start[1] + 1), (end[0], end[1] + 1)


def level(diagnostic: Diagnostic) -> str:
    """``warning`` for preview rules and warning-severity findings, ``error`` otherwise."""
    from wce_lint.rules import REGISTRY  # loaded by the engine already; keeps this package light to import

    rule = REGISTRY.get(diagnostic.code)
    if diagnostic.severity == Severity.WARNING or (rule is not None and rule.preview):
        return "warning"
    return "error"


def display_path(path: str) -> str:
    """The path GitHub resolves against the workspace: relative to the working directory when inside it."""
    if os.path.isabs(path):
        try:
            return Path(path).relative_to(Path.cwd()).as_posix()
        except ValueError:
            pass
    return path.replace(os.sep, "/")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


FORMAT = OutputFormat(name="github", render=render, machine_readable=True)
