"""The language server's parts without a client: column conversion, where a noqa goes, the analysis
process's restarts, and ``wce-lint server`` when the ``lsp`` extra is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import TIMEOUT, no_traceback
from wce_lint.engine import lint_source
from wce_lint.lsp.noqa import noqa_edit
from wce_lint.lsp.positions import UTF8, UTF16, UTF32, LineIndex
from wce_lint.lsp.server import document_bytes
from wce_lint.lsp.worker import Request, Worker
from wce_lint.settings import Settings

MISUSE_CALL = "tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.nn.sigmoid(x))"


# -- positions -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "encoding, expected",
    # "a😀é" then "x": the emoji is 2 UTF-16 units and 4 UTF-8 bytes, "é" 1 unit and 2 bytes.
    [(UTF16, 4), (UTF8, 7), (UTF32, 3)],
)
def test_columns_in_each_position_encoding(encoding: str, expected: int) -> None:
    index = LineIndex("first\na😀éx = 1\n", encoding)
    assert index.to_client(2, 3) == (1, expected)


def test_line_breaks_are_counted_as_the_engine_counts_them() -> None:
    index = LineIndex("a\r\nb\rc\x0cd\ne", UTF16)  # a form feed does not end a line
    assert index.lines == ["a", "b", "c\x0cd", "e"]
    assert index.to_client(3, 3) == (2, 3)


def test_positions_beyond_the_text_are_clamped() -> None:
    index = LineIndex("ab\ncd", UTF16)
    assert index.to_client(9, 9) == (1, 2)
    assert index.to_client(1, 99) == (0, 2)


# -- noqa ------------------------------------------------------------------------------------------
HEADER = "import tensorflow as tf\n\n\ndef loss_fn(x, y):\n"


def _suppressed_by_noqa(body: str, start_line_of_call: int) -> str:
    """The text after the noqa edit for the WCE101 finding; asserts the engine no longer reports it."""
    text = HEADER + body
    (finding,) = [d for d in lint_source(text.encode(), "t.py", Settings()).diagnostics if d.code == "WCE101"]
    assert finding.start.line == start_line_of_call
    edit = noqa_edit(text, finding.code, finding.start.line)
    lines = text.split("\n")
    target = lines[edit.line - 1]
    lines[edit.line - 1] = target[: edit.column] + edit.text + target[edit.end:]
    edited = "\n".join(lines)
    assert [d.code for d in lint_source(edited.encode(), "t.py", Settings()).diagnostics] == []
    return edited


def test_noqa_goes_at_the_end_of_the_line() -> None:
    edited = _suppressed_by_noqa(f"    return {MISUSE_CALL}   \n", 5)
    assert edited.split("\n")[4] == f"    return {MISUSE_CALL}  # noqa: WCE101"


def test_noqa_extends_an_existing_noqa_and_keeps_other_comments() -> None:
    edited = _suppressed_by_noqa(f"    return {MISUSE_CALL}  # noqa: WCE203 -- reviewed\n", 5)
    assert edited.split("\n")[4] == f"    return {MISUSE_CALL}  # noqa: WCE203, WCE101 -- reviewed"
    edited = _suppressed_by_noqa(f"    return {MISUSE_CALL}  # the # matters\n", 5)
    assert edited.split("\n")[4] == f"    return {MISUSE_CALL}  # the # matters  # noqa: WCE101"


def test_noqa_skips_lines_that_end_inside_a_string_or_after_a_backslash() -> None:
    body = (
        "    return tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.nn.sigmoid(x), name='''a\n"
        "b''')\n"
    )
    edited = _suppressed_by_noqa(body, 5)
    assert edited.split("\n")[5] == "b''')  # noqa: WCE101"
    body = "    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=tf.nn.sigmoid(x)) + \\\n        0\n"
    edited = _suppressed_by_noqa(body, 5)
    assert edited.split("\n")[5] == "        0  # noqa: WCE101"


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    edited = _suppressed_by_noqa(f"    return {MISUSE_CALL[:-1]}, name='# not a comment')\n", 5)
    assert edited.split("\n")[4].endswith("name='# not a comment')  # noqa: WCE101")


# -- document bytes --------------------------------------------------------------------------------
def test_document_bytes_follow_the_declared_encoding() -> None:
    text = "# -*- coding: latin-1 -*-\ns = 'é'\n"
    assert document_bytes(text) == text.encode("latin-1")
    assert document_bytes("s = 'é'\n") == "s = 'é'\n".encode()
    assert document_bytes("s = '\ud800'\n") == b"s = '\xed\xa0\x80'\n"  # not UTF-8: the engine says so


# -- the analysis process --------------------------------------------------------------------------
def _request(tmp_path: Path) -> Request:
    text = f"import tensorflow as tf\n\n\ndef f(x, y):\n    return {MISUSE_CALL}\n"
    return Request(text.encode(), str(tmp_path / "t.py"), Settings(root=tmp_path))


def test_a_killed_analysis_process_is_replaced(tmp_path: Path) -> None:
    worker = Worker()
    try:
        assert [d.code for d in worker.run(_request(tmp_path)).diagnostics] == ["WCE101"]
        first = worker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        outcome = worker.run(_request(tmp_path))
        # Killed between requests: the next request finds it dead and starts a new one.
        assert outcome.failure is None and [d.code for d in outcome.diagnostics] == ["WCE101"]
        assert worker.pid not in (None, first)
    finally:
        worker.stop()
    assert worker.pid is None


def test_an_analysis_that_hangs_is_abandoned_and_the_next_one_runs(tmp_path: Path) -> None:
    # A fresh process cannot even import the engine in 10 ms: to the server, that is a hang.
    worker = Worker(timeout=0.01)
    try:
        outcome = worker.run(_request(tmp_path))
        assert outcome.failure == "analysis did not finish within 0.01 s; file skipped"
        assert outcome.diagnostics == []
        worker.timeout = 120
        assert [d.code for d in worker.run(_request(tmp_path)).diagnostics] == ["WCE101"]
    finally:
        worker.stop()


def test_stop_ends_an_analysis_in_progress_at_once(tmp_path: Path) -> None:
    import threading
    import time

    line = f"    loss = {MISUSE_CALL}\n"
    text = "import tensorflow as tf\n\n\ndef f(x, y):\n" + line * (4_000_000 // len(line))  # seconds to analyse
    worker = Worker()
    assert worker.run(_request(tmp_path)).failure is None  # started and warm
    outcomes = []
    thread = threading.Thread(target=lambda: outcomes.append(
        worker.run(Request(text.encode(), str(tmp_path / "big.py"), Settings(root=tmp_path)))))
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    worker.stop()
    thread.join(30)
    assert time.monotonic() - started < 10 and not thread.is_alive()
    (outcome,) = outcomes
    assert outcome.failure is not None and outcome.diagnostics == []
    assert worker.pid is None
    assert worker.run(_request(tmp_path)).failure == "the language server is shutting down; file skipped"


# -- the command -----------------------------------------------------------------------------------
def test_server_without_the_lsp_extra_says_how_to_install_it(tmp_path: Path) -> None:
    # sys.modules[name] = None makes `import name` fail, as in an environment without the extra.
    code = (
        "import sys\n"
        "sys.modules['pygls'] = None\n"
        "from wce_lint.cli import main\n"
        "sys.argv = ['wce-lint', 'server']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    no_traceback(result)
    assert result.returncode == 2
    assert result.stderr == (
        "wce-lint: error: `wce-lint server` needs pygls (not installed); install it with: pip install 'wce-lint[lsp]'\n"
    )


def test_server_help(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "wce_lint", "server", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "Run the language server on stdin/stdout" in result.stdout


def test_readme_editor_setup_starts_this_server() -> None:
    import json
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Editors (language server)"):]
    section = section[: section.index("\n## ", 1)]
    (vscode,) = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["wce-lint", "server"]
    assert vscode["glspc.server.languageId"] == ["python"]
    (neovim,) = re.findall(r"```lua\n(.*?)```", section, re.DOTALL)
    assert 'cmd = { "wce-lint", "server" }' in neovim and 'pattern = "python"' in neovim
    assert "notebooks" in section.lower()  # what is not supported is said
