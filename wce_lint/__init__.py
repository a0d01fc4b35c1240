"""wce-lint: catch misused cross-entropy losses before they waste a training run."""

from __future__ import annotations

__version__ = "0.1.0"
