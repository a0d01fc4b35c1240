"""Losses written with JAX or NumPy are compared against TensorFlow's references; JAX is imported lazily."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.runtime.conftest import codes
from tests.runtime.test_import import run_python
from wce_lint.runtime import compare_to_reference
from wce_lint.runtime.frameworks import detect_framework

jax = pytest.importorskip("jax")  # a test dependency (jax[cpu] in the test extra): present in CI
import jax.numpy as jnp  # noqa: E402

LIN = {"alpha": 0.25, "gamma": 2.0, "apply_class_balancing": True, "from_logits": True}


def focal_jax(y_true, y_pred):
    ce = y_true * -jax.nn.log_sigmoid(y_pred) + (1 - y_true) * -jax.nn.log_sigmoid(-y_pred)
    one_minus_p_t = y_true * jax.nn.sigmoid(-y_pred) + (1 - y_true) * jax.nn.sigmoid(y_pred)
    return (y_true * 0.25 + (1 - y_true) * 0.75) * one_minus_p_t ** 2 * ce


def focal_jax_log_of_sigmoid(y_true, y_pred):
    p = jax.nn.sigmoid(y_pred)
    ce = -(y_true * jnp.log(p) + (1 - y_true) * jnp.log(1 - p))  # noqa: WCE501 - the unstable loss on purpose
    p_t = y_true * p + (1 - y_true) * (1 - p)
    return (y_true * 0.25 + (1 - y_true) * 0.75) * (1 - p_t) ** 2 * ce


def focal_numpy(y_true, y_pred):
    ce = y_true * np.logaddexp(0, -y_pred) + (1 - y_true) * np.logaddexp(0, y_pred)
    p = 1 / (1 + np.exp(-y_pred))
    p_t = y_true * p + (1 - y_true) * (1 - p)
    return (y_true * 0.25 + (1 - y_true) * 0.75) * (1 - p_t) ** 2 * ce


def weighted_numpy_naive(labels, logits, pos_weight):
    p = 1 / (1 + np.exp(-logits))
    return -(labels * np.log(p) * pos_weight + (1 - labels) * np.log(1 - p))


def _helper_in_jax(x):
    return jnp.logaddexp(0.0, x)


def uses_a_jax_helper(labels, logits):
    return _helper_in_jax(logits) - labels * logits


def test_a_jax_focal_loss_passes_with_gradients_from_jax() -> None:
    report = compare_to_reference(focal_jax, reference="binary_focal_crossentropy", params=LIN)
    assert report.passed, str(report)
    assert report.framework == "jax" and "(ran in jax)" in str(report).splitlines()[0]
    # Gradients were compared (by jax.vjp), float64 to float64's tolerance: x64 was on for those cases.
    assert all(row.grad_max_abs_error is not None for row in report.rows)
    assert max(row.max_rel_error for row in report.rows if row.dtype == "float64") < 1e-12
    assert not jax.config.jax_enable_x64  # and off again afterwards


def test_a_jax_focal_loss_with_log_of_sigmoid_fails() -> None:
    report = compare_to_reference(focal_jax_log_of_sigmoid, reference="binary_focal_crossentropy", params=LIN,
                                  dtypes=("float32",))
    assert "WCE601" in codes(report.findings) and report.framework == "jax"


def test_a_jax_loss_for_a_tf_nn_reference_and_a_helper_function() -> None:
    # One dtype: JAX compiles each operation for each new shape and dtype (seconds per case on CI).
    report = compare_to_reference(uses_a_jax_helper, reference="sigmoid_cross_entropy_with_logits",
                                  dtypes=("float32",))
    assert report.framework == "jax" and report.passed, str(report)


def test_a_jax_loss_that_leaves_jax_is_reported_not_differentiable() -> None:
    def through_numpy(labels, logits):
        return jnp.asarray(np.logaddexp(0.0, np.asarray(logits))) - labels * logits

    report = compare_to_reference(through_numpy, reference="sigmoid_cross_entropy_with_logits", dtypes=("float32",))
    assert report.framework == "jax" and not report.passed
    assert all(row.error and "not differentiable" in row.error and "jax.vjp" in row.error for row in report.rows)
    # Values alone can still be compared.
    assert compare_to_reference(through_numpy, reference="sigmoid_cross_entropy_with_logits",
                                dtypes=("float32",), check_gradients=False).passed


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
