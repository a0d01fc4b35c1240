"""``wce-lint server`` end to end: a real LSP client (pytest-lsp) talks to the real server over stdio.

The server runs as ``python -m wce_lint server`` in a subprocess, with its analysis process behind it; the
documents are unsaved editor text (what is on disk differs on purpose), and edits offered by code actions
are applied by the test's own UTF-16 arithmetic (``lsp_helpers``).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_helpers import (
    accept_registrations,
    apply_edits,
    codes,
    edits_of,
    initialize,
    open_document,
    replace_text,
    server_config,
    utf16_column,
    wait_for_diagnostics,
)

pytestmark = pytest.mark.asyncio(loop_scope="function")

# The misuse sits after non-BMP characters on its line: its UTF-16 column differs from its code-point one.
MISUSE = """\
import tensorflow as tf


def loss_fn(x, y):
    note = "😀 ünï"; return tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.nn.sigmoid(x))
"""
MISUSE_LINE = 4
PROBABILITIES = "tf.nn.sigmoid(x)"
CLEAN = MISUSE.replace(PROBABILITIES, "x")
PYPROJECT = '[project]\nname = "demo"\n\n[tool.wce-lint]\n'


@pytest.fixture
def workspace(project: Path) -> Path:
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "train.py").write_text("x = 1\n", encoding="utf-8")  # the editor's text is not saved yet
    return project


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient, workspace: Path):
    registered = accept_registrations(lsp_client)
    await initialize(lsp_client, workspace, {"debounce": 0.2})
    lsp_client.registered = registered  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def expected_range() -> types.Range:
    line = MISUSE.splitlines()[MISUSE_LINE]
    start = line.index(PROBABILITIES)
    return types.Range(
        types.Position(MISUSE_LINE, utf16_column(line, start)),
        types.Position(MISUSE_LINE, utf16_column(line, start + len(PROBABILITIES))),
    )


async def code_actions_at(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions is not None
    return [action for action in actions if isinstance(action, types.CodeAction)]


async def test_diagnose_fix_noqa_config_and_shutdown(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "train.py").as_uri()
    open_document(client, uri, MISUSE)
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda found: len(found) > 0)
    assert diagnostic.code == "WCE101" and diagnostic.source == "wce-lint"
    assert diagnostic.range == expected_range()
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message.startswith("`logits` of `tf.nn.sigmoid_cross_entropy_with_logits` receives probabilities")
    assert diagnostic.code_description is not None and diagnostic.code_description.href.endswith("#wce101")

    # Hover on the finding: the rule's documentation, as `wce-lint rule WCE101` prints it.
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), diagnostic.range.start)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# probabilities-as-logits (WCE101)")
    assert "## What it does" in hover.contents.value and "## Fix safety" in hover.contents.value
    nowhere = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert nowhere is None

    # The fix, marked unsafe, then "add noqa".
    actions = await code_actions_at(client, uri, diagnostic)
    titles = [action.title for action in actions]
    assert titles == ["Fix WCE101: drop the activation (unsafe)", "Add `# noqa: WCE101`"], titles
    fixed = apply_edits(MISUSE, edits_of(actions[0], uri))
    assert fixed == CLEAN
    replace_text(client, uri, fixed, 2)
    assert await wait_for_diagnostics(client, uri, lambda found: not found) == ()

    # Back to the misuse (as an undo would), then the noqa action.
    replace_text(client, uri, MISUSE, 3)
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda found: len(found) == 1)
    actions = await code_actions_at(client, uri, diagnostic)
    noqa = apply_edits(MISUSE, edits_of(actions[1], uri))
    assert noqa.splitlines()[MISUSE_LINE] == MISUSE.splitlines()[MISUSE_LINE] + "  # noqa: WCE101"
    replace_text(client, uri, noqa, 4)
    assert await wait_for_diagnostics(client, uri, lambda found: not found) == ()

    # The project's config changes on disk: the editor's watcher tells the server, diagnostics follow.
    (registration,) = client.registered  # type: ignore[attr-defined]
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [watcher["globPattern"] for watcher in registration.register_options["watchers"]]
    assert sorted(globs) == ["**/.wce-lint.toml", "**/pyproject.toml", "**/wce-lint.toml"]
    replace_text(client, uri, MISUSE, 5)
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(PYPROJECT + 'ignore = ["WCE101"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)])
    )
    assert await wait_for_diagnostics(client, uri, lambda found: not found) == ()
    # ... and saving the config in the editor re-reads it too.
    pyproject.write_text(PYPROJECT, encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(pyproject.as_uri())))
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])


@pytest_lsp.fixture(config=server_config())
async def bare_client(lsp_client: LanguageClient):
    """A started server the test initializes and shuts down itself."""
    yield


async def test_shutdown_and_exit_end_the_server_cleanly(bare_client: LanguageClient, workspace: Path) -> None:
    accept_registrations(bare_client)
    await initialize(bare_client, workspace)
    uri = (workspace / "train.py").as_uri()
    open_document(bare_client, uri, MISUSE)
    await wait_for_diagnostics(bare_client, uri, lambda found: codes(found) == ["WCE101"])
    await bare_client.shutdown_session()  # shutdown, then exit, then waits for the process
    assert bare_client._server is not None and bare_client._server.returncode == 0
