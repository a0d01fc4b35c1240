"""Each reference ``compare_to_reference`` evaluates agrees with a NumPy formula of its own on fixed inputs.

The formulas here are written out independently of ``wce_lint.runtime`` (from Keras's source and from Cui
et al.'s paper and code), so a wrong reference spec cannot pass because the code under test produced the
expected values.
"""

from __future__ import annotations

import numpy as np
import pytest

from wce_lint.runtime.reference_ops import REFERENCES, resolve_reference

Z = np.array([[1.0, 0.0, 0.5, 0.9], [0.0, 1.0, 0.1, 1.0]])
X = np.array([[2.0, -3.0, 0.0, 40.0], [15.0, -0.5, 7.0, -60.0]])          # logits, some saturating
P = np.array([[0.9, 0.2, 0.5, 1.0], [0.999, 0.6, 1e-9, 0.0]])           # probabilities, some exactly 0/1
EPS = 1e-7


def evaluate(name: str, params: dict, labels: np.ndarray, predictions: np.ndarray):
    import tensorflow as tf

    spec = resolve_reference(name, params)
    return spec, spec.expected(tf.constant(labels, tf.float64), tf.constant(predictions, tf.float64), None).numpy()


def stable_softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


@pytest.mark.parametrize("params", [
    {"from_logits": True},
    {"from_logits": True, "apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5},
    {"from_logits": True, "label_smoothing": 0.2, "gamma": 0.0},
])
def test_binary_focal_from_logits_matches_its_formula(tf, params) -> None:
    alpha, gamma = params.get("alpha", 0.25), params.get("gamma", 2.0)
    z = Z * (1 - params.get("label_smoothing", 0.0)) + 0.5 * params.get("label_smoothing", 0.0)
    # Lin et al.: -log(p) = softplus(-x), -log(1 - p) = softplus(x); 1 - p_t from p = 1 / (1 + e^-x).
    ce = z * stable_softplus(-X) + (1 - z) * stable_softplus(X)
    p = 1 / (1 + np.exp(-X))
    formula = (1 - (z * p + (1 - z) * (1 - p))) ** gamma * ce
    if params.get("apply_class_balancing"):
        formula *= z * alpha + (1 - z) * (1 - alpha)
    spec, got = evaluate("binary_focal_crossentropy", params, Z, X)
    assert spec.inputs == "logits" and got.shape == X.shape
    np.testing.assert_allclose(got, formula, rtol=1e-12, atol=1e-300)
    # A hand-checked element: z = 1, x = 2, gamma = 2: (1 - sigmoid(2))^2 * softplus(-2).
    if params == {"from_logits": True}:
        assert got[0, 0] == pytest.approx((1 - 1 / (1 + np.exp(-2.0))) ** 2 * np.log1p(np.exp(-2.0)), rel=1e-12)


def test_binary_focal_from_probabilities_clips_like_keras(tf) -> None:
    spec, got = evaluate("binary_focal_crossentropy", {"gamma": 2.0}, Z, P)
    clipped = np.clip(P, EPS, 1 - EPS)
    bce = -(Z * np.log(clipped) + (1 - Z) * np.log(1 - clipped))
    formula = (1 - (Z * P + (1 - Z) * (1 - P))) ** 2 * bce   # p_t uses the unclipped p, as Keras does
    assert spec.inputs == "probabilities"
    np.testing.assert_allclose(got, formula, rtol=1e-12)


def test_categorical_focal_matches_its_formula(tf) -> None:
    z = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0]])
    x = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [30.0, 0.0, -30.0]])
    alpha, gamma = 0.4, 1.5
    shifted = x - x.max(axis=-1, keepdims=True)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    clipped = np.clip(softmax, EPS, 1 - EPS)
    keras_formula = np.sum(alpha * (1 - clipped) ** gamma * -(z * np.log(clipped)), axis=-1)
    spec, got = evaluate("categorical_focal_crossentropy", {"alpha": alpha, "gamma": gamma, "from_logits": True},
                         z, x)
    np.testing.assert_allclose(got, keras_formula, rtol=1e-12)
    # Row 3: the true class has probability e^-60, clipped by Keras to 1e-7 (loss ~ alpha * 16.1); the
    # exact value alpha * 60 is accepted as the second answer.
    assert got[2] == pytest.approx(alpha * -np.log(EPS), rel=1e-6)
    exact = spec.alternative("float32")(tf.constant(z), tf.constant(x), None).numpy()
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(exact, np.sum(alpha * (1 - np.exp(log_softmax)) ** gamma * -(z * log_softmax),
                                             axis=-1), rtol=1e-12)
    assert exact[2] == pytest.approx(alpha * 60.0, rel=1e-9)


def test_categorical_focal_from_probabilities_renormalises_and_clips(tf) -> None:
    z = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    p = np.array([[0.2, 0.6, 0.4], [1.0, 0.0, 0.0]])   # the first row sums to 1.2: Keras divides by it
    output = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    formula = np.sum(0.25 * (1 - output) ** 2 * -(z * np.log(output)), axis=-1)
    _, got = evaluate("categorical_focal_crossentropy", {}, z, p)
    np.testing.assert_allclose(got, formula, rtol=1e-12)


def test_class_balanced_matches_cui_et_al(tf) -> None:
    counts, beta = np.array([1000.0, 100.0, 10.0]), 0.999
    z = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.7, 0.3]])
    x = np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 0.5], [-4.0, 3.0, 100.0]])
    # Cui et al. 2019, eq. (and class_balanced_loss.py): E_n = (1 - beta^n) / (1 - beta), w = 1 / E_n,
    # then w * C / sum(w); the example's weight is sum_c w_c * z_c; the loss is that times softmax CE.
    w = (1 - beta) / (1 - beta ** counts)
    w = w / w.sum() * 3
    shifted = x - x.max(axis=-1, keepdims=True)
    ce = -np.sum(z * (shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))), axis=-1)
    spec, got = evaluate("class_balanced_softmax_cross_entropy", {"samples_per_class": counts, "beta": beta}, z, x)
    np.testing.assert_allclose(got, (z @ w) * ce, rtol=1e-12)
    assert spec.classes == 3 and "beta=0.999" in spec.display
    # The weights sum to the number of classes, the rarest class weighs most, and row 2 (uniform logits,
    # class 2) is w_2 * log(3).
    assert w.sum() == pytest.approx(3.0) and w[2] > w[1] > w[0]
    assert got[1] == pytest.approx(w[2] * np.log(3.0), rel=1e-12)
    # beta = 0: every weight is 1, the loss is plain softmax cross-entropy.
    _, plain = evaluate("class_balanced_softmax_cross_entropy", {"samples_per_class": counts, "beta": 0.0}, z, x)
    np.testing.assert_allclose(plain, ce, rtol=1e-12)


def test_tf_nn_references_match_their_formulas(tf) -> None:
    z, x, q = Z, X, np.array([0.5, 1.0, 2.0, 3.0])
    weighted = (1 - z) * x + (1 + (q - 1) * z) * np.logaddexp(0.0, -x)
    spec = resolve_reference("weighted_cross_entropy_with_logits")
    np.testing.assert_allclose(spec.expected(tf.constant(z), tf.constant(x), tf.constant(q)).numpy(), weighted,
                               rtol=1e-12, atol=1e-12)
    _, sigmoid = evaluate("sigmoid_cross_entropy_with_logits", {}, z, x)
    np.testing.assert_allclose(sigmoid, z * np.logaddexp(0.0, -x) + (1 - z) * np.logaddexp(0.0, x), rtol=1e-12)


def test_parameters_are_validated_with_clear_messages() -> None:
    assert set(REFERENCES) >= {"binary_focal_crossentropy", "categorical_focal_crossentropy",
                               "class_balanced_softmax_cross_entropy"}
    with pytest.raises(ValueError, match="always applies alpha"):
        resolve_reference("categorical_focal_crossentropy", {"apply_class_balancing": True})
    with pytest.raises(ValueError, match="takes no parameter"):
        resolve_reference("binary_focal_crossentropy", {"pos_weight": 2.0})
    with pytest.raises(ValueError, match="WCE503"):
        resolve_reference("binary_focal_crossentropy", {"gamma": -1.0})
    with pytest.raises(ValueError, match="needs params"):
        resolve_reference("class_balanced_softmax_cross_entropy", {"beta": 0.9})
    with pytest.raises(ValueError, match="WCE504"):
        resolve_reference("class_balanced_softmax_cross_entropy", {"samples_per_class": [3, 4], "beta": 1.0})
    with pytest.raises(ValueError, match="at least two classes"):
        resolve_reference("class_balanced", {"samples_per_class": [3]})
    with pytest.raises(ValueError, match="positive count"):
        resolve_reference("class_balanced", {"samples_per_class": [3, 0]})
    with pytest.raises(ValueError, match="takes no params"):
        resolve_reference("tf.nn.sigmoid_cross_entropy_with_logits", {"alpha": 1.0})
    assert resolve_reference("keras.losses.BinaryFocalCrossentropy").name == "binary_focal_crossentropy"
