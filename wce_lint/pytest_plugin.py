"""pytest plugin: ``--wce-guard`` runs every test inside ``wce_lint.runtime.guard(mode="raise")``.

Registered through the ``pytest11`` entry point, so pytest loads this module in every run of every
project where wce-lint is installed. It must therefore stay cheap: nothing here imports TensorFlow (or the
rest of the runtime) unless ``--wce-guard`` was given, and then only when the first test runs.

``@pytest.mark.no_wce_guard`` exempts a test (one that feeds a loss bad inputs on purpose).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Generator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wce-lint")
    group.addoption(
        "--wce-guard",
        action="store_true",
        default=False,
        dest="wce_guard",
        help="run each test inside wce_lint.runtime.guard(mode='raise'): every TensorFlow/Keras "
             "cross-entropy call is validated and a misuse fails the test (needs wce-lint[runtime])",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "no_wce_guard: do not run this test inside wce-lint's guard even with --wce-guard"
    )
    # A clear usage error instead of a traceback on the first test. (Reached when this module is imported
    # without going through wce_lint.runtime's own TensorFlow check, e.g. from a top-level entry-point shim.)
    if config.getoption("wce_guard", False) and importlib.util.find_spec("tensorflow") is None:
        raise pytest.UsageError('--wce-guard needs TensorFlow: pip install "wce-lint[runtime]"')


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("wce_guard", False):
        return "wce-lint: every test runs inside wce_lint.runtime.guard(mode='raise')"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    if not item.config.getoption("wce_guard", False) or item.get_closest_marker("no_wce_guard"):
        yield
        return
    from wce_lint.runtime.guarding import guard  # TensorFlow is imported here, on the first guarded test

    # An old-style hook wrapper receives the test's outcome instead of its exception, so the guard always
    # exits normally here and restores the original loss functions whatever the test did.
    with guard(mode="raise"):
        yield
