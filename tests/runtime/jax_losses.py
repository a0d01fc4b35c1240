"""JAX losses for tests/runtime/test_compare_frameworks.py, and the comparisons run on them.

The comparisons run in a subprocess (``python -m tests.runtime.jax_losses`` prints JSON): running JAX
starts its thread pool, and the rest of the suite forks (the CLI's parallel workers), which JAX warns may
deadlock. Importing this module only defines functions: it starts nothing.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np

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


def _helper_in_jax(x):
    return jnp.logaddexp(0.0, x)


def uses_a_jax_helper(labels, logits):
    return _helper_in_jax(logits) - labels * logits


def through_numpy(labels, logits):
    return jnp.asarray(np.logaddexp(0.0, np.asarray(logits))) - labels * logits


def _summary(report) -> dict:
    return {
        "passed": report.passed,
        "framework": report.framework,
        "codes": sorted({finding.code for finding in report.findings}),
        "first_line": str(report).splitlines()[0],
        "errors": [row.error for row in report.rows],
        "gradients_compared": all(row.grad_max_abs_error is not None for row in report.rows),
        "float64_max_rel_error": max((row.max_rel_error for row in report.rows if row.dtype == "float64"),
                                     default=None),
        "x64_after": bool(jax.config.jax_enable_x64),
    }


def main() -> None:
    from wce_lint.runtime import compare_to_reference

    # One dtype where the full battery is not the point: JAX compiles each operation for each new shape
    # and dtype (seconds per case on CI).
    results = {
        "focal": compare_to_reference(focal_jax, reference="binary_focal_crossentropy", params=LIN),
        "log_of_sigmoid": compare_to_reference(focal_jax_log_of_sigmoid, reference="binary_focal_crossentropy",
                                               params=LIN, dtypes=("float32",)),
        "helper": compare_to_reference(uses_a_jax_helper, reference="sigmoid_cross_entropy_with_logits",
                                       dtypes=("float32",)),
        "through_numpy": compare_to_reference(through_numpy, reference="sigmoid_cross_entropy_with_logits",
                                              dtypes=("float32",)),
        "through_numpy_values": compare_to_reference(through_numpy, reference="sigmoid_cross_entropy_with_logits",
                                                     dtypes=("float32",), check_gradients=False),
    }
    print("JSON:" + json.dumps({name: _summary(report) for name, report in results.items()}))


if __name__ == "__main__":
    main()
