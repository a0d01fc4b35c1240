"""``compare_to_reference`` with the Keras focal and the class-balanced references (TensorFlow losses)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.runtime.conftest import codes
from wce_lint.runtime import compare_to_reference

LIN = {"alpha": 0.25, "gamma": 2.0, "apply_class_balancing": True, "from_logits": True}
COUNTS, BETA = [900, 90, 9, 3], 0.999


@pytest.fixture(scope="module")
def focal(tf):
    def stable(y_true, y_pred):
        # Lin et al.: alpha_t (1 - p_t)^gamma CE, with CE and 1 - p_t from the logits.
        ce = tf.nn.sigmoid_cross_entropy_with_logits(y_true, y_pred)
        one_minus_p_t = y_true * tf.sigmoid(-y_pred) + (1 - y_true) * tf.sigmoid(y_pred)
        alpha_t = y_true * 0.25 + (1 - y_true) * 0.75
        return alpha_t * one_minus_p_t ** 2 * ce

    def log_of_sigmoid(y_true, y_pred):
        p = tf.sigmoid(y_pred)
        ce = -(y_true * tf.math.log(p) + (1 - y_true) * tf.math.log(1 - p))
        p_t = y_true * p + (1 - y_true) * (1 - p)
        return (y_true * 0.25 + (1 - y_true) * 0.75) * (1 - p_t) ** 2 * ce

    def wrong_gamma(y_true, y_pred):
        ce = tf.nn.sigmoid_cross_entropy_with_logits(y_true, y_pred)
        one_minus_p_t = y_true * tf.sigmoid(-y_pred) + (1 - y_true) * tf.sigmoid(y_pred)
        return (y_true * 0.25 + (1 - y_true) * 0.75) * one_minus_p_t * ce

    return {"stable": stable, "log_of_sigmoid": log_of_sigmoid, "wrong_gamma": wrong_gamma}


def test_a_stable_focal_loss_passes_and_the_report_names_the_framework(focal) -> None:
    report = compare_to_reference(focal["stable"], reference="binary_focal_crossentropy", params=LIN)
    assert report.passed, str(report)
    assert report.framework == "tensorflow"
    first = str(report).splitlines()[0]
    assert first.startswith("focal.<locals>.stable (ran in tensorflow) vs keras.losses.binary_focal_crossentropy(")
    assert "apply_class_balancing=True" in first and "PASSED" in first
    assert {row.dtype for row in report.rows} == {"float16", "float32", "float64"}


def test_log_of_sigmoid_focal_fails_on_saturated_logits(focal) -> None:
    report = compare_to_reference(focal["log_of_sigmoid"], reference="binary_focal_crossentropy", params=LIN)
    assert not report.passed and "WCE601" in codes(report.findings)
    message = next(f.message for f in report.findings if f.code == "WCE601")
    assert "large logits" in message and "log(sigmoid(x))" in message
    worst = report.worst
    assert worst is not None and not np.isfinite(worst.got) and abs(float(worst.logits)) >= 17
    assert "y_true=" in str(worst) and "y_pred=" in str(worst)


def test_a_wrong_focal_loss_is_a_mismatch(focal) -> None:
    report = compare_to_reference(focal["wrong_gamma"], reference="binary_focal_crossentropy", params=LIN,
                                  dtypes=("float64",))
    assert codes(report.findings) == {"WCE602"}
    # The same loss without alpha_t: Keras applies alpha only with apply_class_balancing, and says so.
    report = compare_to_reference(focal["stable"], reference="binary_focal_crossentropy",
                                  params={"alpha": 0.25, "gamma": 2.0, "from_logits": True}, dtypes=("float64",))
    assert not report.passed
    assert any("apply_class_balancing=True" in note for note in report.notes)
    assert "note: alpha has no effect" in str(report)


@pytest.mark.parametrize("params", [
    {"from_logits": True}, {"from_logits": True, "gamma": 0.5, "label_smoothing": 0.1}, LIN, {},
    {"gamma": 3.0, "apply_class_balancing": True, "alpha": 0.6},
])
def test_keras_own_binary_focal_loss_passes(keras, params) -> None:
    loss = functools.partial(keras.losses.binary_focal_crossentropy, **params)
    # Keras returns the mean over the last axis: that shape is accepted.
    report = compare_to_reference(loss, reference="binary_focal_crossentropy", params=params,
                                  dtypes=("float32", "float64"))
    assert report.passed, str(report)
    assert report.framework == "tensorflow"


@pytest.mark.parametrize("params", [{"from_logits": True}, {}, {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1}])
def test_keras_own_categorical_focal_loss_passes(keras, params) -> None:
    loss = functools.partial(keras.losses.categorical_focal_crossentropy, **params)
    report = compare_to_reference(loss, reference="keras.losses.CategoricalFocalCrossentropy", params=params,
                                  dtypes=("float32", "float64"))
    assert report.passed, str(report)


def test_keras_focal_from_probabilities_is_not_finite_in_float16(keras) -> None:
    # 1 - 1e-7 rounds to 1.0 in float16, so Keras's clip no longer keeps log(1 - p) finite: a real limit,
    # reported as such (the docs say to restrict dtypes for Keras-like probability losses).
    report = compare_to_reference(keras.losses.binary_focal_crossentropy, reference="binary_focal_crossentropy",
                                  dtypes=("float16",))
    assert "WCE601" in codes(report.findings)
    # No from_logits given: the report reminds that y_pred then holds probabilities.
    assert any("default from_logits=False" in note for note in report.notes)


def test_a_stable_categorical_focal_loss_passes_where_keras_clips(tf) -> None:
    def exact(y_true, y_pred):
        log_p = tf.nn.log_softmax(y_pred, axis=-1)
        return tf.reduce_sum(0.25 * (1 - tf.exp(log_p)) ** 2 * -(y_true * log_p), axis=-1)

    report = compare_to_reference(exact, reference="categorical_focal_crossentropy", params={"from_logits": True})
    assert report.passed, str(report)
    assert any("exact (log_softmax) value is accepted" in note for note in report.notes)

    def log_of_softmax(y_true, y_pred):
        p = tf.nn.softmax(y_pred, axis=-1)
        return tf.reduce_sum(0.25 * (1 - p) ** 2 * -(y_true * tf.math.log(p)), axis=-1)

    report = compare_to_reference(log_of_softmax, reference="categorical_focal_crossentropy",
                                  params={"from_logits": True})
    assert "WCE601" in codes(report.findings)


@pytest.fixture(scope="module")
def class_balanced(tf):
    def weights(dtype, normalise):
        n = tf.constant(COUNTS, dtype)
        w = (1 - BETA) / (1 - tf.pow(tf.constant(BETA, dtype), n))
        return w / tf.reduce_sum(w) * len(COUNTS) if normalise else w

    def normalised(labels, logits):
        per_example = tf.reduce_sum(labels * weights(logits.dtype, True), axis=-1)
        return per_example * tf.nn.softmax_cross_entropy_with_logits(labels, logits)

    def not_normalised(labels, logits):
        per_example = tf.reduce_sum(labels * weights(logits.dtype, False), axis=-1)
        return per_example * tf.nn.softmax_cross_entropy_with_logits(labels, logits)

    def mean(labels, logits):
        return tf.reduce_mean(normalised(labels, logits))

    return {"normalised": normalised, "not_normalised": not_normalised, "mean": mean}


def test_a_class_balanced_loss_passes(class_balanced) -> None:
    params = {"samples_per_class": COUNTS, "beta": BETA}
    report = compare_to_reference(class_balanced["normalised"], reference="class_balanced_softmax_cross_entropy",
                                  params=params)
    assert report.passed, str(report)
    assert {row.shape[-1] for row in report.rows} == {len(COUNTS)}  # the battery has the loss's classes
    assert "samples_per_class=[900, 90, 9, 3], beta=0.999" in str(report).splitlines()[0]
    assert compare_to_reference(class_balanced["mean"], reference="class_balanced", params=params).passed


def test_weights_not_renormalised_are_a_mismatch(class_balanced) -> None:
    report = compare_to_reference(class_balanced["not_normalised"], reference="class_balanced_softmax_cross_entropy",
                                  params={"samples_per_class": COUNTS, "beta": BETA})
    assert codes(report.findings) == {"WCE602"}
    assert all(not row.passed for row in report.rows)
    assert "class-balanced softmax cross-entropy" in report.findings[0].message


def test_a_class_balanced_loss_for_other_classes_cannot_be_compared(class_balanced) -> None:
    report = compare_to_reference(class_balanced["normalised"], reference="class_balanced_softmax_cross_entropy",
                                  params={"samples_per_class": [5, 5, 5], "beta": BETA}, dtypes=("float32",))
    assert not report.passed
    assert any(row.error and "raised" in row.error for row in report.rows)
