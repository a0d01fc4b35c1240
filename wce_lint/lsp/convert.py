"""Engine results as LSP objects: diagnostics, code actions and hover text.

Everything here is a pure function of a document's text and the engine's findings on exactly that text,
so a stale finding is never turned into an edit (the server checks the document version first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from lsprotocol import types

from wce_lint.diagnostics import Applicability, Diagnostic, Edit, Position, Severity
from wce_lint.lsp.noqa import noqa_edit
from wce_lint.lsp.positions import LineIndex

SOURCE = "wce-lint"
SYNTAX_ERROR = "WCE000"
FIX_ALL_KIND = "source.fixAll.wce-lint"


def lsp_range(index: LineIndex, start: Position, end: Position) -> types.Range:
    first = index.to_client(start.line, start.column)
    last = index.to_client(end.line, end.column)
    if last < first:
        last = first
    return types.Range(types.Position(*first), types.Position(*last))


def lsp_diagnostic(
    diagnostic: Diagnostic, index: LineIndex, uri: str, url: str | None,
    other_file: Callable[[str], LineIndex | None] = lambda path: None,
) -> types.Diagnostic:
    """``other_file(path)``: the lines of another module of the project that a trace step points into (None
    when it cannot be read: its columns are then passed on as they are)."""
    message = diagnostic.message if not diagnostic.help else f"{diagnostic.message}\nhelp: {diagnostic.help}"
    related = []
    for step in diagnostic.related:
        if step.path is None:
            location = types.Location(uri, lsp_range(index, step.start, step.end))
        else:
            lines = other_file(step.path)
            where = lsp_range(lines, step.start, step.end) if lines is not None else types.Range(
                types.Position(max(step.start.line - 1, 0), step.start.column),
                types.Position(max(step.end.line - 1, 0), step.end.column),
            )
            location = types.Location(Path(step.path).absolute().as_uri(), where)
        related.append(types.DiagnosticRelatedInformation(location, step.message))
    return types.Diagnostic(
        range=lsp_range(index, diagnostic.start, diagnostic.end),
        message=message,
        severity=(
            types.DiagnosticSeverity.Error if diagnostic.severity == Severity.ERROR else types.DiagnosticSeverity.Warning
        ),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        related_information=related or None,
    )


def failure_diagnostic(message: str) -> types.Diagnostic:
    """The worker died or hung on this text: say so where the user will see it, at the top of the file."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        code=SYNTAX_ERROR,
        source=SOURCE,
    )


def overlaps(inner: types.Range, outer: types.Range) -> bool:
    """Whether two ranges touch (a cursor at either end of a finding counts as on it)."""
    def key(position: types.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(inner.start) <= key(outer.end) and key(outer.start) <= key(inner.end)


def text_edit(index: LineIndex, edit: Edit) -> types.TextEdit:
    return types.TextEdit(lsp_range(index, edit.start, edit.end), edit.content)


def fix_title(diagnostic: Diagnostic) -> str:
    assert diagnostic.fix is not None
    safety = "safe" if diagnostic.fix.applicability == Applicability.SAFE else "unsafe"
    return f"Fix {diagnostic.code}: {diagnostic.fix.message} ({safety})"


def noqa_title(code: str) -> str:
    return f"Add `# noqa: {code}`"


def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    """Versioned when the client supports it, so that an edit computed for an older text is refused."""
    if versioned:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(types.OptionalVersionedTextDocumentIdentifier(uri, version), edits)
            ]
        )
    return types.WorkspaceEdit(changes={uri: edits})


def code_actions(
    diagnostics: Iterable[tuple[Diagnostic, types.Diagnostic]],
    text: str,
    index: LineIndex,
    uri: str,
    version: int | None,
    versioned: bool,
) -> list[types.CodeAction]:
    """For each finding: its fix (when it has one), then a ``# noqa`` for its code."""
    actions: list[types.CodeAction] = []
    for diagnostic, published in diagnostics:
        if diagnostic.fix is not None and diagnostic.fix.edits:
            edits = [text_edit(index, edit) for edit in diagnostic.fix.edits]
            actions.append(
                types.CodeAction(
                    title=fix_title(diagnostic),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[published],
                    is_preferred=diagnostic.fix.applicability == Applicability.SAFE,
                    edit=workspace_edit(uri, version, edits, versioned),
                )
            )
        if diagnostic.code == SYNTAX_ERROR:
            continue  # the engine never suppresses WCE000: a noqa would change nothing
        insertion = noqa_edit(text, diagnostic.code, diagnostic.start.line)
        where = types.Range(
            types.Position(*index.to_client(insertion.line, insertion.column)),
            types.Position(*index.to_client(insertion.line, insertion.end)),
        )
        actions.append(
            types.CodeAction(
                title=noqa_title(diagnostic.code),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[published],
                edit=workspace_edit(
                    uri, version, [types.TextEdit(where, insertion.text)], versioned
                ),
            )
        )
    return actions
