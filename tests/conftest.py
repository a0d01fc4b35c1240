"""Fixtures shared by the test modules (a module may define its own ``project`` instead)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder; its ``.git`` bounds the config search, as a repository root does."""
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()
    return root
