"""NumPy float64 reference implementations of the cross-entropy losses wce-lint knows.

Every function works elementwise in float64 and is numerically stable for any finite logit: no
``exp`` of a positive number, no ``log`` of a value that can round to 0. Inputs are anything
``numpy.asarray`` accepts (TensorFlow eager tensors included); results are ``numpy.ndarray``.

Conventions (stated once, used throughout):

* labels come first, as in TensorFlow and Keras;
* losses are returned **per element** (sigmoid family: the shape of ``logits``; softmax family: the shape of
  ``logits`` without the class axis) — no reduction, like the ``tf.nn`` ops;
* ``binary_focal_crossentropy`` is per element too unless ``axis`` is given, in which case it takes the
  mean over that axis exactly as ``keras.losses.binary_focal_crossentropy`` does (Keras's default ``axis=-1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "weighted_sigmoid_cross_entropy",
    "weighted_sigmoid_cross_entropy_grad",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "sparse_softmax_cross_entropy",
    "binary_focal_crossentropy",
    "class_balanced_weights",
    "log_softmax",
    "sigmoid",
]


def _f64(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def sigmoid(x: Any) -> np.ndarray:
    """Stable logistic function: ``exp`` only ever sees ``-|x|``."""
    x = _f64(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_neg_abs(x: np.ndarray) -> np.ndarray:
    # log(1 + exp(-|x|)) in (0, log 2]: exp(-|x|) <= 1 never overflows, log1p keeps precision near 0.
    return np.log1p(np.exp(-np.abs(x)))


def weighted_sigmoid_cross_entropy(labels: Any, logits: Any, pos_weight: Any = 1.0) -> np.ndarray:
    """``tf.nn.weighted_cross_entropy_with_logits``: per-element weighted sigmoid cross-entropy.

    TensorFlow's documented formula, with ``z = labels``, ``x = logits``, ``q = pos_weight``::

        (1 - z) * x + (1 + (q - 1) * z) * (log(1 + exp(-|x|)) + max(-x, 0))

    which equals ``z * -log(sigmoid(x)) * q + (1 - z) * -log(1 - sigmoid(x))``. ``pos_weight`` broadcasts
    against ``logits`` from the last axis (a per-class positive weight).
    """
    z, x, q = _f64(labels), _f64(logits), _f64(pos_weight)
    log_weight = 1.0 + (q - 1.0) * z
    return (1.0 - z) * x + log_weight * (_softplus_neg_abs(x) + np.maximum(-x, 0.0))


def weighted_sigmoid_cross_entropy_grad(labels: Any, logits: Any, pos_weight: Any = 1.0) -> np.ndarray:
    """d(weighted_sigmoid_cross_entropy)/d(logits) = ``(1 - z) - (1 + (q - 1) z) * sigmoid(-x)``.

    At exactly ``x = 0`` TensorFlow's autodiff of its ``|x|``/``relu`` formulation returns ``1 - z``
    (the subgradient of the kinks) instead of this derivative; everywhere else they agree.
    """
    z, x, q = _f64(labels), _f64(logits), _f64(pos_weight)
    return (1.0 - z) - (1.0 + (q - 1.0) * z) * sigmoid(-x)


def sigmoid_cross_entropy(labels: Any, logits: Any) -> np.ndarray:
    """``tf.nn.sigmoid_cross_entropy_with_logits``: ``max(x, 0) - x * z + log(1 + exp(-|x|))``."""
    z, x = _f64(labels), _f64(logits)
    return np.maximum(x, 0.0) - x * z + _softplus_neg_abs(x)


def log_softmax(logits: Any, axis: int = -1) -> np.ndarray:
    """``x - logsumexp(x)`` with the maximum subtracted first, so ``exp`` never overflows."""
    x = _f64(logits)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax_cross_entropy(labels: Any, logits: Any, axis: int = -1) -> np.ndarray:
    """``tf.nn.softmax_cross_entropy_with_logits``: ``-sum(labels * log_softmax(logits), axis)``.

    ``labels`` are one-hot rows or probability distributions along ``axis``; the class axis is reduced.
    """
    z = _f64(labels)
    # 0 * log_softmax must stay 0 where a logit gap beyond float64's range made log_softmax -inf.
    with np.errstate(over="ignore", invalid="ignore"):
        log_probabilities = log_softmax(logits, axis=axis)
        terms = np.where(z == 0, 0.0, z * log_probabilities)
    return -np.sum(terms, axis=axis)


def softmax_cross_entropy_grad(labels: Any, logits: Any, axis: int = -1) -> np.ndarray:
    """d(softmax_cross_entropy)/d(logits) = ``softmax(x) * sum(labels) - labels`` along ``axis``."""
    z = _f64(labels)
    probabilities = np.exp(log_softmax(logits, axis=axis))
    return probabilities * np.sum(z, axis=axis, keepdims=True) - z


def sparse_softmax_cross_entropy(labels: Any, logits: Any) -> np.ndarray:
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: ``logsumexp(x) - x[label]`` over the last axis.

    ``labels`` are integer class ids with the shape of ``logits`` without its last axis; ids outside
    ``[0, num_classes)`` raise ``ValueError`` (TensorFlow raises on CPU and returns NaN on GPU).
    """
    ids = np.asarray(labels)
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind == "f" and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)
        else:
            raise ValueError(f"labels must be integer class ids, got dtype {ids.dtype}")
    log_probabilities = log_softmax(logits, axis=-1)
    classes = log_probabilities.shape[-1]
    if ids.shape != log_probabilities.shape[:-1]:
        raise ValueError(f"labels shape {ids.shape} must be logits shape without its last axis "
                         f"{log_probabilities.shape[:-1]}")
    if ids.size and (ids.min() < 0 or ids.max() >= classes):
        raise ValueError(f"class ids must lie in [0, {classes}), got min {ids.min()}, max {ids.max()}")
    return -np.take_along_axis(log_probabilities, ids[..., None].astype(np.intp), axis=-1)[..., 0]


def binary_focal_crossentropy(
    y_true: Any,
    y_pred_or_logits: Any,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    apply_class_balancing: bool = False,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int | None = None,
    epsilon: float = 1e-7,
) -> np.ndarray:
    """Keras's binary focal cross-entropy (``keras.losses.binary_focal_crossentropy``, Lin et al. 2018).

    Keras 3 (``keras/src/losses/losses.py``) computes, after ``y_true = y_true * (1 - label_smoothing) +
    0.5 * label_smoothing`` and ``p = sigmoid(logits)`` when ``from_logits``::

        bce          = binary cross-entropy of (y_true, p)
        p_t          = y_true * p + (1 - y_true) * (1 - p)
        focal_factor = (1 - p_t) ** gamma
        loss         = focal_factor * bce                        # times, if apply_class_balancing,
        weight       = y_true * alpha + (1 - y_true) * (1 - alpha)
        return mean(loss, axis=axis)                             # Keras's default axis=-1

    So ``alpha`` weighs the positive class **only when** ``apply_class_balancing=True``; ``gamma`` always
    applies. Differences, on purpose:

    * result is per element unless ``axis`` is given (then the mean over it, as Keras returns);
    * from logits, ``bce`` is the stable sigmoid cross-entropy (Keras's TensorFlow backend does the same by
      recovering the logits it marked on the sigmoid output) and ``1 - p_t`` is computed as
      ``y * sigmoid(-x) + (1 - y) * sigmoid(x)``, which does not round to 0 for large ``|x|``;
    * from probabilities, ``bce`` clips ``p`` to ``[epsilon, 1 - epsilon]`` like Keras
      (``keras.config.epsilon()`` = 1e-7) while ``p_t`` uses the unclipped ``p``, also like Keras.
    """
    y = _f64(y_true)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        x = _f64(y_pred_or_logits)
        bce = sigmoid_cross_entropy(y, x)
        one_minus_p_t = y * sigmoid(-x) + (1.0 - y) * sigmoid(x)
    else:
        p = _f64(y_pred_or_logits)
        clipped = np.clip(p, epsilon, 1.0 - epsilon)
        bce = -(y * np.log(clipped) + (1.0 - y) * np.log(1.0 - clipped))
        one_minus_p_t = 1.0 - (y * p + (1.0 - y) * (1.0 - p))
    loss = np.power(one_minus_p_t, gamma) * bce
    if apply_class_balancing:
        loss = (y * alpha + (1.0 - y) * (1.0 - alpha)) * loss
    return loss if axis is None else np.mean(loss, axis=axis)


def class_balanced_weights(counts: Any, beta: float) -> np.ndarray:
    """Per-class weights by the effective number of samples (Cui et al., CVPR 2019).

    "Class-Balanced Loss Based on Effective Number of Samples" defines the effective number of a class with
    ``n`` samples as ``E_n = (1 - beta**n) / (1 - beta)`` and weighs the class by ``1 / E_n``, i.e.
    ``(1 - beta) / (1 - beta**n)``, then normalizes the weights so they **sum to the number of classes**
    (the paper's convention, so that the total loss scale matches the unweighted loss). ``beta = 0`` gives
    all-ones weights; ``beta -> 1`` approaches inverse class frequency. ``beta`` must lie in ``[0, 1)``
    (``beta = 1`` divides by zero: WCE504) and every count must be positive.

    ``1 - beta**n`` is computed as ``-expm1(n * log(beta))`` so that ``beta`` close to 1 keeps its precision.
    """
    n = _f64(counts)
    if n.ndim != 1 or n.size == 0:
        raise ValueError("counts must be a non-empty 1-D sequence of per-class sample counts")
    if not np.isfinite(n).all() or (n <= 0).any():
        raise ValueError("every class count must be positive and finite (a class with 0 samples would get an "
                         "infinite weight)")
    beta = float(beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must lie in [0, 1), got {beta} (beta = 1 divides by zero)")
    if beta == 0.0:
        raw = np.ones_like(n)
    else:
        raw = (1.0 - beta) / -np.expm1(n * np.log(beta))
    return raw * (n.size / raw.sum())
