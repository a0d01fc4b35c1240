"""The references ``compare_to_reference`` evaluates, built from TensorFlow and Keras ops (float64).

Each ``ReferenceSpec`` says how the user's loss is called, what its second argument holds (logits or
probabilities), how TensorFlow computes the expected **per-element** loss, which reduced shapes a user's loss
may return instead, and the size of the formula's terms (the scale of a correct implementation's rounding
error). The NumPy formulas in ``reference.py`` are independent of these: the tests check each spec against
them, so a wrong reference cannot pass.

* ``tf.nn`` ops: ``weighted_cross_entropy_with_logits``, ``sigmoid_``/``softmax_``/
  ``sparse_softmax_cross_entropy_with_logits``;
* Keras focal losses: ``binary_focal_crossentropy`` and ``categorical_focal_crossentropy``, with Keras's own
  parameters passed through (``alpha``, ``gamma``, ``apply_class_balancing`` — binary only —,
  ``from_logits``, ``label_smoothing``);
* ``class_balanced_softmax_cross_entropy`` (Cui et al., CVPR 2019): per-class weights
  ``(1 - beta) / (1 - beta ** n)`` normalised to sum to the number of classes; each example's weight is
  ``sum_c w_c * labels_c`` (``w[y]`` for one-hot labels, as in the paper's code), times softmax
  cross-entropy. Parameters ``samples_per_class`` (required) and ``beta`` (default 0.9999, the paper's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import numpy as np

from wce_lint.runtime._tensors import tensorflow

Family = Literal["sigmoid", "softmax", "sparse"]
# A per-element reference: (labels, predictions, pos_weight) as float64 tf tensors -> per-element loss tensor.
TFLoss = Callable[[Any, Any, Any], Any]
# A scale function: (labels, predictions, pos_weight) as float64 NumPy arrays -> an array.
Scale = Callable[[np.ndarray, np.ndarray, Any], np.ndarray]

_TF_NN = ("weighted_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
          "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits")
REFERENCES = _TF_NN + ("binary_focal_crossentropy", "categorical_focal_crossentropy",
                       "class_balanced_softmax_cross_entropy")
_ALIASES = {
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "class_balanced": "class_balanced_softmax_cross_entropy",
    "softmax_cross_entropy_with_logits_v2": "softmax_cross_entropy_with_logits",
}
# Keras's defaults (keras/src/losses/losses.py); Keras's backend epsilon clips probabilities.
_FOCAL_DEFAULTS: dict[str, Any] = {"alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0}
KERAS_EPSILON = 1e-7


@dataclass(frozen=True)
class ReferenceSpec:
    name: str
    display: str                      # as reports name it, e.g. "tf.nn.sigmoid_cross_entropy_with_logits"
    family: Family
    expected: TFLoss                  # per-element loss (sigmoid: logits' shape; softmax: without class axis)
    value_scale: Scale
    grad_scale: Scale
    inputs: Literal["logits", "probabilities"] = "logits"
    takes_pos_weight: bool = False
    keras: bool = False               # Keras naming (y_true, y_pred) and Keras's reduced shape accepted
    # dtype -> a second accepted answer, where the first one rests on a convention of the reference: Keras
    # clips softmax probabilities at 1e-7 even from logits (the exact value is right too there), and its
    # clip bounds 1e-7 and 1 - 1e-7 round in float32/float16 (a loss clipping at the rounded bounds is
    # as right as Keras is in that dtype).
    alternative: Callable[[str], TFLoss | None] | None = None
    alternative_note: str = ""
    classes: int | None = None        # class-balanced: the battery's number of classes
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def labels_name(self) -> str:
        return "y_true" if self.keras else "labels"

    @property
    def predictions_name(self) -> str:
        return "y_pred" if self.keras else "logits"

    @property
    def call_text(self) -> str:
        if self.takes_pos_weight:
            return "loss_fn(labels, logits, pos_weight)"
        return f"loss_fn({self.labels_name}, {self.predictions_name})"


def _softplus_neg_abs(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(-np.abs(x)))


def _sigmoid_terms(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0) + np.abs(x * z) + _softplus_neg_abs(x)


def _softmax_terms(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    lse = np.abs(np.log(np.exp(shifted).sum(axis=-1)))
    return np.sum(np.abs(z) * (np.abs(shifted) + lse[..., None]), axis=-1)


def _softmax_grad_terms(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.sum(np.abs(z), axis=-1, keepdims=True), x.shape) + np.abs(z)


def _log_terms(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Size of -z log(p) - (1 - z) log(1 - p) with Keras's clip, and of its derivative in p."""
    clipped = np.clip(p, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return np.abs(z * np.log(clipped)) + np.abs((1.0 - z) * np.log1p(-clipped))


def _inverse_terms(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return np.abs(z) / clipped + np.abs(1.0 - z) / (1.0 - clipped)


_CLIP_NOTE = ("Keras clips probabilities to [1e-7, 1 - 1e-7]; in float32 and float16 these bounds round "
              "(1 - 1e-7 is 1 - 1.19e-7 in float32 and 1.0 in float16), so a loss that clips at the bounds its "
              "dtype holds is accepted too")


def _rounded_bounds(dtype: str) -> tuple[float, float]:
    """Keras's clip bounds as ``dtype`` holds them."""
    return float(np.asarray(KERAS_EPSILON, dtype)), float(np.asarray(1.0 - KERAS_EPSILON, dtype))


# The tf.nn ops ----------------------------------------------------------------------------------------

def _tf_nn_spec(name: str) -> ReferenceSpec:
    tf = tensorflow()
    op = getattr(tf.nn, name)
    if name == "weighted_cross_entropy_with_logits":
        def value_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            # 1 - z and 1 + (q - 1) z cancel as well, so their terms' sizes count.
            log_weight = 1.0 + np.abs((q - 1.0) * z)
            return (1.0 + np.abs(z)) * np.abs(x) + log_weight * (_softplus_neg_abs(x) + np.maximum(-x, 0.0))

        return ReferenceSpec(name, f"tf.nn.{name}", "sigmoid", lambda z, x, q: op(z, x, q), value_scale,
                             lambda z, x, q: np.abs(1.0 - z) + np.abs(1.0 + (q - 1.0) * z),
                             takes_pos_weight=True)
    if name == "sigmoid_cross_entropy_with_logits":
        return ReferenceSpec(name, f"tf.nn.{name}", "sigmoid", lambda z, x, q: op(z, x),
                             lambda z, x, q: _sigmoid_terms(z, x), lambda z, x, q: np.ones_like(x) + np.abs(z))
    if name == "softmax_cross_entropy_with_logits":
        return ReferenceSpec(name, f"tf.nn.{name}", "softmax", lambda z, x, q: op(z, x),
                             lambda z, x, q: _softmax_terms(z, x), lambda z, x, q: _softmax_grad_terms(z, x))

    def sparse_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
        shifted = x - x.max(axis=-1, keepdims=True)
        lse = np.abs(np.log(np.exp(shifted).sum(axis=-1)))
        return np.take_along_axis(np.abs(shifted), z[..., None].astype(np.intp), axis=-1)[..., 0] + lse

    return ReferenceSpec(name, f"tf.nn.{name}", "sparse", lambda z, x, q: op(z, x), sparse_scale,
                         lambda z, x, q: np.full_like(x, 2.0))


# Keras focal losses -----------------------------------------------------------------------------------

def _focal_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    allowed = dict(_FOCAL_DEFAULTS)
    if name == "binary_focal_crossentropy":
        allowed["apply_class_balancing"] = False
    unknown = set(params) - set(allowed)
    if unknown:
        extra = (" (Keras's categorical focal loss always applies alpha)"
                 if "apply_class_balancing" in unknown else "")
        raise ValueError(f"reference {name} takes no parameter(s) {sorted(unknown)}{extra}; it takes "
                         f"{', '.join(sorted(allowed))}")
    merged = {**allowed, **params}
    alpha, gamma = float(merged["alpha"]), float(merged["gamma"])
    if not 0.0 <= alpha <= 1.0 or not np.isfinite(gamma) or gamma < 0.0:
        raise ValueError(f"focal parameters out of range: alpha={alpha:g} (must lie in [0, 1]), gamma={gamma:g} "
                         "(must be finite and >= 0) — WCE503")
    if not 0.0 <= float(merged["label_smoothing"]) <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {merged['label_smoothing']!r}")
    return merged


def _from_logits_note(params: Mapping[str, Any]) -> tuple[str, ...]:
    if "from_logits" in params:
        return ()
    return ("y_pred holds probabilities (Keras's default from_logits=False); pass params={'from_logits': True} "
            "if your loss takes logits",)


def _describe(name: str, params: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in params.items())
    return f"keras.losses.{name}({shown})"


def _binary_focal_spec(params: Mapping[str, Any]) -> ReferenceSpec:
    merged = _focal_params("binary_focal_crossentropy", params)
    gamma, from_logits = float(merged["gamma"]), bool(merged["from_logits"])

    def expected(z: Any, x: Any, q: Any) -> Any:
        import keras

        # Keras reduces with a mean over the last axis; an added axis of size 1 keeps every element.
        return keras.losses.binary_focal_crossentropy(z[..., None], x[..., None], **merged)

    if from_logits:
        def value_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return _sigmoid_terms(z, x)

        def grad_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return (1.0 + np.abs(z)) * (1.0 + gamma)
    else:
        def value_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return _log_terms(z, x)

        def grad_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return (1.0 + gamma) * (_inverse_terms(z, x) + _log_terms(z, x))

    def clipped_in(dtype: str) -> TFLoss | None:
        low, high = _rounded_bounds(dtype)
        if dtype == "float64":
            return None

        def loss(z: Any, p: Any, q: Any) -> Any:
            tf = tensorflow()
            if merged["label_smoothing"]:
                z = z * (1.0 - merged["label_smoothing"]) + 0.5 * merged["label_smoothing"]
            clipped = tf.clip_by_value(p, low, high)
            bce = -(z * tf.math.log(clipped) + (1.0 - z) * tf.math.log(1.0 - clipped))
            focal = tf.pow(1.0 - (z * p + (1.0 - z) * (1.0 - p)), gamma) * bce
            if merged["apply_class_balancing"]:
                focal = (z * merged["alpha"] + (1.0 - z) * (1.0 - merged["alpha"])) * focal
            return focal

        return loss

    notes = _from_logits_note(params)
    if "alpha" in params and not merged.get("apply_class_balancing"):
        notes += ("alpha has no effect here: Keras's binary focal loss weighs classes by alpha only with "
                  "apply_class_balancing=True (pass it if your loss multiplies by alpha_t)",)
    return ReferenceSpec("binary_focal_crossentropy", _describe("binary_focal_crossentropy", merged), "sigmoid",
                         expected, value_scale, grad_scale, inputs="logits" if from_logits else "probabilities",
                         keras=True, alternative=None if from_logits else clipped_in,
                         alternative_note=_CLIP_NOTE, params=merged, notes=notes)


def _categorical_focal_spec(params: Mapping[str, Any]) -> ReferenceSpec:
    merged = _focal_params("categorical_focal_crossentropy", params)
    alpha, gamma, from_logits = float(merged["alpha"]), float(merged["gamma"]), bool(merged["from_logits"])
    smoothing = float(merged["label_smoothing"])

    def expected(z: Any, x: Any, q: Any) -> Any:
        import keras

        return keras.losses.categorical_focal_crossentropy(z, x, **merged)

    def exact(z: Any, x: Any, q: Any) -> Any:
        # Keras's formula without its clip: log_softmax keeps log(p) finite for any logit gap.
        tf = tensorflow()
        if smoothing:
            z = z * (1.0 - smoothing) + smoothing / tf.cast(tf.shape(z)[-1], z.dtype)
        log_p = tf.nn.log_softmax(x, axis=-1)
        return tf.reduce_sum(alpha * tf.pow(1.0 - tf.exp(log_p), gamma) * -(z * log_p), axis=-1)

    def clipped_in(dtype: str) -> TFLoss | None:
        low, high = _rounded_bounds(dtype)
        if dtype == "float64":
            return None

        def loss(z: Any, p: Any, q: Any) -> Any:
            tf = tensorflow()
            if smoothing:
                z = z * (1.0 - smoothing) + smoothing / tf.cast(tf.shape(z)[-1], z.dtype)
            output = tf.clip_by_value(p / tf.reduce_sum(p, axis=-1, keepdims=True), low, high)
            return tf.reduce_sum(alpha * tf.pow(1.0 - output, gamma) * -(z * tf.math.log(output)), axis=-1)

        return loss

    if from_logits:
        def value_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return _softmax_terms(z, x)

        def grad_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            return _softmax_grad_terms(z, x) * (1.0 + gamma)
    else:
        def value_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            clipped = np.clip(x, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
            return np.sum(np.abs(z * np.log(clipped)), axis=-1)

        def grad_scale(z: np.ndarray, x: np.ndarray, q: Any) -> np.ndarray:
            clipped = np.clip(x, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
            return (1.0 + gamma) * (np.abs(z) / clipped + np.sum(np.abs(z), axis=-1, keepdims=True))

    return ReferenceSpec(
        "categorical_focal_crossentropy", _describe("categorical_focal_crossentropy", merged), "softmax",
        expected, value_scale, grad_scale, inputs="logits" if from_logits else "probabilities", keras=True,
        alternative=(lambda dtype: exact) if from_logits else clipped_in,
        alternative_note="Keras clips softmax probabilities to [1e-7, 1 - 1e-7] even from logits; where that "
                         "clip acts, the exact (log_softmax) value is accepted too" if from_logits else _CLIP_NOTE,
        params=merged, notes=_from_logits_note(params))


# Class-balanced softmax (Cui et al. 2019) ------------------------------------------------------------

def _class_balanced_spec(params: Mapping[str, Any]) -> ReferenceSpec:
    unknown = set(params) - {"samples_per_class", "beta"}
    if unknown:
        raise ValueError(f"reference class_balanced_softmax_cross_entropy takes no parameter(s) "
                         f"{sorted(unknown)}; it takes samples_per_class and beta")
    if params.get("samples_per_class") is None:
        raise ValueError("reference class_balanced_softmax_cross_entropy needs "
                         "params={'samples_per_class': [n_0, n_1, ...], 'beta': 0.9999}")
    try:
        counts = np.asarray(params["samples_per_class"], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("samples_per_class must be a sequence of per-class sample counts") from None
    if counts.ndim != 1 or counts.size < 2:
        raise ValueError("samples_per_class must list at least two classes (a softmax over one class is "
                         "always 1: WCE306)")
    if not np.isfinite(counts).all() or (counts <= 0).any():
        raise ValueError("every entry of samples_per_class must be a positive count")
    beta = float(params.get("beta", 0.9999))
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must lie in [0, 1), got {beta:g} (beta = 1 divides by zero: WCE504)")
    classes = counts.size

    def weights(tf: Any) -> Any:
        # The paper's code: effective_num = 1 - beta ** n; w = (1 - beta) / effective_num; w * C / sum(w).
        n = tf.constant(counts, tf.float64)
        raw = (1.0 - beta) / (1.0 - tf.pow(tf.constant(beta, tf.float64), n))
        return raw / tf.reduce_sum(raw) * classes

    def expected(z: Any, x: Any, q: Any) -> Any:
        tf = tensorflow()
        per_example = tf.reduce_sum(z * weights(tf), axis=-1)
        return per_example * tf.nn.softmax_cross_entropy_with_logits(z, x)

    def example_weight(z: np.ndarray) -> np.ndarray:
        raw = (1.0 - beta) / (1.0 - np.power(beta, counts))
        return np.abs(z) @ (raw / raw.sum() * classes)

    listed = counts.astype(np.int64).tolist() if np.all(counts == np.round(counts)) else counts.tolist()
    shown = f"samples_per_class={listed}, beta={beta:g}"
    return ReferenceSpec(
        "class_balanced_softmax_cross_entropy", f"class-balanced softmax cross-entropy ({shown})", "softmax",
        expected, lambda z, x, q: _softmax_terms(z, x) * example_weight(z),
        lambda z, x, q: _softmax_grad_terms(z, x) * example_weight(z)[..., None],
        classes=classes, params={"samples_per_class": counts.tolist(), "beta": beta})


def canonical_name(reference: str) -> str:
    short = reference.rsplit(".", 1)[-1]
    short = _ALIASES.get(short, short)
    if short not in REFERENCES:
        raise ValueError(f"unknown reference {reference!r}; choose one of {', '.join(REFERENCES)}")
    return short


def resolve_reference(reference: str, params: Mapping[str, Any] | None = None) -> ReferenceSpec:
    """The spec for ``reference`` (a dotted prefix and the Keras class names are accepted)."""
    name = canonical_name(reference)
    params = dict(params or {})
    if name in _TF_NN:
        if params:
            raise ValueError(f"reference {name} takes no params (got {sorted(params)})")
        return _tf_nn_spec(name)
    if name == "binary_focal_crossentropy":
        return _binary_focal_spec(params)
    if name == "categorical_focal_crossentropy":
        return _categorical_focal_spec(params)
    return _class_balanced_spec(params)
