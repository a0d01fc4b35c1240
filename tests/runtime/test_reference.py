"""The NumPy references agree with TensorFlow's own ops (and Keras's focal loss) on real tensors."""

from __future__ import annotations

import numpy as np
import pytest

from wce_lint.runtime import reference as R

FLOAT32_EPS = float(np.finfo(np.float32).eps)
EXTREMES = np.array([0.0, 1e-4, 1.0, 16.6, 17.0, 36.8, 88.7, 89.0, 103.0, 710.0, 1e3, 1e4])


def weighted_terms(z: np.ndarray, x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The size of the terms TensorFlow's formula adds (1 - z and 1 + (q - 1) z cancel too): float32 cannot be
    more exact than a few eps times this."""
    return (1 + np.abs(z)) * np.abs(x) + (1 + np.abs((q - 1) * z)) * (np.abs(x) + 1)


def test_documented_tensorflow_example_matches_to_float32_precision(tf) -> None:
    # The example in the docstring of tf.nn.weighted_cross_entropy_with_logits.
    labels = np.array([1.0, 0.5, 0.0])
    logits = np.array([1.5, -0.1, -10.0])
    for pos_weight in (1.5, 0.5):
        expected = R.weighted_sigmoid_cross_entropy(labels, logits, pos_weight)
        got32 = tf.nn.weighted_cross_entropy_with_logits(
            tf.constant(labels, tf.float32), tf.constant(logits, tf.float32), pos_weight).numpy()
        # TensorFlow computes -10 + 10.0000454 for the third element: float32 keeps its spacing at 10.
        tolerance = 4 * FLOAT32_EPS * weighted_terms(labels, logits, np.asarray(pos_weight))
        assert np.all(np.abs(got32 - expected) <= tolerance), (pos_weight, got32, expected)
        got64 = tf.nn.weighted_cross_entropy_with_logits(labels, logits, pos_weight).numpy()
        np.testing.assert_allclose(got64, expected, rtol=1e-12, atol=1e-15)
    # The published values (TF docs print them rounded to float32).
    np.testing.assert_allclose(R.weighted_sigmoid_cross_entropy(labels, logits, 1.5),
                               [0.3021199, 0.8804959, 4.5398899e-05], rtol=1e-6)
    np.testing.assert_allclose(R.weighted_sigmoid_cross_entropy(labels, logits, 0.5),
                               [0.1007066, 0.5082975, 4.5398899e-05], rtol=1e-6)


def random_sigmoid_cases(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scales = rng.choice([1.0, 10.0, 100.0, 1e4], count)
    logits = rng.normal(0.0, 1.0, count) * scales
    extremes = rng.choice(np.concatenate([EXTREMES, -EXTREMES]), count // 5)
    logits[: extremes.size] = extremes
    labels = np.where(rng.random(count) < 0.5, rng.integers(0, 2, count), rng.random(count)).astype(np.float64)
    pos_weight = rng.choice([0.05, 0.5, 1.0, 2.0, 30.0], count) * rng.uniform(0.5, 1.5, count)
    return labels, logits, pos_weight


def test_weighted_reference_agrees_with_tensorflow_on_10000_random_cases(tf) -> None:
    rng = np.random.default_rng(20240501)
    labels, logits, pos_weight = random_sigmoid_cases(rng, 12_000)
    expected = R.weighted_sigmoid_cross_entropy(labels, logits, pos_weight)
    assert np.isfinite(expected).all()

    got64 = tf.nn.weighted_cross_entropy_with_logits(labels, logits, pos_weight).numpy()
    # Relative to at least 1e-280: TensorFlow's CPU kernels flush subnormals to zero (exp(-710) -> 0 where
    # NumPy keeps 4.5e-309), so for losses that small only absolute agreement means anything.
    relative64 = np.abs(got64 - expected) / np.maximum(np.abs(expected), 1e-280)
    worst = int(np.argmax(relative64))
    assert relative64.max() <= 1e-12, (
        f"float64 max relative error {relative64.max():.3g} at labels={labels[worst]}, logits={logits[worst]}, "
        f"pos_weight={pos_weight[worst]}")

    z32, x32, q32 = (value.astype(np.float32) for value in (labels, logits, pos_weight))
    got32 = tf.nn.weighted_cross_entropy_with_logits(z32, x32, q32).numpy().astype(np.float64)
    exact32 = R.weighted_sigmoid_cross_entropy(z32, x32, q32)  # the reference on the float32-rounded inputs
    scale = np.maximum(np.abs(exact32), weighted_terms(z32.astype(float), x32.astype(float), q32.astype(float)))
    relative32 = np.abs(got32 - exact32) / scale
    worst = int(np.argmax(relative32))
    assert relative32.max() <= 8 * FLOAT32_EPS, (
        f"float32 max relative error {relative32.max():.3g} (vs term size) at labels={z32[worst]}, "
        f"logits={x32[worst]}, pos_weight={q32[worst]}")


def test_weighted_gradient_matches_tensorflow_except_at_exactly_zero(tf) -> None:
    rng = np.random.default_rng(7)
    labels, logits, pos_weight = random_sigmoid_cases(rng, 10_000)
    logits[:10] = 0.0
    variable = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(variable)
        loss = tf.nn.weighted_cross_entropy_with_logits(labels, variable, pos_weight)
    tf_gradient = tape.gradient(loss, variable).numpy()
    analytic = R.weighted_sigmoid_cross_entropy_grad(labels, logits, pos_weight)
    nonzero = logits != 0
    error = np.abs(tf_gradient - analytic)[nonzero] / np.maximum(1.0, np.abs(analytic[nonzero]))
    assert error.max() <= 1e-12, f"max gradient error {error.max():.3g}"
    # The documented TF quirk: at x = 0 autodiff of |x| and relu gives the subgradient 1 - z.
    np.testing.assert_allclose(tf_gradient[~nonzero], (1 - labels)[~nonzero], rtol=1e-12)


def test_sigmoid_reference_agrees_with_tensorflow(tf) -> None:
    rng = np.random.default_rng(3)
    labels, logits, _ = random_sigmoid_cases(rng, 10_000)
    expected = R.sigmoid_cross_entropy(labels, logits)
    got = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    relative = np.abs(got - expected) / np.maximum(np.abs(expected), 1.0)
    assert relative.max() <= 1e-12, f"max relative error {relative.max():.3g}"
    np.testing.assert_allclose(R.sigmoid_cross_entropy(labels, logits),
                               R.weighted_sigmoid_cross_entropy(labels, logits, 1.0), rtol=1e-12, atol=1e-12)


def test_softmax_and_sparse_references_agree_with_tensorflow(tf) -> None:
    rng = np.random.default_rng(11)
    logits = rng.normal(0.0, 1.0, (2_500, 4)) * rng.choice([1.0, 30.0, 1e3, 1e4], (2_500, 1))
    logits[:24] = rng.choice(np.concatenate([EXTREMES, -EXTREMES]), (24, 4))
    ids = rng.integers(0, 4, 2_500)
    soft = rng.dirichlet(np.ones(4), 2_500)
    expected = R.softmax_cross_entropy(soft, logits)
    got = tf.nn.softmax_cross_entropy_with_logits(soft, logits).numpy()
    scale = np.maximum(np.abs(expected), np.abs(logits).max(axis=1))
    assert (np.abs(got - expected) / scale).max() <= 1e-12
    expected_sparse = R.sparse_softmax_cross_entropy(ids, logits)
    got_sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(ids, logits).numpy()
    assert (np.abs(got_sparse - expected_sparse) / np.maximum(np.abs(expected_sparse), 1.0)).max() <= 1e-12
    np.testing.assert_allclose(R.softmax_cross_entropy(np.eye(4)[ids], logits), expected_sparse, rtol=1e-12)
    # Gradient: softmax(x) * sum(labels) - labels.
    tensor = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        loss = tf.nn.softmax_cross_entropy_with_logits(soft, tensor)
    np.testing.assert_allclose(tape.gradient(loss, tensor).numpy(), R.softmax_cross_entropy_grad(soft, logits),
                               atol=1e-12)
    # A softmax over another axis.
    np.testing.assert_allclose(R.softmax_cross_entropy(soft.T, logits.T, axis=0), expected, rtol=1e-12)


def test_references_are_finite_for_any_finite_logit() -> None:
    # Up to 1e300: the loss itself (q * |x|) must fit in float64.
    logits = np.array([-1e300, -1e4, -745.2, -88.7, 0.0, 88.7, 745.2, 1e4, 1e300])
    for labels in (np.zeros(9), np.ones(9), np.full(9, 0.3)):
        assert np.isfinite(R.weighted_sigmoid_cross_entropy(labels, logits, 2.0)).all()
        assert np.isfinite(R.sigmoid_cross_entropy(labels, logits)).all()
        assert np.isfinite(R.weighted_sigmoid_cross_entropy_grad(labels, logits, 2.0)).all()
    rows = np.array([[1e300, -1e300, 0.0], [1e4, 1e4, 1e4], [-745.2, 745.2, 0.0]])
    assert np.isfinite(R.softmax_cross_entropy(np.eye(3), rows)).all()
    assert np.isfinite(R.sparse_softmax_cross_entropy([0, 1, 2], rows)).all()
    # A zero label contributes exactly 0, even where the logit gap overflows float64.
    assert R.softmax_cross_entropy([1.0, 0.0], [1e308, -1e308]) == 0.0
    # sigmoid(x) * -log is exactly the loss for a confidently wrong prediction: x = -1e4, z = 1 -> 1e4 * q.
    assert R.weighted_sigmoid_cross_entropy(1.0, -1e4, 3.0) == pytest.approx(3e4)


def test_sparse_reference_rejects_out_of_range_ids() -> None:
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        R.sparse_softmax_cross_entropy([0, 3], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="integer class ids"):
        R.sparse_softmax_cross_entropy([0.5, 1.0], np.zeros((2, 3)))


@pytest.mark.parametrize("apply_class_balancing", [False, True])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_focal_matches_keras(keras, apply_class_balancing: bool, from_logits: bool) -> None:
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, (64, 6)).astype(np.float32)
    y_true[:8] = rng.random((8, 6))  # soft labels too
    raw = rng.normal(0.0, 3.0, (64, 6)).astype(np.float32)
    y_pred = raw if from_logits else (1 / (1 + np.exp(-raw))).astype(np.float32)
    options = dict(alpha=0.3, gamma=1.5, apply_class_balancing=apply_class_balancing, from_logits=from_logits,
                   label_smoothing=0.1)
    got = keras.losses.binary_focal_crossentropy(y_true, y_pred, **options).numpy()
    expected = R.binary_focal_crossentropy(y_true, y_pred, axis=-1, **options)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)
    per_element = R.binary_focal_crossentropy(y_true, y_pred, **options)
    assert per_element.shape == y_true.shape
    np.testing.assert_allclose(per_element.mean(axis=-1), expected, rtol=1e-12)


def test_binary_focal_keras_docstring_example() -> None:
    # keras.losses.binary_focal_crossentropy's docstring: array([0.330, 0.206]) with gamma=2.
    loss = R.binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2, axis=-1)
    np.testing.assert_allclose(loss, [0.330, 0.206], atol=5e-4)
    # gamma = 0 without class balancing is plain binary cross-entropy.
    x = np.array([-30.0, -2.0, 0.5, 40.0])
    np.testing.assert_allclose(R.binary_focal_crossentropy([1, 0, 1, 0], x, gamma=0.0, from_logits=True),
                               R.sigmoid_cross_entropy([1, 0, 1, 0], x), rtol=1e-12)
    # alpha weighs the positive class only when apply_class_balancing=True.
    base = R.binary_focal_crossentropy([1.0], [0.2], alpha=0.9)
    balanced = R.binary_focal_crossentropy([1.0], [0.2], alpha=0.9, apply_class_balancing=True)
    np.testing.assert_allclose(balanced, 0.9 * base)


def test_class_balanced_weights_follow_cui_et_al() -> None:
    counts = np.array([1000, 100, 10, 1])
    beta = 0.999
    weights = R.class_balanced_weights(counts, beta)
    raw = (1 - beta) / (1 - beta ** counts)
    np.testing.assert_allclose(weights, raw / raw.sum() * 4, rtol=1e-12)
    assert weights.sum() == pytest.approx(4.0)
    assert np.all(np.diff(weights) > 0), "rarer classes weigh more"
    np.testing.assert_allclose(R.class_balanced_weights(counts, 0.0), np.ones(4))
    # beta -> 1 approaches inverse class frequency.
    inverse = (1 / counts) / (1 / counts).sum() * 4
    np.testing.assert_allclose(R.class_balanced_weights(counts, 1 - 1e-12), inverse, rtol=1e-6)
    for bad_beta in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="beta"):
            R.class_balanced_weights(counts, bad_beta)
    with pytest.raises(ValueError, match="positive"):
        R.class_balanced_weights([10, 0], 0.9)
