"""``compare_to_reference`` against TensorFlow's own ops: correct losses pass, unstable ones fail and say why."""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.conftest import codes
from wce_lint.runtime import ComparisonReport, compare_to_reference


@pytest.fixture(scope="module")
def losses(tf):
    def naive(labels, logits, pos_weight):
        probabilities = tf.sigmoid(logits)
        return -(labels * tf.math.log(probabilities) * pos_weight
                 + (1 - labels) * tf.math.log(1 - probabilities))

    def stable(labels, logits, pos_weight):
        # (1 - z) x + (1 + (q - 1) z) softplus(-x): TensorFlow's formula with softplus(-x) = log(1 + e^-x).
        log_weight = 1 + (pos_weight - 1) * labels
        return (1 - labels) * logits + log_weight * tf.nn.softplus(-logits)

    def epsilon_guarded(labels, logits, pos_weight):
        probabilities = tf.clip_by_value(tf.sigmoid(logits), 1e-7, 1 - 1e-7)
        return -(labels * tf.math.log(probabilities) * pos_weight
                 + (1 - labels) * tf.math.log(1 - probabilities))

    return {"naive": naive, "stable": stable, "epsilon_guarded": epsilon_guarded}


def test_tensorflows_own_op_passes(tf) -> None:
    report = compare_to_reference(tf.nn.weighted_cross_entropy_with_logits)
    assert report.passed, str(report)
    assert report.findings == []
    assert {row.dtype for row in report.rows} == {"float16", "float32", "float64"}
    assert {row.pos_weight.split("[")[0] for row in report.rows} >= {"scalar", "per-class"}
    assert max(row.elements for row in report.rows) >= 46  # the overflow-edge rows
    # The battery reaches the edges the issue names.
    assert "PASSED" in str(report)


def test_a_stable_hand_written_loss_passes(losses) -> None:
    report = compare_to_reference(losses["stable"])
    assert report.passed, str(report)
    assert report.max_rel_error < 1e-2  # float16 rows dominate


def test_the_naive_loss_fails_and_the_report_says_why(losses) -> None:
    report = compare_to_reference(losses["naive"])
    assert not report.passed
    assert codes(report.findings) == {"WCE601", "WCE602"}
    non_finite = next(f for f in report.findings if f.code == "WCE601")
    assert "non-finite" in non_finite.message
    assert "log(sigmoid(x))" in non_finite.message and "large logits" in non_finite.message
    text = str(report)
    assert "FAILED" in text and "worst:" in text and ("got inf" in text or "got nan" in text)
    float32_edges = next(r for r in report.rows if r.name == "edges/hard" and r.dtype == "float32")
    assert not float32_edges.passed and float32_edges.nonfinite_outputs > 0
    # 1 - sigmoid(x) loses float32 precision from |x| ~ 10 on and rounds to 0 from ~17 (log -> inf).
    assert float32_edges.failing_logit_magnitude is not None and float32_edges.failing_logit_magnitude >= 8
    # Small logits are fine for the naive formula: the scalar case (logit 2.5) passes.
    assert next(r for r in report.rows if r.name == "scalar" and r.dtype == "float32").passed


def test_clipping_hides_the_nan_but_fails_on_values_and_gradients(losses) -> None:
    report = compare_to_reference(losses["epsilon_guarded"], dtypes=("float32", "float64"))
    assert not report.passed
    messages = [f.message for f in report.findings if f.code == "WCE602"]
    assert any(message.startswith("loss_fn differs") for message in messages), messages
    gradient = next(m for m in messages if "gradient" in m)
    assert "d loss/d logits" in gradient


def test_user_cases_are_run_and_reported(tf, losses) -> None:
    cases = [{"name": "mine", "labels": [[1.0, 0.0]], "logits": [[120.0, -120.0]], "pos_weight": [2.0, 1.0],
              "dtype": "float32"}]
    report = compare_to_reference(losses["naive"], cases=cases, include_generated=False)
    (row,) = report.rows
    assert row.name == "mine" and row.dtype == "float32" and row.pos_weight == "per-class[2]"
    assert not row.passed and row.nonfinite_outputs == 2
    assert "mine" in str(report)
    assert compare_to_reference(losses["stable"], cases=cases, include_generated=False).passed


def test_other_references(tf) -> None:
    for reference, op in [("sigmoid_cross_entropy_with_logits", tf.nn.sigmoid_cross_entropy_with_logits),
                          ("softmax_cross_entropy_with_logits", tf.nn.softmax_cross_entropy_with_logits),
                          ("sparse_softmax_cross_entropy_with_logits", tf.nn.sparse_softmax_cross_entropy_with_logits)]:
        report = compare_to_reference(op, reference=reference)
        assert report.passed, str(report)

    def log_of_softmax(labels, logits):
        return -tf.reduce_sum(labels * tf.math.log(tf.nn.softmax(logits)), axis=-1)

    report = compare_to_reference(log_of_softmax, reference="softmax_cross_entropy_with_logits")
    assert not report.passed and "WCE601" in codes(report.findings)


def test_a_mean_reducing_loss_is_compared_with_the_mean(tf, losses) -> None:
    def mean_loss(labels, logits, pos_weight):
        return tf.reduce_mean(losses["stable"](labels, logits, pos_weight))

    assert compare_to_reference(mean_loss, dtypes=("float32", "float64")).passed

    def summed(labels, logits, pos_weight):
        return tf.reduce_sum(losses["stable"](labels, logits, pos_weight))

    assert not compare_to_reference(summed, dtypes=("float64",)).passed


def test_unusable_loss_functions_are_reported_not_raised(tf) -> None:
    def not_differentiable(labels, logits, pos_weight):
        return tf.constant(np.asarray(logits) * 0.0)

    report = compare_to_reference(not_differentiable, dtypes=("float32",))
    assert not report.passed
    assert all(row.error and "not differentiable" in row.error for row in report.rows)
    assert "could not be compared" in report.findings[-1].message

    def wrong_shape(labels, logits, pos_weight):
        return tf.reshape(logits, [-1])[:1]

    report = compare_to_reference(wrong_shape, dtypes=("float32",), check_gradients=False)
    assert any("per-element loss" in (row.error or "") for row in report.rows)

    def float32_only(labels, logits, pos_weight):
        return tf.nn.weighted_cross_entropy_with_logits(labels, logits, pos_weight) + tf.constant(0.0)

    report = compare_to_reference(float32_only)
    assert any("raised" in (row.error or "") for row in report.rows if row.dtype != "float32")
    assert compare_to_reference(float32_only, dtypes=("float32",)).passed


def test_report_prints_an_aligned_table(tf) -> None:
    report = compare_to_reference(tf.nn.weighted_cross_entropy_with_logits, dtypes=("float32",))
    assert isinstance(report, ComparisonReport)
    lines = str(report).splitlines()
    header, rule = lines[1], lines[2]
    assert header.split()[:2] == ["case", "dtype"] and "max abs err" in header and "grad rel err" in header
    assert set(rule.replace(" ", "")) == {"-"}
    table = lines[1: 3 + len(report.rows)]
    # Every column starts where the header's does.
    starts = [i for i in range(1, len(rule)) if rule[i] == "-" and rule[i - 1] == " "]
    for line in table[2:]:
        for start in starts:
            assert line[start - 1] == " ", line


def test_arguments_are_validated(tf) -> None:
    with pytest.raises(ValueError, match="unknown reference"):
        compare_to_reference(tf.nn.weighted_cross_entropy_with_logits, reference="mse")
    with pytest.raises(ValueError, match="unsupported dtype"):
        compare_to_reference(tf.nn.weighted_cross_entropy_with_logits, dtypes=("bfloat16",))
    with pytest.raises(ValueError, match="lacks"):
        compare_to_reference(tf.nn.weighted_cross_entropy_with_logits, cases=[{"labels": [1.0]}])
