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
    assert sorted(globs) == ["**/*.py", "**/.wce-lint.toml", "**/pyproject.toml", "**/wce-lint.toml"]
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


async def test_changes_are_debounced_and_linted_as_typed(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "train.py").as_uri()
    open_document(client, uri, CLEAN)
    await wait_for_diagnostics(client, uri, lambda found: not found)
    # Keystrokes in quick succession: only the text after the last one is linted and published.
    published = asyncio.ensure_future(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    typed = CLEAN.rstrip("\n")
    for version, cut in enumerate(range(6, 0, -1), start=2):
        replace_text(client, uri, typed[:-cut], version)
    replace_text(client, uri, MISUSE, 8)
    params = await asyncio.wait_for(published, 60)
    assert params.version == 8 and codes(params.diagnostics) == ["WCE101"]
    # Closing the document clears its diagnostics in the editor.
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await wait_for_diagnostics(client, uri, lambda found: not found) == ()


async def test_fix_all_applies_the_safe_fixes_only(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "train.py").as_uri()
    text = MISUSE + "\n\ndef log_probabilities(z):\n    return tf.math.log(tf.nn.sigmoid(z))\n"
    open_document(client, uri, text)
    await wait_for_diagnostics(client, uri, lambda found: sorted(codes(found)) == ["WCE101", "WCE501"])
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Source]),
        )
    )
    assert actions is not None
    (fix_all,) = [a for a in actions if isinstance(a, types.CodeAction)]
    assert fix_all.kind == "source.fixAll.wce-lint"
    fixed = apply_edits(text, edits_of(fix_all, uri))
    # WCE501's fix is safe; WCE101's (dropping the activation) is not, so it stays.
    assert fixed == MISUSE + "\n\ndef log_probabilities(z):\n    return tf.math.log_sigmoid(z)\n"
    # Asked without a kind (a cursor on a finding), only that finding's quick fixes come: no fix-all pass.
    (wce501,) = [d for d in client.diagnostics[uri] if d.code == "WCE501"]
    titles = [action.title for action in await code_actions_at(client, uri, wce501)]
    assert titles == ["Fix WCE501: Replace with `tf.math.log_sigmoid(z)` (safe)", "Add `# noqa: WCE501`"], titles
    replace_text(client, uri, fixed, 2)
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])


async def test_a_broken_config_is_reported_and_the_defaults_apply(client: LanguageClient, workspace: Path) -> None:
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(PYPROJECT + 'ignor = ["WCE101"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)])
    )
    uri = (workspace / "train.py").as_uri()
    open_document(client, uri, MISUSE)
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])
    (message,) = [m for m in client.messages if "wce-lint" in m.message]
    assert message.type == types.MessageType.Error
    assert 'unknown key "ignor"' in message.message and 'did you mean "ignore"?' in message.message


async def test_excluded_files_and_per_file_ignores_follow_the_config(client: LanguageClient, workspace: Path) -> None:
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(
        PYPROJECT + 'extend-exclude = ["generated/**"]\n[tool.wce-lint.per-file-ignores]\n"tests/*" = ["WCE101"]\n',
        encoding="utf-8",
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)])
    )
    uris = {name: (workspace / name).as_uri() for name in ("generated/model.py", "tests/test_loss.py", "src/loss.py")}
    for uri in uris.values():
        open_document(client, uri, MISUSE)
    await wait_for_diagnostics(client, uris["src/loss.py"], lambda found: codes(found) == ["WCE101"])
    await wait_for_diagnostics(client, uris["generated/model.py"], lambda found: not found)
    await wait_for_diagnostics(client, uris["tests/test_loss.py"], lambda found: not found)


def garbage_documents() -> dict[str, str]:
    """Texts that have broken parsers: each names a loss API, so the engine really parses (or refuses) it."""
    header = "import tensorflow as tf\nloss = tf.nn.sigmoid_cross_entropy_with_logits\n"
    generator = random.Random(15)
    noise = "".join(chr(generator.choice([generator.randrange(0, 0x80), generator.randrange(0x80, 0x2FFFF)]))
                    for _ in range(20_000))
    return {
        "random": header + noise,
        "nul": header + "x = 1\x00\x00\n",
        "lone_surrogate": header + "s = '\ud800'\n",
        "brackets": header + "y = " + "(" * 100_000 + "\n",
        "balanced_brackets": header + "y = " + "[" * 10_000 + "]" * 10_000 + "\n",
        "unary_chain": header + "y = " + "-" * 100_000 + "1\n",
        "attribute_chain": header + "y = x" + ".a" * 100_000 + "\n",
        "unclosed_call": header + "loss(labels=y, logits=tf.nn.sigmoid(x)\n",
        "bad_cookie": "# -*- coding: no-such-codec -*-\n" + header,
        "tabs_and_dedents": header + "def f():\n\t  x = 1\n  \ty = 2\n",
        "many_strings": header + "s = " + " ".join(['"a"'] * 5_000) + "\n",
    }


async def test_garbage_never_stops_the_server(client: LanguageClient, workspace: Path) -> None:
    for name, text in garbage_documents().items():
        uri = (workspace / f"garbage_{name}.py").as_uri()
        open_document(client, uri, text)
        found = await wait_for_diagnostics(client, uri, lambda found: True)
        assert set(codes(found)) <= {"WCE000"}, (name, found)
        # Every request on it still gets an answer.
        await client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(5, 0)),
                types.CodeActionContext(diagnostics=list(found)),
            )
        )
        await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0)))
    for name in ("brackets", "nul", "lone_surrogate", "unclosed_call", "bad_cookie"):
        found = client.diagnostics[(workspace / f"garbage_{name}.py").as_uri()]
        assert codes(found) == ["WCE000"], (name, found)
    # ... and it still does its job.
    uri = (workspace / "train.py").as_uri()
    open_document(client, uri, MISUSE)
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])


async def test_a_10_mb_document_is_refused_cleanly_and_edits_on_it_still_work(
    client: LanguageClient, workspace: Path
) -> None:
    line = "    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.nn.sigmoid(x))\n"
    text = "import tensorflow as tf\n\n\ndef f(x, y):\n" + line * (10_000_000 // len(line))
    assert len(text.encode()) >= 9_900_000
    uri = (workspace / "huge.py").as_uri()
    open_document(client, uri, text)
    (refusal,) = await wait_for_diagnostics(client, uri, lambda found: len(found) > 0, timeout=120)
    assert refusal.code == "WCE000" and "file too large to analyse" in refusal.message
    # An incremental edit of the huge text, then a small text in the same document: back to normal.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(4, 0), types.Position(4, 0)), text="    pass\n")],
        )
    )
    replace_text(client, uri, MISUSE, 3)
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"], timeout=120)


MODELS = """\
import tensorflow as tf


def predict(x):
    label = "😀"; return tf.nn.sigmoid(x)
"""
TRAIN = """\
import tensorflow as tf

from pkg.models import predict


def loss_fn(x, y):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=predict(x))
"""


async def test_other_modules_of_the_project_are_followed_and_reread_when_saved(
    client: LanguageClient, workspace: Path
) -> None:
    models = workspace / "pkg" / "models.py"
    models.parent.mkdir()
    (workspace / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    uri = (workspace / "pkg" / "train.py").as_uri()
    open_document(client, uri, TRAIN)  # never saved
    await wait_for_diagnostics(client, uri, lambda found: not found)  # pkg/models.py does not exist yet
    # It is created: the watcher says so, and the import now leads somewhere.
    models.write_text(MODELS, encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(models.as_uri(), types.FileChangeType.Created)])
    )
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda found: len(found) > 0)
    assert diagnostic.code == "WCE101" and "(pkg/models.py:5)" in diagnostic.message
    (elsewhere,) = [r for r in diagnostic.related_information or () if r.location.uri != uri]
    line = MODELS.splitlines()[4]
    start = line.index("tf.nn.sigmoid(x)")
    assert elsewhere.location.uri == models.as_uri()
    assert elsewhere.location.range == types.Range(  # UTF-16 columns of models.py's own line
        types.Position(4, utf16_column(line, start)), types.Position(4, utf16_column(line, start + 16))
    )
    # models.py is edited and saved (in another editor): the open document's findings follow.
    models.write_text(MODELS.replace("tf.nn.sigmoid(x)", "x * 2.0"), encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(models.as_uri(), types.FileChangeType.Changed)])
    )
    assert await wait_for_diagnostics(client, uri, lambda found: not found) == ()
    models.write_text(MODELS, encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(models.as_uri())))
    await wait_for_diagnostics(client, uri, lambda found: codes(found) == ["WCE101"])


BROKEN = 'import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits\ns = "😀😀" + )\n'


async def test_unparseable_text_is_a_wce000_at_the_error(client: LanguageClient, workspace: Path) -> None:
    uri = (workspace / "train.py").as_uri()
    open_document(client, uri, BROKEN)
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda found: len(found) > 0)
    assert diagnostic.code == "WCE000" and diagnostic.message == "syntax error: unmatched ')'"
    column = utf16_column(BROKEN.splitlines()[2], BROKEN.splitlines()[2].index(")"))
    assert column == 13  # two emoji: two UTF-16 units each
    assert diagnostic.range == types.Range(types.Position(2, column), types.Position(2, column))
    actions = await code_actions_at(client, uri, diagnostic)
    assert actions == []  # no fix, and a noqa would not silence a syntax error
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), diagnostic.range.start)
    )
    assert hover is not None and hover.contents.value.startswith("# syntax-error (WCE000)")  # type: ignore[union-attr]


async def test_a_client_that_counts_code_points_gets_code_point_columns(bare_client: LanguageClient, workspace: Path) -> None:
    response = await bare_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf32])
            ),
            root_uri=workspace.as_uri(),
        )
    )
    assert response.capabilities.position_encoding == types.PositionEncodingKind.Utf32
    uri = (workspace / "train.py").as_uri()
    open_document(bare_client, uri, MISUSE)
    (diagnostic,) = await wait_for_diagnostics(bare_client, uri, lambda found: len(found) > 0)
    start = MISUSE.splitlines()[MISUSE_LINE].index(PROBABILITIES)
    assert diagnostic.range == types.Range(
        types.Position(MISUSE_LINE, start), types.Position(MISUSE_LINE, start + len(PROBABILITIES))
    )
    await bare_client.shutdown_session()


async def test_a_buffer_never_saved_follows_the_workspace_config(client: LanguageClient, workspace: Path) -> None:
    (workspace / "pyproject.toml").write_text(
        PYPROJECT + '[tool.wce-lint.per-file-ignores]\n"Untitled-2" = ["WCE101"]\n', encoding="utf-8"
    )
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent((workspace / "pyproject.toml").as_uri(), types.FileChangeType.Changed)]))
    first, second = "untitled:Untitled-1", "untitled:Untitled-2"
    open_document(client, first, MISUSE)
    open_document(client, second, MISUSE)
    await wait_for_diagnostics(client, first, lambda found: codes(found) == ["WCE101"])
    await wait_for_diagnostics(client, second, lambda found: not found)  # per-file ignores of the workspace


async def test_an_analysis_that_never_ends_is_a_wce000_and_the_server_goes_on(
    bare_client: LanguageClient, workspace: Path
) -> None:
    # No analysis finishes in 10 ms (the analysis process alone takes longer to start): every one is
    # abandoned, its process killed and replaced, as for a text that hangs the parser.
    accept_registrations(bare_client)
    await initialize(bare_client, workspace, {"analysisTimeout": 0.01})
    for number in range(2):
        uri = (workspace / f"train{number}.py").as_uri()
        open_document(bare_client, uri, MISUSE)
        (diagnostic,) = await wait_for_diagnostics(bare_client, uri, lambda found: len(found) > 0)
        assert diagnostic.code == "WCE000"
        assert diagnostic.message == "analysis did not finish within 0.01 s; file skipped"
        assert diagnostic.range == types.Range(types.Position(0, 0), types.Position(0, 0))
    hover = await bare_client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert hover is not None
    await bare_client.shutdown_session()
    assert bare_client._server is not None and bare_client._server.returncode == 0
