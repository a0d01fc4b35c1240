"""wce-lint: catch misused cross-entropy losses before they waste a training run.

``%load_ext wce_lint`` in IPython or Jupyter turns on ``guard(mode="warn")`` for the session, and
``%unload_ext wce_lint`` turns it off (``wce_lint.runtime.ipython``). The two hooks below import nothing until
IPython calls them: this module is imported by every CLI run, which must not pay for TensorFlow.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """Called by IPython's ``%load_ext wce_lint``: validate every loss call of the session, as warnings."""
    from wce_lint.runtime.ipython import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Called by IPython's ``%unload_ext wce_lint``: put the original loss functions back."""
    from wce_lint.runtime.ipython import unload

    unload(ipython)
