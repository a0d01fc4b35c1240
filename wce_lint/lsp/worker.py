"""The engine runs in a child process, one request at a time.

A document is whatever the user typed, and the server must outlive all of them. The engine already turns
every known pathology into a WCE000 (deep nesting, huge files, time limits), but LibCST's native parser
runs below Python: a crash there would take the whole process with it, and its parsing phase cannot be
interrupted. In a child process a crash or a hang costs one restart: the request is answered with a
failure, the next one starts a fresh child. The child also keeps the engine's imports (LibCST, the rules)
and its per-process caches warm between keystrokes, and it runs the engine in its main thread, where the
per-file time limit (``SIGALRM``) works.

``spawn``, not ``fork``: the server has threads (pygls's reader, the event loop's executor), and forking a
threaded process can deadlock the child.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from wce_lint.diagnostics import Diagnostic
    from wce_lint.settings import Settings

# Above the engine's own per-file limit: the engine reports its own time-outs; this catches only what it
# cannot interrupt.
MARGIN_SECONDS = 30.0
NO_LIMIT_SECONDS = 300.0


class Request(NamedTuple):
    data: bytes
    path: str
    settings: Settings
    fix: bool = False  # True: apply the fixes (``fix_source``) and return the fixed bytes too
    unsafe: bool = False
    # Files of the project changed on disk since the last request: forget the other modules the analysis
    # read (their summaries), so that they are read again.
    forget_project: bool = False


class Outcome(NamedTuple):
    diagnostics: list[Diagnostic]
    internal_errors: list[str]
    fixed: bytes | None = None
    failure: str | None = None  # the child died or hung: nothing is known about the text


def handle(request: Request) -> Outcome:
    """What the child does with one request (also callable in-process)."""
    if request.forget_project:
        from wce_lint.analysis import project

        project.reset()
    if request.fix:
        from wce_lint.fixes import fix_source

        fixed = fix_source(request.data, request.path, request.settings, unsafe=request.unsafe)
        return Outcome(fixed.diagnostics, fixed.internal_errors, fixed.fixed)
    from wce_lint.engine import lint_source

    # The engine's in-memory entry point, given the document's real path and its project's settings:
    # per-file ignores, and whatever the engine learns about the file's project, apply as on disk.
    result = lint_source(request.data, request.path, request.settings)
    return Outcome(result.diagnostics, result.internal_errors)


def _serve(connection: Connection) -> None:
    # The server's stdout is the LSP stream: nothing the engine or a library prints may land there.
    os.dup2(2, 1)
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return  # the server is gone
        try:
            outcome = handle(request)
        except Exception as error:  # a bug of ours: the server reports it, the child lives on
            outcome = Outcome([], [f"{request.path}: internal error: {type(error).__name__}: {error}"])
        connection.send(outcome)


def default_timeout() -> float:
    from wce_lint.timelimit import limit_seconds

    seconds = limit_seconds()
    return (seconds if seconds is not None else NO_LIMIT_SECONDS) + MARGIN_SECONDS


class Worker:
    """The child process. ``run`` blocks: call it from a thread, never from the event loop."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = default_timeout() if timeout is None else timeout
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._last_exit_code: int | None = None
        self._stopped = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def run(self, request: Request) -> Outcome:
        with self._lock:
            outcome = self._run_once(request)
            if outcome is None:
                # The process died. Perhaps before this request (killed, out of memory elsewhere): a fresh
                # one gets a second try. If the text itself kills it, the second death is the answer.
                outcome = self._run_once(request)
            if outcome is None:
                code = self._last_exit_code
                return _failed(f"the analysis process stopped (exit code {code}) on this text; file skipped")
            return outcome

    def _run_once(self, request: Request) -> Outcome | None:
        if self._stopped:
            return _failed("the language server is shutting down; file skipped")
        connection = self._ensure_started()
        try:
            connection.send(request)
            if not connection.poll(self.timeout):
                self._discard()
                return _failed(f"analysis did not finish within {self.timeout:g} s; file skipped")
            outcome: Outcome = connection.recv()
            return outcome
        except (EOFError, OSError):
            self._last_exit_code = self._discard()
            return None

    def stop(self) -> None:
        """End the child now, even in the middle of an analysis (``shutdown`` must not wait for one); a
        ``run`` after this answers with a failure instead of starting another child."""
        self._stopped = True
        process = self._process
        if process is not None and process.is_alive():
            process.kill()  # a run in progress sees the pipe close and returns
        with self._lock:
            self._discard()

    def _ensure_started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._discard()
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_serve, args=(child,), name="wce-lint-worker", daemon=True)
        process.start()
        child.close()
        self._process, self._connection = process, parent
        return parent

    def _discard(self) -> int | None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        if process.is_alive():
            process.kill()
        process.join(5)
        return process.exitcode


def _failed(message: str) -> Outcome:
    return Outcome([], [], None, message)
