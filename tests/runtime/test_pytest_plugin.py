"""The pytest plugin, run through pytest's own ``pytester`` (loaded with ``-p``, as the entry point would)."""

from __future__ import annotations

import pytest

import os
from importlib.metadata import entry_points

from tests.runtime.conftest import ROOT

# In the test module, not in tests/runtime/conftest.py: pytest rejects pytest_plugins in a conftest below
# the rootdir.
pytest_plugins = ["pytester"]

MODULE = "wce_lint.pytest_plugin"


def plugin_arguments() -> tuple[str, ...]:
    """``-p MODULE`` unless an installed ``pytest11`` entry point loads it already (loading it twice, under
    two names, is an error in pluggy)."""
    if any(entry.value == MODULE for entry in entry_points(group="pytest11")):
        return ()
    return ("-p", MODULE)


PLUGIN = plugin_arguments()

TESTS = '''
import pytest
import tensorflow as tf

def test_bad_pos_weight():
    tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0]), tf.constant([0.5]), -2.0)

def test_clean():
    tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0]), tf.constant([0.5]), 2.0)

@pytest.mark.no_wce_guard
def test_exempt():
    tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0]), tf.constant([0.5]), -2.0)
'''


def test_wce_guard_fails_the_misusing_test(pytester: pytest.Pytester, tf) -> None:
    pytester.makepyfile(test_losses=TESTS)
    result = pytester.runpytest(*PLUGIN, "--wce-guard")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*wce-lint: every test runs inside*",
                                 "*WCELossError*", "*WCE203 negative-pos-weight*", "*FAILED*test_bad_pos_weight*"])


def test_without_the_option_nothing_is_checked(pytester: pytest.Pytester, tf) -> None:
    pytester.makepyfile(test_losses=TESTS)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=3)
    assert "wce-lint: every test runs" not in result.stdout.str()


def test_option_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--wce-guard*"])


def test_plugin_does_not_import_tensorflow_at_startup(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh interpreter: this process has long imported TensorFlow.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(test_probe='''
import sys

def test_probe():
    assert "tensorflow" not in sys.modules
    assert "wce_lint.pytest_plugin" in sys.modules
''')
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(passed=1)
