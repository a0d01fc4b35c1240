"""What the language-server tests share: the server command, waiting for diagnostics, applying edits.

Edits are applied the way an editor applies them, with positions counted in UTF-16 code units by this
module's own code (not the server's), so that a wrong column conversion in the server shows up as wrong text.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# Generous: the first lint of a session starts the analysis process (LibCST and the rules are imported).
WAIT_SECONDS = 60.0


def server_config() -> ClientServerConfig:
    env = {key: value for key, value in os.environ.items() if key != "WCE_LINT_TIME_LIMIT"}  # the default limit
    return ClientServerConfig(server_command=[sys.executable, "-m", "wce_lint", "server"], server_env=env)


def capabilities() -> types.ClientCapabilities:
    """What VS Code announces for the features the server uses."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["quickfix", "source"])
                )
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        ),
    )


def accept_registrations(client: LanguageClient) -> list[types.Registration]:
    """Answer ``client/registerCapability`` as an editor does (pytest-lsp's client does not); the list
    fills with what the server registered."""
    registered: list[types.Registration] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registered.extend(params.registrations)

    return registered


async def initialize(client: LanguageClient, root: Path, options: object = None) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
            initialization_options=options,
        )
    )


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, accept: Callable[[Sequence[types.Diagnostic]], bool], timeout: float = WAIT_SECONDS
) -> Sequence[types.Diagnostic]:
    """The document's diagnostics once ``accept`` says they are what the test waits for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = client.diagnostics.get(uri)
        if current is not None and accept(current):
            return current
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"diagnostics of {uri} never became acceptable; last: {current!r}")
        try:
            await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining)
        except asyncio.TimeoutError:
            pass


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(diagnostic.code) for diagnostic in diagnostics]


def utf16_column(line: str, index: int) -> int:
    """The UTF-16 column of the code point at ``index`` of ``line``."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in line[:index])


def offset(text: str, position: types.Position) -> int:
    """The string index of an LSP position (UTF-16 columns), for \\n-terminated lines."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    units = 0
    line = lines[position.line]
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    return start + len(line)


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    spans = sorted(((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None, action
    if action.edit.document_changes:
        (change,) = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri, change
        return [edit for edit in change.edits if isinstance(edit, types.TextEdit)]
    assert action.edit.changes is not None
    return list(action.edit.changes[uri])


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text))
    )


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
