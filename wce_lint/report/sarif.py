"""``sarif``: a SARIF 2.1.0 log, the format GitHub code scanning (``upload-sarif``) and IDE viewers read.

One run, whose ``tool.driver.rules`` lists every rule of the registry (so ``ruleIndex`` is stable whatever
was selected) with its documentation as help. Each finding is a result with a physical location relative to
the project root (``uriBaseId: %SRCROOT%``), its trace as ``relatedLocations``, its fix as ``fixes``, and a
``partialFingerprints`` entry that survives edits elsewhere in the file.

Regions are 1-based; ``endColumn`` is the column just past the span, as SARIF defines it (§3.30.8), which
is the same number the ``json`` format prints. Columns count code points (``columnKind``), as LibCST does.

A notebook's locations are regions of the ``.ipynb`` file itself: the JSON line and column where the
flagged characters of the cell's ``source`` string are, so a SARIF viewer opens the file at the right
place. The cell position is kept beside it: the location's ``message`` says ``cell 3, line 2, column 5``
and its ``properties`` hold ``cell``, ``cellLine`` and ``cellColumn`` (1-based); the result message starts
with the same words. A fix of a notebook carries no ``fixes`` entry (its replacements would be cell text,
not JSON text); ``--fix`` applies it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, TextIO
from urllib.parse import quote

from wce_lint import __version__
from wce_lint.diagnostics import Diagnostic, Position, Severity
from wce_lint.report.base import OutputFormat, SourceLines, ordered

if TYPE_CHECKING:
    from wce_lint.rule import Rule
    from wce_lint.settings import Settings

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/wce-lint/wce-lint"
SRCROOT = "%SRCROOT%"
# Versioned so a change of the recipe can be told apart from a change of the code.
FINGERPRINT_KEY = "wceLint/v1"

_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


def render(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    sources: SourceLines,
    settings: Settings | None = None,
) -> None:
    root = settings.root if settings is not None else Path.cwd()
    json.dump(sarif_log(diagnostics, sources=sources, root=root), out, indent=2, ensure_ascii=False)
    out.write("\n")


def sarif_log(diagnostics: Sequence[Diagnostic], *, sources: SourceLines, root: Path) -> dict[str, Any]:
    from wce_lint.rules import REGISTRY  # loaded by the engine already; keeps this package light to import

    rules = list(REGISTRY.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    fingerprints = _fingerprints(diagnostics, sources, root)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wce-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "results": [
                    _result(diagnostic, index.get(diagnostic.code), fingerprints[id(diagnostic)], root, sources)
                    for diagnostic in ordered(diagnostics)
                ],
            }
        ],
    }


# -- rules -----------------------------------------------------------------------------------------
def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    doc = rule.doc.strip()
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _section(doc, "What it does") or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": _rule_level(rule)},
        "properties": {"preview": rule.preview, "tags": ["correctness", "machine-learning"]},
    }
    return descriptor


def _section(doc: str, title: str) -> str | None:
    """A ruff-style section's text as one paragraph (the rule's full description)."""
    headings = list(_SECTION.finditer(doc))
    for number, heading in enumerate(headings):
        if heading.group(1).strip() == title:
            end = headings[number + 1].start() if number + 1 < len(headings) else len(doc)
            return " ".join(doc[heading.end() : end].split()) or None
    return None


def _rule_level(rule: Rule) -> str:
    return "warning" if rule.preview or rule.severity == Severity.WARNING else "error"


# -- results ---------------------------------------------------------------------------------------
def _result(
    diagnostic: Diagnostic, rule_index: int | None, fingerprint: str, root: Path, sources: SourceLines | None = None
) -> dict[str, Any]:
    from wce_lint.rules import REGISTRY

    rule = REGISTRY.get(diagnostic.code)
    warning = diagnostic.severity == Severity.WARNING or (rule is not None and rule.preview)
    text = diagnostic.message if not diagnostic.help else f"{diagnostic.message}\nhelp: {diagnostic.help}"
    if diagnostic.start.cell:
        text = f"{_cell_words(diagnostic.start)}: {text}"
    artifact = _artifact_location(diagnostic.path, root)
    sources = sources or SourceLines()

    def physical(start: Position, end: Position) -> dict[str, Any]:
        return {"artifactLocation": artifact, "region": _region(start, end, diagnostic.path, sources)}

    location: dict[str, Any] = {"physicalLocation": physical(diagnostic.start, diagnostic.end)}
    if diagnostic.start.cell:
        location.update(_cell_annotations(diagnostic.start))
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": "warning" if warning else "error",
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if diagnostic.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "message": {"text": step.message},
                "physicalLocation": {
                    "artifactLocation": _artifact_location(step.path, root),
                    "region": _region(step.start, step.end),
                } if step.path else physical(step.start, step.end),
                **({"properties": _cell_annotations(step.start)["properties"]} if step.start.cell else {}),
            }
            for number, step in enumerate(diagnostic.related)
        ]
    if diagnostic.fix is not None and not diagnostic.start.cell:
        fix = diagnostic.fix
        result["fixes"] = [
            {
                "description": {"text": fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {"deletedRegion": _region(edit.start, edit.end), "insertedContent": {"text": edit.content}}
                            for edit in fix.edits
                        ],
                    }
                ],
                "properties": {"applicability": getattr(fix.applicability, "value", fix.applicability)},
            }
        ]
    return result


def _cell_words(position: Position) -> str:
    return f"cell {position.cell}, line {position.line}, column {position.display_column}"


def _cell_annotations(position: Position) -> dict[str, Any]:
    return {
        "message": {"text": _cell_words(position)},
        "properties": {"cell": position.cell, "cellLine": position.line, "cellColumn": position.display_column},
    }


def _region(start: Position, end: Position, path: str = "", sources: SourceLines | None = None) -> dict[str, int]:
    end = max(end, start)
    if start.cell and sources is not None:  # a notebook: the region of the .ipynb JSON text
        notebook = sources.notebook(path)
        in_json = [notebook.json_position(p) for p in (start, end)] if notebook is not None else []
        if len(in_json) == 2 and in_json[0] is not None and in_json[1] is not None:
            (start_line, start_column), (end_line, end_column) = in_json  # type: ignore[misc]
            return {"startLine": start_line, "startColumn": start_column + 1, "endLine": end_line,
                    "endColumn": end_column + 1}
        return {"startLine": 1}
    return {
        "startLine": start.line,
        "startColumn": start.display_column,
        "endLine": end.line,
        "endColumn": end.display_column,
    }


def _artifact_location(path: str, root: Path) -> dict[str, str]:
    """``uri`` relative to the project root (``%SRCROOT%``); an absolute ``file:`` URI for files outside it."""
    if path == "-":  # standard input without --stdin-filename: no file to point at
        return {"uri": "stdin"}
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path(os.path.abspath(root)))
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _directory_uri(root: Path) -> str:
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


# -- fingerprints ----------------------------------------------------------------------------------
def _fingerprints(diagnostics: Sequence[Diagnostic], sources: SourceLines, root: Path) -> dict[int, str]:
    """A digest per finding of what it is about, not where it is: code, file, the span's source text with
    whitespace collapsed, and the occurrence number among identical findings in that file. Line numbers stay
    out (and so does the message, which may quote them), so lines added above a finding keep its fingerprint
    and code scanning keeps tracking it as the same alert."""
    seen: Counter[tuple[str, str, str]] = Counter()
    digests: dict[int, str] = {}
    for diagnostic in ordered(diagnostics):
        uri = _artifact_location(diagnostic.path, root)["uri"]
        key = (diagnostic.code, uri, _span_text(diagnostic, sources))
        occurrence = seen[key]
        seen[key] += 1
        material = "\0".join((*key, str(occurrence)))
        digests[id(diagnostic)] = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return digests


def _span_text(diagnostic: Diagnostic, sources: SourceLines) -> str:
    """The whitespace-normalised text of the lines the finding covers, or its message when unreadable."""
    lines = [
        sources.line(diagnostic.path, number, diagnostic.start.cell)
        for number in range(diagnostic.start.line, max(diagnostic.end.line, diagnostic.start.line) + 1)
    ]
    if any(line is None for line in lines):
        return diagnostic.message
    return " ".join(" ".join(lines).split())  # type: ignore[arg-type]


FORMAT = OutputFormat(name="sarif", render=render, machine_readable=True)
