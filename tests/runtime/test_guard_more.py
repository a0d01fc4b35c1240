"""``guard()`` on ``tf.compat.v1.losses.*``, and the run-time WCE305/WCE306 in guarded calls and models."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from wce_lint.runtime import WCELossError, guard
from wce_lint.runtime.findings import WCELossWarning


def test_compat_v1_losses_are_wrapped_and_restored(tf) -> None:
    originals = {name: getattr(tf.compat.v1.losses, name)
                 for name in ("sigmoid_cross_entropy", "softmax_cross_entropy", "sparse_softmax_cross_entropy")}
    with guard():
        for name, original in originals.items():
            assert getattr(tf.compat.v1.losses, name) is not original, name
    for name, original in originals.items():
        assert getattr(tf.compat.v1.losses, name) is original, name


def test_compat_v1_losses_are_checked_under_their_own_argument_names(tf) -> None:
    logits = tf.constant([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    with guard():
        # Clean calls run and return TensorFlow's value (labels are cast by these losses: ints are fine).
        loss = tf.compat.v1.losses.sigmoid_cross_entropy(tf.constant([[1, 0, 1], [0, 0, 1]]), logits)
        assert np.isfinite(float(loss))
        tf.compat.v1.losses.sparse_softmax_cross_entropy(tf.constant([[0], [2]]), logits)  # [N, 1] ids squeeze
        with pytest.raises(WCELossError, match=r"(?s)tf\.compat\.v1\.losses\.sigmoid_cross_entropy.*WCE304") as error:
            tf.compat.v1.losses.sigmoid_cross_entropy(multi_class_labels=tf.constant([[0.0, 2.0, 1.0]] * 2),
                                                      logits=logits)
        assert error.value.findings[0].argument == "multi_class_labels"
        with pytest.raises(WCELossError, match="WCE601 non-finite-input: weights"):
            tf.compat.v1.losses.softmax_cross_entropy(tf.one_hot([0, 2], 3), logits, weights=[1.0, np.nan])
        with pytest.raises(WCELossError, match="WCE305"):
            tf.compat.v1.losses.sparse_softmax_cross_entropy(tf.one_hot([0, 2], 3), logits)
        # Eager probabilities are a warning-level WCE101 (values only); a traced Softmax op is an error.
        with pytest.warns(WCELossWarning, match="WCE101"):
            tf.compat.v1.losses.softmax_cross_entropy(tf.one_hot([0, 2], 3), tf.nn.softmax(logits))

        @tf.function
        def step(labels, scores):
            return tf.compat.v1.losses.sigmoid_cross_entropy(labels, tf.sigmoid(scores))

        with pytest.raises(WCELossError, match="WCE101.*Sigmoid op"):
            step(tf.ones([2, 3]), logits)


def test_one_finding_for_class_ids_given_to_a_dense_loss(tf) -> None:
    with guard():
        with pytest.raises(WCELossError) as error:
            tf.nn.softmax_cross_entropy_with_logits(tf.constant([0, 2]), tf.constant([[2.0, -1.0, 0.5]] * 2))
    # Not also WCE301 (shape), WCE303 (dtype) or WCE304 (range): one problem, one finding.
    assert [finding.code for finding in error.value.findings] == ["WCE305"]


def test_a_single_unit_softmax_model_is_caught_when_fit_traces(tf, keras) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="softmax")])
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    with guard(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras warns about the size-1 softmax itself
        with pytest.raises(WCELossError, match="WCE306 single-class-softmax.*Softmax op") as error:
            model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    assert [finding.code for finding in error.value.findings] == ["WCE306"]  # WCE102 stands down


def test_categorical_crossentropy_over_one_output_is_reported(tf, keras) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), optimizer="sgd")
    with guard("warn"), pytest.warns(WCELossWarning, match="WCE306.*identically 0"), warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # Keras's own warning about one class
        model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    # Two units: no WCE306.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), optimizer="sgd")
    with guard(), warnings.catch_warnings():
        warnings.simplefilter("error", WCELossWarning)
        model.fit(np.ones((4, 3)), np.eye(2)[[0, 1, 0, 1]], epochs=1, verbose=0)
