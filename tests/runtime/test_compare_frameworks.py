"""Losses written with JAX or NumPy are compared against TensorFlow's references; JAX is imported lazily."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from tests.runtime.conftest import codes
from tests.runtime.test_import import run_python
from wce_lint.runtime import compare_to_reference
from wce_lint.runtime.frameworks import detect_framework

# jax[cpu] is in the test extra: a missing JAX is a failure here, not a skip that would look green.
import jax  # noqa: E402

from tests.runtime.jax_losses import LIN, focal_jax  # noqa: E402


@pytest.fixture(scope="module")
def jax_runs() -> dict:
    """The JAX comparisons, run once in a subprocess (see tests/runtime/jax_losses.py for why)."""
    result = run_python("from tests.runtime.jax_losses import main\nmain()\n")
    line = next((line for line in result.stdout.splitlines() if line.startswith("JSON:")), None)
    assert line is not None, result.stdout + result.stderr
    return json.loads(line[len("JSON:"):])


def focal_numpy(y_true, y_pred):
    ce = y_true * np.logaddexp(0, -y_pred) + (1 - y_true) * np.logaddexp(0, y_pred)
    p = 1 / (1 + np.exp(-y_pred))
    p_t = y_true * p + (1 - y_true) * (1 - p)
    return (y_true * 0.25 + (1 - y_true) * 0.75) * (1 - p_t) ** 2 * ce


def weighted_numpy_naive(labels, logits, pos_weight):
    p = 1 / (1 + np.exp(-logits))
    return -(labels * np.log(p) * pos_weight + (1 - labels) * np.log(1 - p))


def test_a_jax_focal_loss_passes_with_gradients_from_jax(jax_runs) -> None:
    run = jax_runs["focal"]
    assert run["passed"], run
    assert run["framework"] == "jax" and "(ran in jax)" in run["first_line"]
    # Gradients were compared (by jax.vjp), float64 to float64's tolerance: x64 was on for those cases,
    # and is off again afterwards.
    assert run["gradients_compared"] and run["float64_max_rel_error"] < 1e-12
    assert run["x64_after"] is False


def test_a_jax_focal_loss_with_log_of_sigmoid_fails(jax_runs) -> None:
    run = jax_runs["log_of_sigmoid"]
    assert "WCE601" in run["codes"] and run["framework"] == "jax"


def test_a_jax_loss_for_a_tf_nn_reference_and_a_helper_function(jax_runs) -> None:
    run = jax_runs["helper"]
    assert run["framework"] == "jax" and run["passed"], run


def test_a_jax_loss_that_leaves_jax_is_reported_not_differentiable(jax_runs) -> None:
    run = jax_runs["through_numpy"]
    assert run["framework"] == "jax" and not run["passed"]
    assert all(error and "not differentiable" in error and "jax.vjp" in error for error in run["errors"])
    # Values alone can still be compared.
    assert jax_runs["through_numpy_values"]["passed"]


def test_a_numpy_loss_is_compared_on_values_only() -> None:
    report = compare_to_reference(focal_numpy, reference="binary_focal_crossentropy", params=LIN)
    assert report.passed, str(report)
    assert report.framework == "numpy"
    assert all(row.grad_max_abs_error is None for row in report.rows)
    assert "gradients not checked: loss_fn runs in numpy" in str(report)

    report = compare_to_reference(weighted_numpy_naive)
    assert report.framework == "numpy" and "WCE601" in codes(report.findings)


def test_framework_detection_and_override(tf) -> None:
    assert detect_framework(focal_jax) == "jax"
    assert detect_framework(jax.jit(focal_jax)) == "jax"
    assert detect_framework(functools.partial(focal_jax)) == "jax"
    assert detect_framework(focal_numpy) == "numpy"
    assert detect_framework(tf.nn.sigmoid_cross_entropy_with_logits) == "tensorflow"

    def closure_over_tf(labels, logits):
        return tf.nn.softplus(logits) - labels * logits

    assert detect_framework(closure_over_tf) == "tensorflow"
    assert detect_framework(lambda labels, logits: labels) == "tensorflow"  # nothing tells: the default

    # framework= overrides the detection. NumPy reached through a default argument is invisible to it
    # (TensorFlow is assumed), so the loss is told where it runs.
    def hidden_numpy(labels, logits, xp=np):
        return xp.maximum(logits, 0) - logits * labels + xp.log1p(xp.exp(-xp.abs(logits)))

    assert detect_framework(hidden_numpy) == "tensorflow"
    report = compare_to_reference(hidden_numpy, reference="sigmoid_cross_entropy_with_logits", framework="numpy")
    assert report.framework == "numpy" and report.passed, str(report)
    # Forced into TensorFlow, a NumPy loss leaves the tape: no gradient, said so.
    with np.errstate(over="ignore"):
        report = compare_to_reference(focal_numpy, reference="binary_focal_crossentropy", params=LIN,
                                      framework="tensorflow", dtypes=("float32",))
    assert all("not differentiable" in (row.error or "") for row in report.rows)
    with pytest.raises(ValueError, match="unknown framework"):
        compare_to_reference(focal_numpy, framework="torch")


def test_jax_is_imported_only_for_a_jax_function() -> None:
    # TensorFlow itself tries `from jax import jit` at import (tensorflow/lite/python/util.py, guarded by
    # `except ImportError`), so "jax" in sys.modules proves nothing: the finder below records every attempt
    # to import jax made from wce_lint's own code, and blocks jax for everyone.
    result = run_python(
        "import sys, traceback\n"
        "attempts = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'jax':\n"
        "            if any('wce_lint' in frame.filename for frame in traceback.extract_stack()):\n"
        "                attempts.append(name)\n"
        "            raise ImportError('jax blocked for the test')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "from wce_lint.runtime import compare_to_reference\n"
        "def np_loss(labels, logits):\n"
        "    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))\n"
        "assert compare_to_reference(np_loss, reference='sigmoid_cross_entropy_with_logits').passed\n"
        "assert compare_to_reference(tf.nn.sigmoid_cross_entropy_with_logits,\n"
        "                            reference='sigmoid_cross_entropy_with_logits').passed\n"
        "print('attempts by wce_lint:', attempts)\n"
    )
    assert "attempts by wce_lint: []" in result.stdout, result.stdout + result.stderr
