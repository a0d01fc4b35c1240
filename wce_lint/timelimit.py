"""A per-file time limit for the analysis, so that one pathological file cannot stall a whole run.

``time_limit(seconds)`` arms ``SIGALRM`` (``signal.setitimer``) around a block; when it fires, the block is
left with ``TimeLimitExceeded`` and the engine reports the file as WCE000 ("analysis took longer than N s;
file skipped"). The exception derives from ``BaseException`` so that the ``except Exception`` guards of the
rules and of LibCST cannot swallow it.

Limits of the mechanism, by design:

* It works in the main thread of a process only (the CLI, and each worker of the process pool). Anywhere
  else (a thread of an editor integration, Windows without ``setitimer``) it is a no-op: no limit.
* If the process already runs its own ``ITIMER_REAL`` timer (a test harness's alarm …), that timer is left
  alone and no limit is applied.
* Python runs signal handlers between bytecodes: LibCST's native tokenizer/parser phase cannot be
  interrupted, so the limit is enforced as soon as control returns to Python code (the building of the
  syntax tree, the rules). The delay is proportional to the file's size.
* A module import in progress is never interrupted (a half-imported LibCST would break later files): the
  alarm is postponed by a few milliseconds until the import is done.

* Because of that, a file that needs parsing and is larger than ``BYTES_PER_SECOND`` per second of the
  limit (6 MB for 60 s) is not parsed at all: ``size_refusal`` explains why, as a WCE000.

The limit comes from the ``WCE_LINT_TIME_LIMIT`` environment variable (seconds, a float; ``0``, ``off`` or
``none`` disables it, and the size cap with it) or else ``DEFAULT_SECONDS``.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Iterator

ENVIRONMENT_VARIABLE = "WCE_LINT_TIME_LIMIT"
# Far above what any real file needs (the largest generated TensorFlow op modules take a few seconds), low
# enough that a pre-commit hook never appears to hang.
DEFAULT_SECONDS = 60.0
# LibCST's native phase (tokenizer and parser, before any Python code runs) cannot be interrupted. It parses
# well over this many bytes per second even on a loaded machine, so a file larger than
# ``limit × BYTES_PER_SECOND`` would overrun the limit before the alarm could stop it: it is refused up front.
BYTES_PER_SECOND = 100_000
# How long an alarm that arrives during an import is postponed.
_RETRY_SECONDS = 0.01


class TimeLimitExceeded(BaseException):
    """The analysis of one file ran out of time (private to the engine: never escapes ``lint_source``)."""


def limit_seconds() -> float | None:
    """The configured limit in seconds, or None when there is none."""
    value = os.environ.get(ENVIRONMENT_VARIABLE)
    if value is None or not value.strip():
        return DEFAULT_SECONDS
    if value.strip().lower() in ("0", "off", "none", "no"):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_SECONDS  # a typo in the environment must not disable the guard
    return seconds if seconds > 0 and seconds == seconds and seconds != float("inf") else None


def size_refusal(size: int, seconds: float | None) -> str | None:
    """Why a file of ``size`` bytes that needs parsing is not even tried under a limit of ``seconds``, or
    None when it may be."""
    if seconds is None:
        return None
    largest = seconds * BYTES_PER_SECOND
    if size <= largest:
        return None
    return (
        f"file too large to analyse within the time limit ({size / 1e6:.1f} MB; at most {largest / 1e6:.1f} MB "
        f"for {seconds:g} s, see {ENVIRONMENT_VARIABLE}); file skipped"
    )


def _importing(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if _importing(frame):
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    raise TimeLimitExceeded()


def _usable() -> bool:
    return (
        hasattr(signal, "setitimer")
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` inside the block once it has run for ``seconds`` (None: no limit)."""
    previous = _install() if seconds is not None and seconds > 0 and _usable() else None
    if previous is None:
        yield
        return
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


def _install() -> object | None:
    """Our SIGALRM handler in place; returns the previous one (None: the limit cannot be applied)."""
    try:
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # someone else's alarm is running: leave it be
            return None
        previous = signal.signal(signal.SIGALRM, _on_alarm)
    except (ValueError, OSError):  # not the main thread after all, or no such timer here
        return None
    # signal.signal returns None for a handler not installed from Python; restoring SIG_DFL is right then.
    return signal.SIG_DFL if previous is None else previous
