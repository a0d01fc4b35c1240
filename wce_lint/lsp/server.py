"""The language server: pygls wiring, debounced linting of the editor's text, code actions, hover.

Flow: ``didOpen``/``didSave`` lint at once and ``didChange`` after a pause in typing (``DEBOUNCE_SECONDS``),
always on the text the editor holds, unsaved edits included. The engine runs in ``worker.Worker`` (a child
process) with the document's real path and the settings of its project (``workspace``), and the findings
are kept per document version: code actions and hover answer from the findings of exactly the text they
are asked about, so an edit computed for older text is never offered.

A configuration file changing on disk (``workspace/didChangeWatchedFiles``, registered when the client
can, or a save of it in the editor) drops the cached settings and lints every open document again.

Robustness: every handler catches what it does not expect and logs it (``window/logMessage``); the
engine's failures on a text become diagnostics; a crash or hang of the child process becomes a WCE000 on
that document and a fresh child for the next request.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import tokenize
from pathlib import Path
from typing import Any, Awaitable, Callable, NamedTuple, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from wce_lint import __version__
from wce_lint.diagnostics import Applicability, Diagnostic
from wce_lint.lsp.convert import (
    FIX_ALL_KIND,
    code_actions,
    failure_diagnostic,
    lsp_diagnostic,
    overlaps,
    workspace_edit,
)
from wce_lint.lsp.positions import UTF16, LineIndex, units
from wce_lint.lsp.worker import Outcome, Request, Worker
from wce_lint.lsp.workspace import WorkspaceSettings, is_config_file, is_excluded

DEBOUNCE_SECONDS = 0.3
PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_GLOBS = ("**/pyproject.toml", "**/.wce-lint.toml", "**/wce-lint.toml")
# The analysis reads the project's other modules from disk (summaries of their functions): a change to one
# can change the findings in every open document.
WATCHED_GLOBS = (*CONFIG_GLOBS, "**/*.py")
_WATCHER_ID = "wce-lint-config-watcher"

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Linted(NamedTuple):
    """The findings on one version of a document, with what they were computed from."""

    version: int | None
    text: str
    index: LineIndex
    findings: list[tuple[Diagnostic, types.Diagnostic]]  # the engine's finding and what was published


class WceLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("wce-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.worker = Worker()
        self.settings = WorkspaceSettings()
        self.debounce = DEBOUNCE_SECONDS
        self.linted: dict[str, Linted] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._reported_config_errors: set[str] = set()
        self.project_changed = False  # files changed on disk: the next analysis forgets the project's modules

    # -- documents ---------------------------------------------------------------------------------
    def open_document(self, uri: str) -> Any:
        from urllib.parse import unquote

        return self.workspace.text_documents.get(unquote(uri))

    def is_python(self, document: Any) -> bool:
        return document.language_id == "python" or str(document.path).endswith(PYTHON_SUFFIXES)

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds; a newer request for it replaces one still waiting."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self._pending[uri] = asyncio.get_running_loop().create_task(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        if self._pending.get(uri) is asyncio.current_task():
            del self._pending[uri]  # from here on, a newer change queues its own run instead of cancelling this
        await guarded(self, f"linting {uri}", self.lint_and_publish(uri))

    async def lint_and_publish(self, uri: str) -> Linted | None:
        document = self.open_document(uri)
        if document is None or not self.is_python(document):
            return None
        linted = await self.lint(document)
        current = self.open_document(uri)
        if current is None or current.version != linted.version:
            return linted  # the text changed meanwhile: a newer run is queued and will publish
        self.linted[uri] = linted
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri, [published for _, published in linted.findings], linted.version)
        )
        return linted

    async def lint(self, document: Any) -> Linted:
        version, text = document.version, document.source
        encoding = self.workspace.position_encoding or UTF16
        index = LineIndex(text, encoding)
        path = document_path(document, self.settings.fallback_root)
        settings, error = self.settings.for_path(path)
        if error is not None:
            self.report_config_error(error)
        if is_excluded(settings, path):
            return Linted(version, text, index, [])
        forget, self.project_changed = self.project_changed, False
        request = Request(document_bytes(text), path, settings, forget_project=forget)
        outcome: Outcome = await asyncio.to_thread(self.worker.run, request)
        for message in outcome.internal_errors:
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"wce-lint: {message}"))
        if outcome.failure is not None:
            failure = (_failure_finding(outcome.failure, path), failure_diagnostic(outcome.failure))
            return Linted(version, text, index, [failure])
        from wce_lint.rules import REGISTRY

        findings = []
        for diagnostic in outcome.diagnostics:
            rule = REGISTRY.get(diagnostic.code)
            published = lsp_diagnostic(
                diagnostic, index, document.uri, rule.url if rule else None, lambda p: other_file_lines(p, encoding)
            )
            findings.append((diagnostic, published))
        return Linted(version, text, index, findings)

    async def current(self, uri: str) -> Linted | None:
        """The findings on the document's text as it is now (linting it if they are older)."""
        document = self.open_document(uri)
        if document is None:
            return None
        linted = self.linted.get(uri)
        if linted is not None and linted.version == document.version:
            return linted
        return await self.lint_and_publish(uri)

    def lint_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            document = self.open_document(uri)
            if document is not None and self.is_python(document):
                self.schedule(document.uri, 0)

    # -- configuration -----------------------------------------------------------------------------
    def report_config_error(self, error: str) -> None:
        if error in self._reported_config_errors:
            return
        self._reported_config_errors.add(error)
        self.window_show_message(
            types.ShowMessageParams(types.MessageType.Error, f"wce-lint: {error} (using the defaults until it is fixed)")
        )

    def reload_config(self) -> None:
        self.settings.invalidate()
        self._reported_config_errors.clear()
        self.files_changed()

    def files_changed(self) -> None:
        """Files changed on disk: what the analysis read of other modules is stale everywhere."""
        self.project_changed = True
        self.lint_all()


def other_file_lines(path: str, encoding: str) -> LineIndex | None:
    """The lines of another module of the project, as the analysis read them (from disk)."""
    from wce_lint.source import UnreadableSource, decode

    try:
        return LineIndex(decode(Path(path).read_bytes()).text, encoding)
    except (OSError, UnreadableSource):
        return None


def document_path(document: Any, workspace_root: Path | None = None) -> str:
    """The file's real path (per-file ignores, project discovery). A buffer never saved (``untitled:``)
    is taken as a file of that name at the workspace root, so the workspace's configuration applies."""
    path = to_fs_path(document.uri) if document.uri.startswith("file:") else None
    if path:
        return os.path.abspath(path)
    name = os.path.basename(str(document.path or "")) or "untitled.py"
    return os.path.abspath(os.path.join(workspace_root or os.getcwd(), name))


def document_bytes(text: str) -> bytes:
    """The bytes the editor would save: in the encoding the file declares (PEP 263), else UTF-8.

    Lone surrogates (valid JSON, invalid Unicode) are kept as bytes that are not UTF-8, so the engine
    reports them as an unreadable file instead of the server failing to encode the text."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return data
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError):
        return data  # the engine explains what is wrong with these bytes


def _failure_finding(message: str, path: str) -> Diagnostic:
    from wce_lint.diagnostics import Position

    return Diagnostic("WCE000", "syntax-error", message, path, Position(1, 0), Position(1, 0))


async def guarded(server: LanguageServer, what: str, work: Awaitable[T]) -> T | None:
    """Run ``work``; an unexpected error is logged to the client and never escapes into pygls."""
    try:
        return await work
    except asyncio.CancelledError:
        raise
    except Exception as error:  # nothing a document holds may stop the server
        logger.exception("wce-lint: error while %s", what)
        try:
            server.window_log_message(
                types.LogMessageParams(types.MessageType.Error, f"wce-lint: internal error while {what}: {error!r}")
            )
        except Exception:
            pass
        return None


SERVER = WceLanguageServer()


def _feature(method: str, options: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return SERVER.feature(method, options) if options is not None else SERVER.feature(method)


@_feature(types.INITIALIZE)
def on_initialize(server: WceLanguageServer, params: types.InitializeParams) -> None:
    root = server.workspace.root_path
    server.settings.fallback_root = Path(root) if root else None
    # Initialization options (all optional): {"debounce": seconds after the last change before linting,
    # "analysisTimeout": seconds after which one analysis is abandoned and its process replaced}.
    options = params.initialization_options
    if not isinstance(options, dict):
        return
    debounce, timeout = options.get("debounce"), options.get("analysisTimeout")
    if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 60:
        server.debounce = float(debounce)
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        server.worker.timeout = float(timeout)


@_feature(types.INITIALIZED)
async def on_initialized(server: WceLanguageServer, params: types.InitializedParams) -> None:
    if not get_capability(
        server.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
    ):
        return  # the notification is still handled if the client sends it anyway
    registration = types.Registration(
        id=_WATCHER_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
        ),
    )
    try:
        await server.client_register_capability_async(types.RegistrationParams([registration]))
    except Exception as error:  # the client said no after all: saves in the editor still reload
        server.window_log_message(types.LogMessageParams(
            types.MessageType.Warning,
            f"wce-lint: no file watcher ({error}); configuration changes are picked up when saved in the editor",
        ))


@_feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(server: WceLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    server.schedule(params.text_document.uri, 0)


@_feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(server: WceLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    server.schedule(params.text_document.uri, server.debounce)


@_feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
async def did_save(server: WceLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri.startswith("file:") and is_config_file(to_fs_path(uri) or ""):
        server.reload_config()
    else:
        # The saved module may be imported by the other open documents: they are linted again too.
        server.files_changed()


@_feature(types.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(server: WceLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    waiting = server._pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    server.linted.pop(uri, None)
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))


@_feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(server: WceLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = [to_fs_path(change.uri) or change.uri for change in params.changes]
    if any(is_config_file(path) for path in paths):
        server.reload_config()
    elif any(path.endswith(PYTHON_SUFFIXES) for path in paths):
        server.files_changed()


@_feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False),
)
async def code_action(server: WceLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    return await guarded(server, "computing code actions", _code_actions(server, params))


async def _code_actions(server: WceLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    linted = await server.current(uri)
    if linted is None:
        return []
    only = params.context.only
    versioned = bool(get_capability(server.client_capabilities, "workspace.workspace_edit.document_changes", False))
    actions: list[types.CodeAction] = []
    if not only or any(kind == types.CodeActionKind.QuickFix or types.CodeActionKind.QuickFix.startswith(kind)
                       for kind in only):
        in_range = [pair for pair in linted.findings if overlaps(pair[1].range, params.range)]
        actions += code_actions(in_range, linted.text, linted.index, uri, linted.version, versioned)
    # Only when asked for by kind (the editor's "Fix all" / source-action menu, or on save): applying every
    # fix means a full analysis pass or more, too much for each move of the cursor.
    wants_fix_all = bool(only) and any(FIX_ALL_KIND.startswith(kind) for kind in only)
    if wants_fix_all and any(d.fix is not None and d.fix.applicability == Applicability.SAFE for d, _ in linted.findings):
        fix_all = await _fix_all(server, uri, linted, versioned)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


async def _fix_all(server: WceLanguageServer, uri: str, linted: Linted, versioned: bool) -> types.CodeAction | None:
    """Every safe fix of the file at once, as ``wce-lint --fix`` would apply them (re-parsed, iterated)."""
    from wce_lint.source import UnreadableSource, decode

    document = server.open_document(uri)
    if document is None:
        return None
    path = document_path(document, server.settings.fallback_root)
    settings, _ = server.settings.for_path(path)
    data = document_bytes(linted.text)
    outcome = await asyncio.to_thread(server.worker.run, Request(data, path, settings, fix=True))
    if outcome.failure is not None or outcome.fixed is None or outcome.fixed == data:
        return None
    try:
        fixed = decode(outcome.fixed).text
    except UnreadableSource:
        return None
    last = len(linted.index.lines) - 1
    end = types.Position(last, units(linted.index.lines[last], linted.index.encoding))
    edit = types.TextEdit(types.Range(types.Position(0, 0), end), fixed)
    return types.CodeAction(
        title="Fix all safe wce-lint findings",
        kind=FIX_ALL_KIND,
        edit=workspace_edit(uri, linted.version, [edit], versioned),
    )


@_feature(types.TEXT_DOCUMENT_HOVER)
async def hover(server: WceLanguageServer, params: types.HoverParams) -> types.Hover | None:
    return await guarded(server, "computing hover text", _hover(server, params))


async def _hover(server: WceLanguageServer, params: types.HoverParams) -> types.Hover | None:
    linted = server.linted.get(params.text_document.uri)
    document = server.open_document(params.text_document.uri)
    if linted is None or document is None or linted.version != document.version:
        return None  # findings of an older text would point at the wrong place
    point = types.Range(params.position, params.position)
    hits = [pair for pair in linted.findings if overlaps(point, pair[1].range)]
    if not hits:
        return None
    from wce_lint.docs import rule_text
    from wce_lint.rules import REGISTRY

    parts: list[str] = []
    for diagnostic, _ in hits:
        rule = REGISTRY.get(diagnostic.code)
        text = rule_text(rule) if rule is not None else f"# {diagnostic.code}\n"
        if text not in parts:
            parts.append(text)
    first = hits[0][1].range
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(parts)),
        range=first,
    )


@_feature(types.SHUTDOWN)
def on_shutdown(server: WceLanguageServer, params: None) -> None:
    for task in server._pending.values():
        task.cancel()
    server._pending.clear()
    server.worker.stop()


def serve() -> None:
    """Speak LSP on stdin/stdout until the client says ``exit``.

    The protocol owns file descriptor 1: it gets a private duplicate, and fd 1 itself is pointed at stderr,
    so a stray ``print`` (ours, a library's, the child process's) cannot corrupt the stream."""
    stdin = sys.stdin.buffer
    stdout = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="wce-lint server: %(levelname)s: %(message)s")
    try:
        SERVER.start_io(stdin, stdout)
    finally:
        SERVER.worker.stop()
