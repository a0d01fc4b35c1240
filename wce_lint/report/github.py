"""``github``: one GitHub Actions workflow command per finding, so pull requests show inline annotations::

    ::error file=train.py,line=9,col=72,endLine=9,endColumn=76,title=WCE203 (negative-pos-weight)::message

``warning`` replaces ``error`` for preview rules and warning-severity findings. Columns are 1-based; the end
column is exclusive, as in the ``json`` format and ruff. When a span covers several lines the column fields
are left out: GitHub mis-renders a multi-line annotation that carries columns.

Escaping follows GitHub's runner (``toolkit/packages/core/src/command.ts``): in the message ``%``, ``\\r``
and ``\\n`` become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and
``%2C`` — otherwise a comma in a file name would end the ``file`` property early.
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
        out.write(workflow_command(diagnostic) + "\n")


def workflow_command(diagnostic: Diagnostic) -> str:
    """The ``::error …::message`` line for one finding."""
    properties: list[tuple[str, object]] = [("file", display_path(diagnostic.path)), ("line", diagnostic.start.line)]
    single_line = diagnostic.end.line == diagnostic.start.line
    if single_line:
        properties.append(("col", diagnostic.start.display_column))
    properties.append(("endLine", max(diagnostic.end.line, diagnostic.start.line)))
    if single_line:
        properties.append(("endColumn", max(diagnostic.end.display_column, diagnostic.start.display_column)))
    properties.append(("title", f"{diagnostic.code} ({diagnostic.rule})"))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    message = diagnostic.message if not diagnostic.help else f"{diagnostic.message}\nhelp: {diagnostic.help}"
    return f"::{level(diagnostic)} {rendered}::{escape_data(message)}"


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
