"""``json``: an array shaped like ruff's JSON output, plus ``rule``, ``severity``, ``help`` and ``related``.

Rows and columns are 1-based, as in ruff. ``filename`` is absolute (as in ruff), so a consumer need not know
the directory wce-lint ran in. ``cell`` is the notebook cell (1-based, markdown cells counted) that rows
are counted in, as in ruff, or null outside notebooks; related locations and fix edits carry their own.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Sequence, TextIO

from wce_lint.diagnostics import Diagnostic, Position
from wce_lint.report.base import OutputFormat, SourceLines, ordered

if TYPE_CHECKING:
    from wce_lint.settings import Settings

# A file that cannot be parsed cannot carry a working noqa comment.
_NOT_SUPPRESSIBLE = frozenset({"WCE000"})


def render(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    sources: SourceLines,
    settings: Settings | None = None,
) -> None:
    json.dump([to_json(d) for d in ordered(diagnostics)], out, indent=2)
    out.write("\n")


def to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    filename = _filename(diagnostic.path)
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "rule": diagnostic.rule,
        "message": diagnostic.message,
        "severity": _value(diagnostic.severity),
        "filename": filename,
        "cell": _cell(diagnostic.start),
        "location": _location(diagnostic.start),
        "end_location": _location(diagnostic.end),
        "help": diagnostic.help,
        "fix": None
        if fix is None
        else {
            "applicability": _value(fix.applicability),
            "message": fix.message,
            "edits": [
                {
                    "content": edit.content,
                    "cell": _cell(edit.start),
                    "location": _location(edit.start),
                    "end_location": _location(edit.end),
                }
                for edit in fix.edits
            ],
        },
        "related": [
            {
                "message": step.message,
                "filename": _filename(step.path) if step.path else filename,
                "cell": _cell(step.start),
                "location": _location(step.start),
                "end_location": _location(step.end),
            }
            for step in diagnostic.related
        ],
        "url": _rule_url(diagnostic.code),
        "noqa_row": None if diagnostic.code in _NOT_SUPPRESSIBLE else diagnostic.start.line,
    }


def _location(position: Position) -> dict[str, int]:
    return {"row": position.line, "column": position.display_column}


def _cell(position: Position) -> int | None:
    return position.cell or None


def _filename(path: str) -> str:
    # Standard input without --stdin-filename has no file to point at.
    return path if path == "-" else os.path.abspath(path)


def _value(enum_or_str: object) -> object:
    return getattr(enum_or_str, "value", enum_or_str)


def _rule_url(code: str) -> str | None:
    from wce_lint.rules import REGISTRY  # the engine has loaded it already; the CLI's import stays light

    rule = REGISTRY.get(code)
    return rule.url if rule is not None else None


FORMAT = OutputFormat(name="json", render=render, machine_readable=True)
