"""Running the real ``wce-lint`` command in a subprocess, shared by the command-line test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# No subprocess may take longer than this: a hang fails the test instead of stalling the suite.
TIMEOUT = 120


def decoded(completed: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[str]:
    """The same result with stdout/stderr as text; undecodable bytes become U+FFFD, never an exception."""
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def run_wce_lint(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None,
                 **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``python -m wce_lint ARGS`` in ``cwd``; ``env`` is added to this process's environment."""
    completed = subprocess.run(
        [sys.executable, "-m", "wce_lint", *args], cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT,
        env={**os.environ, **(env or {})}, **kwargs,
    )
    return decoded(completed)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout[-3000:] + result.stderr[-3000:]
