"""``guard()``: wraps the real TensorFlow/Keras entry points, validates, and always restores them."""

from __future__ import annotations

import logging
import threading
import warnings

import numpy as np
import pytest

from wce_lint.runtime import WCELossError, guard
from wce_lint.runtime.findings import WCELossWarning
from wce_lint.runtime.guarding import is_active


@pytest.fixture()
def entry_points(tf, keras):
    """The original objects, read before any guard, to compare with after it."""
    loss_wrapper = keras.losses.BinaryCrossentropy.__mro__[1]
    return {
        "tf.nn.weighted": (tf.nn, "weighted_cross_entropy_with_logits", tf.nn.weighted_cross_entropy_with_logits),
        "tf.nn.sigmoid": (tf.nn, "sigmoid_cross_entropy_with_logits", tf.nn.sigmoid_cross_entropy_with_logits),
        "tf.nn.softmax": (tf.nn, "softmax_cross_entropy_with_logits", tf.nn.softmax_cross_entropy_with_logits),
        "tf.nn.sparse": (tf.nn, "sparse_softmax_cross_entropy_with_logits",
                         tf.nn.sparse_softmax_cross_entropy_with_logits),
        "v1.softmax_v2": (tf.compat.v1.nn, "softmax_cross_entropy_with_logits_v2",
                          tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2),
        "keras.bce": (keras.losses, "binary_crossentropy", keras.losses.binary_crossentropy),
        "tf.keras.focal": (tf.keras.losses, "binary_focal_crossentropy", tf.keras.losses.binary_focal_crossentropy),
        "Loss.__call__": (loss_wrapper, "__call__", loss_wrapper.__call__),
    }


def assert_restored(entry_points) -> None:
    for key, (owner, attribute, original) in entry_points.items():
        assert getattr(owner, attribute) is original, key
    owner = entry_points["Loss.__call__"][0]
    assert "__call__" not in vars(owner), "the inherited Loss.__call__ must be inherited again"
    assert not is_active()


def test_entry_points_are_replaced_inside_and_restored_after(entry_points) -> None:
    with guard():
        for key, (owner, attribute, original) in entry_points.items():
            assert getattr(owner, attribute) is not original, key
    assert_restored(entry_points)


def test_restored_even_when_the_block_raises(tf, entry_points) -> None:
    with pytest.raises(WCELossError):
        with guard():
            tf.nn.weighted_cross_entropy_with_logits(tf.ones([3]), tf.zeros([3, 1]), 2.0)
    assert_restored(entry_points)
    with pytest.raises(ZeroDivisionError):
        with guard("warn"):
            1 / 0
    assert_restored(entry_points)


def test_raise_mode_stops_the_bad_call_before_it_runs(tf) -> None:
    with guard(mode="raise"):
        with pytest.raises(WCELossError) as raised:
            tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0, 0.0]), tf.constant([2.0, -1.0]), -3.0)
        assert [f.code for f in raised.value.findings] == ["WCE203"]
        assert "tf.nn.weighted_cross_entropy_with_logits" in str(raised.value)
        # Clean calls go through and return TensorFlow's result.
        loss = tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0, 0.0]), tf.constant([2.0, -1.0]), 3.0)
        np.testing.assert_allclose(loss.numpy(), [3 * np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0))], rtol=1e-6)
        # Warning-level findings warn instead of raising.
        with pytest.warns(WCELossWarning, match="WCE101"):
            tf.nn.sigmoid_cross_entropy_with_logits(tf.constant([1.0, 0.0]), tf.constant([0.9, 0.2]))


def test_warn_mode_warns_and_lets_the_call_run(tf) -> None:
    with guard(mode="warn"):
        with pytest.warns(WCELossWarning, match="WCE304 labels-out-of-range") as record:
            loss = tf.nn.sigmoid_cross_entropy_with_logits(tf.constant([0.0, 3.0]), tf.constant([1.0, -1.0]))
    assert loss.shape == (2,)
    assert record[0].filename == __file__, "the warning points at the caller"


def test_log_mode_logs(tf, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="wce_lint.runtime"):
        with guard(mode="log"):
            loss = tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0]), tf.constant([-3.0]), -2.0)
    assert float(loss.numpy()[0]) < 0, "a negative pos_weight silently makes the loss negative"
    assert any(record.getMessage().startswith("tf.nn.weighted_cross_entropy_with_logits: WCE203")
               for record in caplog.records)


def test_keras_functions_classes_and_compile_strings(tf, keras) -> None:
    with guard():
        with pytest.raises(WCELossError, match="WCE102"):
            keras.losses.binary_crossentropy(tf.constant([1.0, 0.0]), tf.constant([3.0, -2.0]))
        with pytest.raises(WCELossError, match="WCE503"):
            tf.keras.losses.BinaryFocalCrossentropy(gamma=-1.0)(tf.constant([1.0]), tf.constant([0.4]))
        # Loss.__call__ squeezes [N] against [N, 1]: not a mismatch there.
        keras.losses.BinaryCrossentropy()(tf.constant([1.0, 0.0]), tf.constant([[0.9], [0.2]]))
        # A sigmoid model compiled with from_logits=True: caught while model.fit traces its train step.
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), optimizer="sgd")
        with pytest.raises(WCELossError, match="WCE101.*Sigmoid op"):
            model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
        # The loss string resolves to the same wrapper class: a static shape mismatch is caught in the trace.
        model.compile(loss="binary_crossentropy", optimizer="sgd")
        with pytest.raises(WCELossError, match="WCE301"):
            model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)


def test_graph_asserts_catch_bad_values_during_model_fit(tf, keras) -> None:
    # Inside model.fit the labels are symbolic: their values are checked only by run-time assertions.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), optimizer="sgd")
    with guard(graph_asserts=True):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
        with pytest.raises(tf.errors.InvalidArgumentError, match="WCE304"):
            model.fit(np.ones((4, 3)), np.full((4, 1), 2.0), epochs=1, verbose=0)
    # Without graph_asserts the same values pass silently. (Assertions stay in a graph once traced: compile
    # again so Keras re-traces its train step.)
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), optimizer="sgd")
    with guard():
        model.fit(np.ones((4, 3)), np.full((4, 1), 2.0), epochs=1, verbose=0)


def test_a_call_made_by_a_wrapped_call_is_not_reported_twice(tf, keras) -> None:
    # Keras's binary_crossentropy(from_logits=True) calls tf.nn.sigmoid_cross_entropy_with_logits itself.
    with guard("warn"):
        with pytest.warns(WCELossWarning) as record:
            keras.losses.binary_crossentropy(tf.constant([1.0, 0.0]), tf.constant([0.8, 0.3]), from_logits=True)
    messages = [str(item.message) for item in record if issubclass(item.category, WCELossWarning)]
    assert len(messages) == 1 and messages[0].startswith("keras.losses.binary_crossentropy: WCE101")


def test_decorator_forms_and_nesting(tf, entry_points) -> None:
    bad = (tf.constant([1.0]), tf.constant([0.5]), tf.constant(0.0))  # WCE204

    @guard
    def bare():
        return tf.nn.weighted_cross_entropy_with_logits(*bad)

    @guard("warn")
    def warning():
        return tf.nn.weighted_cross_entropy_with_logits(*bad)

    with pytest.raises(WCELossError, match="WCE204"):
        bare()
    with pytest.warns(WCELossWarning, match="WCE204"):
        warning()
    # The innermost guard's mode wins; leaving it restores the outer one.
    with guard("raise"):
        with pytest.warns(WCELossWarning):
            warning()
        with pytest.raises(WCELossError):
            tf.nn.weighted_cross_entropy_with_logits(*bad)
    assert_restored(entry_points)
    with pytest.raises(ValueError, match="mode"):
        guard("loud")


def test_inside_tf_function_the_trace_is_checked(tf) -> None:
    @tf.function
    def step(scores):
        return tf.reduce_mean(tf.nn.weighted_cross_entropy_with_logits(tf.ones([4]), tf.sigmoid(scores), 2.0))

    with guard():
        with pytest.raises(WCELossError, match="WCE101") as raised:
            step(tf.zeros([4]))
    assert raised.value.findings and raised.value.findings[0].severity == "error"


def test_names_bound_before_the_guard_are_not_wrapped(tf) -> None:
    # Documented limit: `from tensorflow.nn import weighted_cross_entropy_with_logits as wce` keeps the original.
    early = tf.nn.weighted_cross_entropy_with_logits
    with guard():
        early(tf.constant([1.0]), tf.constant([0.5]), -1.0)  # not checked, no error
        with pytest.raises(WCELossError):
            tf.nn.weighted_cross_entropy_with_logits(tf.constant([1.0]), tf.constant([0.5]), -1.0)


def test_thread_safety(tf, entry_points) -> None:
    bad = (tf.constant([1.0]), tf.constant([2.0]), tf.constant(-1.0))
    problems: list[str] = []
    start = threading.Barrier(5)

    def guarded_worker() -> None:
        start.wait()
        for _ in range(25):
            with guard():
                try:
                    tf.nn.weighted_cross_entropy_with_logits(*bad)
                    problems.append("a guarded thread's bad call did not raise")
                except WCELossError:
                    pass

    def unguarded_worker() -> None:
        start.wait()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(100):
                try:  # a thread outside any guard is never checked, whatever the others do
                    tf.nn.weighted_cross_entropy_with_logits(*bad)
                except Exception as error:  # noqa: BLE001
                    problems.append(f"unguarded thread got {error!r}")

    threads = [threading.Thread(target=guarded_worker) for _ in range(4)]
    threads.append(threading.Thread(target=unguarded_worker))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []
    assert_restored(entry_points)
