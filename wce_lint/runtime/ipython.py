"""The IPython extension: ``%load_ext wce_lint`` enters ``guard(mode="warn")`` for the rest of the session.

A notebook has no block to wrap in ``with guard():``, so the extension enters the guard when loaded and
leaves it when unloaded (``%unload_ext wce_lint``; ``%reload_ext`` does both). Warn mode, not raise: an
exception in the middle of an exploratory cell would lose the user's state for a finding they may already
know about; every finding is issued as a ``WCELossWarning``, which IPython shows under the cell.

The guard is entered in the thread that runs ``%load_ext`` — the thread that runs the cells, in IPython's
terminal shell and in ipykernel alike — and validation is per thread (see ``guarding``), so loss calls in
threads the notebook starts itself are not checked.
"""

from __future__ import annotations

from typing import Any

from wce_lint.runtime.guarding import Guard

_session_guard: Guard | None = None


def load(ipython: Any) -> None:
    global _session_guard
    if _session_guard is not None:  # IPython does not load an extension twice, but a direct call might
        return
    session_guard = Guard("warn")
    session_guard.__enter__()
    _session_guard = session_guard


def unload(ipython: Any) -> None:
    global _session_guard
    if _session_guard is None:
        return
    session_guard, _session_guard = _session_guard, None
    session_guard.__exit__(None, None, None)
