"""Shared setup for the runtime tests: real tensorflow-cpu, no mocks.

Self-contained on purpose (the project's top-level conftest is not required): the repository root is put
on ``sys.path`` so ``wce_lint`` imports without installation, and TensorFlow's C++ start-up chatter is
silenced before the first import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture(scope="session")
def keras(tf):
    import keras as keras_module

    return keras_module


def codes(findings) -> set[str]:
    return {finding.code for finding in findings}
