"""``--fix`` never corrupts a file: only the fixed spans change (line endings, encoding declarations, BOMs,
form feeds and every other byte stay as they were), concurrent runs leave the file either original or
fixed — never truncated or mixed —, and a file that cannot be written is reported and left untouched.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import libcst as cst
import pytest

from tests.cli_helpers import TIMEOUT, no_traceback, run_wce_lint
from wce_lint.fixes import fix_source
from wce_lint.settings import Settings

# WCE401's safe fix: TF1's `targets=` becomes `labels=` under a TF2 import; nothing else in these files is
# fixable, so the expected result is exactly the original with that keyword renamed.
LINES = [
    "import tensorflow as tf",
    "",
    "",
    "def loss_fn(x, y):",
    "    return tf.nn.weighted_cross_entropy_with_logits(targets=y, logits=x, pos_weight=2.0)",
    "",
    "",
    "def other_loss(x, y):",
    "    first = tf.nn.weighted_cross_entropy_with_logits(",
    "        targets=y,",
    "        logits=x,",
    "        pos_weight=3.0,",
    "    )",
    "    return first",
    "",
]


def expected_fix(original: bytes) -> bytes:
    return original.replace(b"targets=", b"labels=")


def variants() -> dict[str, bytes]:
    text = "\n".join(LINES)
    return {
        "lf": text.encode(),
        "crlf": text.replace("\n", "\r\n").encode(),
        "cr": text.replace("\n", "\r").encode(),
        "mixed": "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(LINES)).encode(),
        "no final newline": text.rstrip("\n").encode(),
        "bom": b"\xef\xbb\xbf" + text.encode(),
        "bom crlf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        "latin-1 cookie": ("# -*- coding: latin-1 -*-\n# caf\xe9, na\xefve\n" + text + "# \xa9 2024\n").encode("latin-1"),
        "cp1252 cookie crlf": ("# coding=cp1252\r\n" + text.replace("\n", "\r\n") + "# \u20ac\r\n").encode("cp1252"),
        "utf-8 non-ascii": ("# caf\xe9 \u2014 \U0001f600\n" + text.replace("def loss_fn(x, y):", "def loss_fn(x, y):  # \u00fc\u00df")
                            + "s = '\u2028\U0001f600'\n").encode(),
        "form feeds and tabs": text.replace("\n\n\n", "\n\x0c\n\x0c\n").replace("        targets", "\t\ttargets").encode(),
        "trailing whitespace": text.replace("\n", "   \n").encode(),
    }


VARIANTS = variants()


# -- bytes outside the fixed spans --------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_only_the_fixed_spans_change(name: str) -> None:
    original = VARIANTS[name]
    result = fix_source(original, "train.py", Settings(preview=True))
    assert result.internal_errors == []
    assert result.fixed_count == 2, [d.code for d in result.diagnostics]
    assert result.fixed == expected_fix(original)
    assert result.diagnostics == []


def test_the_variants_really_differ() -> None:
    # Guard: each variant must keep its peculiarity in the input (else the test above proves nothing).
    assert VARIANTS["crlf"].count(b"\r\n") == len(LINES) - 1
    assert b"\n" not in VARIANTS["cr"]
    mixed = VARIANTS["mixed"]
    assert b"\r\n" in mixed and re.search(rb"[^\r]\n", mixed) and re.search(rb"\r[^\n]", mixed)
    assert b"\xe9" in VARIANTS["latin-1 cookie"] and b"\x80" in VARIANTS["cp1252 cookie crlf"]


@pytest.mark.parametrize("name", ["crlf", "mixed", "latin-1 cookie", "bom crlf", "cr"])
def test_cli_fix_writes_exactly_the_expected_bytes_and_keeps_the_mode(project: Path, name: str) -> None:
    path = project / "train.py"
    path.write_bytes(VARIANTS[name])
    path.chmod(0o640)
    result = run_wce_lint(project, "--no-cache", "--fix", "train.py")
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 2 errors." in result.stdout
    assert path.read_bytes() == expected_fix(VARIANTS[name])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in project.iterdir() if p.name != ".git"] == ["train.py"]  # no temporary left behind


def test_stdin_fix_keeps_crlf_and_the_bom(project: Path) -> None:
    original = VARIANTS["bom crlf"]
    completed = subprocess.run(
        [sys.executable, "-m", "wce_lint", "--no-cache", "--fix", "--stdin-filename", "train.py", "-"],
        cwd=project, input=original, capture_output=True, timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == expected_fix(original)


def test_diff_writes_nothing(project: Path) -> None:
    path = project / "train.py"
    path.write_bytes(VARIANTS["mixed"])
    result = run_wce_lint(project, "--no-cache", "--diff", "train.py")
    no_traceback(result)
    assert result.returncode == 1 and "+    return tf.nn.weighted_cross_entropy_with_logits(labels=y" in result.stdout
    assert path.read_bytes() == VARIANTS["mixed"]


# -- links and ownership --------------------------------------------------------------------------------
def test_fix_through_a_symlink_fixes_the_target_and_keeps_the_link(project: Path) -> None:
    real = project / "src" / "train.py"
    real.parent.mkdir()
    real.write_bytes(VARIANTS["lf"])
    link = project / "train.py"
    link.symlink_to(Path("src") / "train.py")
    result = run_wce_lint(project, "--no-cache", "--fix", "train.py")
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert link.is_symlink(), "the link was replaced by a regular file"
    assert real.read_bytes() == expected_fix(VARIANTS["lf"])
    assert sorted(p.name for p in real.parent.iterdir()) == ["train.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file to someone else")
def test_fix_as_root_keeps_the_files_owner(project: Path) -> None:
    path = project / "train.py"
    path.write_bytes(VARIANTS["lf"])
    os.chown(path, 4321, 4321)
    result = run_wce_lint(project, "--no-cache", "--fix", "train.py")
    no_traceback(result)
    assert result.returncode == 0
    assert path.read_bytes() == expected_fix(VARIANTS["lf"])
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321)


# -- files that cannot be written -------------------------------------------------------------------------
def test_read_only_file_is_reported_and_left_unchanged(project: Path) -> None:
    path = project / "train.py"
    path.write_bytes(VARIANTS["crlf"])
    path.chmod(0o444)
    before = path.stat()
    result = run_wce_lint(project, "--no-cache", "--fix", "train.py")
    no_traceback(result)
    assert result.returncode == 2
    assert "wce-lint: error: train.py: cannot write the fixes (" in result.stderr
    assert "the file is unchanged" in result.stderr
    assert path.read_bytes() == VARIANTS["crlf"]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_mtime_ns, 0o444)
    assert "WCE401" in result.stdout  # the findings that were not fixed are still reported
    assert sorted(p.name for p in project.iterdir()) == [".git", "train.py"]


def _without_file_capabilities() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_file_in_a_read_only_folder_is_reported_and_left_unchanged(project: Path) -> None:
    folder = project / "locked"
    folder.mkdir()
    path = folder / "train.py"
    path.write_bytes(VARIANTS["lf"])
    extra = {}
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("running as root, where a read-only folder can still be written, and no prctl here")
        extra["preexec_fn"] = _without_file_capabilities  # root without CAP_DAC_OVERRIDE honours the mode
    folder.chmod(0o555)
    try:
        result = run_wce_lint(project, "--no-cache", "--fix", "locked/train.py", **extra)
    finally:
        folder.chmod(0o755)
    no_traceback(result)
    assert result.returncode == 2
    assert "wce-lint: error: locked/train.py: cannot write the fixes (Permission denied); the file is unchanged" in result.stderr
    assert path.read_bytes() == VARIANTS["lf"]
    assert sorted(p.name for p in folder.iterdir()) == ["train.py"]


# -- concurrency --------------------------------------------------------------------------------------------
def test_concurrent_fix_runs_leave_the_file_original_or_fixed(project: Path) -> None:
    original = VARIANTS["crlf"]
    fixed = expected_fix(original)
    path = project / "train.py"
    seen: set[bytes] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                seen.add(path.read_bytes())
            except FileNotFoundError:  # pragma: no cover - os.replace never leaves the name missing
                seen.add(b"<missing>")

    for _ in range(2):
        path.write_bytes(original)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            processes = [
                subprocess.Popen([sys.executable, "-m", "wce_lint", "--no-cache", "--fix", "train.py"], cwd=project,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(4)
            ]
            outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
        finally:
            stop.set()
            watcher.join()
            stop.clear()
        for process, (out, err) in zip(processes, outputs):
            assert b"Traceback" not in out + err, err.decode()
            assert process.returncode == 0, (out + err).decode()
        assert path.read_bytes() == fixed
        cst.parse_module(path.read_bytes())
    assert seen <= {original, fixed}, [s[:80] for s in seen - {original, fixed}]
    assert fixed in seen
    assert sorted(p.name for p in project.iterdir()) == [".git", "train.py"]


def test_fix_racing_an_editor_never_leaves_a_mixed_file(project: Path) -> None:
    # While --fix runs, an "editor" keeps saving the original (atomically, as editors do). Whoever writes
    # last wins, but the file is always one whole version: original or fixed, never a mix.
    original = VARIANTS["mixed"]
    fixed = expected_fix(original)
    path = project / "train.py"
    path.write_bytes(original)
    stop = threading.Event()
    seen: set[bytes] = set()

    def editor() -> None:
        count = 0
        while not stop.is_set():
            temporary = project / f".editor-{count}"
            temporary.write_bytes(original)
            os.replace(temporary, path)
            seen.add(path.read_bytes())
            count += 1
            time.sleep(0.001)

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        results = [run_wce_lint(project, "--no-cache", "--fix", "train.py") for _ in range(2)]
    finally:
        stop.set()
        thread.join()
    for result in results:
        no_traceback(result)
        assert result.returncode in (0, 1)
    seen.add(path.read_bytes())
    assert seen <= {original, fixed}
    assert not list(project.glob(".train.py.*"))
