"""Runtime checks for cross-entropy losses on real tensors (needs TensorFlow: ``wce-lint[runtime]``).

* ``validate`` / ``check`` — the catalog's checks (same codes as the static rules) on real arguments.
* ``compare_to_reference`` — run a loss function (TensorFlow, JAX or NumPy) against a TensorFlow reference
  (the ``tf.nn`` ops, Keras's focal losses, a class-balanced softmax loss) on a battery of hard cases.
* ``guard`` — validate every TensorFlow/Keras cross-entropy call made inside a block, a function, or
  (through the pytest plugin's ``--wce-guard``) a test.
* ``reference`` — NumPy float64 reference implementations.

TensorFlow is imported lazily (and JAX only to run a loss written with it): importing this package only
checks that TensorFlow is installed, so the pytest plugin (``wce_lint.pytest_plugin``, loaded by every pytest
run) costs nothing until ``--wce-guard`` is given.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

INSTALL_HINT = 'pip install "wce-lint[runtime]"'


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a blocked import, or sys.modules[module] = None
        return False


_missing = [module for module in ("tensorflow", "numpy") if not _installed(module)]
if _missing:
    raise ImportError(
        f"wce_lint.runtime needs {' and '.join(_missing)}, which {'is' if len(_missing) == 1 else 'are'} not "
        f"installed: {INSTALL_HINT}",
        name=_missing[0],
    )

# public name -> module that defines it; loaded on first access (PEP 562) so TensorFlow is imported only
# when a runtime feature is actually used.
_EXPORTS: dict[str, str] = {
    "validate": "wce_lint.runtime.validation",
    "check": "wce_lint.runtime.validation",
    "Finding": "wce_lint.runtime.findings",
    "WCELossError": "wce_lint.runtime.findings",
    "WCELossWarning": "wce_lint.runtime.findings",
    "compare_to_reference": "wce_lint.runtime.comparison",
    "ComparisonReport": "wce_lint.runtime.comparison",
    "CaseResult": "wce_lint.runtime.comparison",
    "guard": "wce_lint.runtime.guarding",
}
_SUBMODULES = frozenset({"reference", "findings", "apis", "validation", "comparison", "guarding",
                         "pytest_plugin", "reference_ops", "battery", "frameworks", "value_kinds"})

__all__ = [
    "CaseResult", "ComparisonReport", "Finding", "WCELossError", "WCELossWarning", "check",
    "compare_to_reference", "guard", "reference", "validate",
]

if TYPE_CHECKING:
    from wce_lint.runtime import reference
    from wce_lint.runtime.comparison import CaseResult, ComparisonReport, compare_to_reference
    from wce_lint.runtime.findings import Finding, WCELossError, WCELossWarning
    from wce_lint.runtime.guarding import guard
    from wce_lint.runtime.validation import check, validate


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
