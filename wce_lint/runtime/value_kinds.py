"""Checks on what kind of values reach a loss: log-probabilities (WCE104), class ids versus one-hot rows
(WCE305), and a softmax over a single class (WCE306).

Each check uses only cheap, certain evidence: static shapes and dtypes, the op that produced a graph
tensor (``Softmax`` over an axis of size 1, ``OneHot``), Keras's activation marker, and eager values
(log-probabilities are never positive; one-hot rows hold exactly one 1). The functions take the
validator (``validation._Validator``) and add their findings to it; ``check_sparse_dense`` and
``check_single_class`` return whether they fired, so that the checks they stand in for stay silent
(one problem, one finding).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wce_lint.runtime._tensors import TensorView, format_shape, range_text
from wce_lint.runtime.apis import LOSSES


def _is_one_hot(values: np.ndarray, axis: int) -> bool:
    if values.size == 0 or values.dtype.kind not in "biuf":
        return False
    numbers = values.astype(np.float64)
    return bool(np.isin(numbers, (0.0, 1.0)).all() and (numbers.sum(axis=axis) == 1).all())


def check_sparse_dense(v: Any) -> bool:
    """WCE305: one-hot labels to a sparse loss, or integer class ids to a dense softmax/categorical one."""
    labels, logits, spec = v.labels, v.logits, v.spec
    if labels is None or logits is None or labels.shape is None or not logits.shape:
        return False
    rank = len(logits.shape)
    if spec.family == "sparse":
        axis = spec.classes_axis(rank)
        classes = logits.shape[axis]
        if len(labels.shape) != rank or classes is None or classes < 2 or labels.shape[axis] != classes:
            return False
        if labels.one_hot_op:
            evidence = "the output of a OneHot op"
        elif labels.values is not None and _is_one_hot(labels.values, axis):
            evidence = "one-hot rows (exactly one 1 per row)"
        else:
            return False
        dense = spec.name.replace("sparse_", "", 1)
        help_text = (f"tf.argmax({labels.argument}, axis=-1) gives the class ids"
                     + (f"; or use {dense}, which reads one-hot rows" if dense in LOSSES and dense != spec.name
                        else ""))
        if spec.name == "nll_loss":
            help_text = "target.argmax(dim=1) gives the class ids"
        expected = logits.shape[:axis] + logits.shape[axis + 1:]
        v.add("WCE305", f"{labels.argument} are {evidence}, shape {format_shape(labels.shape)}, but {spec.name} "
                        f"reads integer class ids of shape {format_shape(expected)}",
              argument=labels.argument, help=help_text)
        return True
    if spec.family != "softmax" or spec.log_probabilities:
        return False
    classes = logits.shape[-1]
    if classes is None or classes < 2 or len(labels.shape) != rank - 1 \
            or any(a is not None and b is not None and a != b for a, b in zip(labels.shape, logits.shape[:-1])):
        return False
    if labels.values is not None:
        ids = labels.values.astype(np.float64) if labels.values.dtype.kind in "biuf" else None
        if ids is None or ids.size == 0 or not np.all(ids == np.round(ids)) or ids.min() < 0 \
                or ids.max() >= classes:
            return False
        evidence = f"integer class ids ({range_text(ids)})"
    elif labels.is_integer:
        evidence = f"integer class ids (dtype {labels.dtype})"
    else:
        return False
    sparse = "sparse_" + spec.name
    v.add("WCE305", f"{labels.argument} are {evidence} of shape {format_shape(labels.shape)}, but {spec.name} "
                    f"reads one-hot rows or distributions shaped like {logits.argument} "
                    f"{format_shape(logits.shape)}",
          argument=labels.argument,
          help=f"tf.one_hot({labels.argument}, depth={classes})"
               + (f", or use {sparse}, which reads class ids" if sparse in LOSSES else ""))
    return True


_ONE_UNIT_HELP = ("a single output unit wants a sigmoid (or raw logits with from_logits=True / a *_with_logits "
                  "loss); a softmax needs one unit per class")


def check_single_class(v: Any) -> bool:
    """WCE306: a softmax over an axis of size 1 (always 1.0), or a softmax loss over a single class (always 0)."""
    logits, spec = v.logits, v.spec
    if logits is None:
        return False
    argument = logits.argument
    if logits.softmax_axis_size == 1:
        v.add("WCE306", f"{argument} is the output of a {logits.activation_op} over an axis of size 1: it is "
                        f"exactly 1.0 everywhere, so {spec.name} cannot learn from it",
              argument=argument, help=_ONE_UNIT_HELP)
        return True
    if logits.keras_activation and logits.shape and logits.shape[-1] == 1 and logits.values is not None \
            and logits.values.size and np.all(logits.values == 1.0) and v._keras_activation(logits) == "softmax":
        v.add("WCE306", f"{argument} is the output of a Keras softmax over an axis of size 1 (shape "
                        f"{format_shape(logits.shape)}): it is exactly 1.0 everywhere, so {spec.name} cannot "
                        "learn from it", argument=argument, help=_ONE_UNIT_HELP)
        return True
    if spec.family in ("softmax", "sparse") and not spec.log_probabilities and logits.shape:
        axis = v.kwargs.get("axis", -1) if spec.family == "softmax" else -1
        if not isinstance(axis, (int, np.integer)) or not -len(logits.shape) <= axis < len(logits.shape):
            return False
        if logits.shape[axis] == 1:
            v.add("WCE306", f"{argument} has a single class (shape {format_shape(logits.shape)}, class axis of "
                            f"size 1): {spec.name} over one class is identically 0, so nothing trains",
                  argument=argument,
                  help="for one output unit use a sigmoid loss (binary_crossentropy, "
                       "sigmoid_cross_entropy_with_logits); a softmax loss needs one unit per class")
            return True
    return False


def check_log_probabilities(v: Any, predictions: TensorView) -> None:
    """WCE104: nll_loss / kl_div input that cannot be log-probabilities (they are never above 0)."""
    finite = predictions.finite_values()
    if finite is None or finite.size == 0 or not np.issubdtype(finite.dtype, np.floating):
        return
    if not (finite > 0).any():
        return
    name, argument = v.spec.name, predictions.argument
    if ((finite >= 0) & (finite <= 1)).all():
        consequence = ("nll_loss of probabilities is -p[target]: negative, and its gradient does not train the "
                       "classifier" if name == "nll_loss" else
                       "kl_div then computes target * (log(target) - p), which is not a divergence")
        v.add("WCE104", f"every {argument} value lies in [0, 1] ({range_text(finite)}): these are probabilities, "
                        f"but {name} reads log-probabilities; {consequence}",
              argument=argument, help="take log_softmax instead of softmax")
        return
    v.add("WCE104", f"{argument} has positive values ({range_text(finite)}), and log-probabilities are never above "
                    f"0: these are raw scores (logits); {name} of logits is unbounded below",
          argument=argument,
          help="apply log_softmax first"
               + (" (or use cross_entropy = log_softmax + nll_loss)" if name == "nll_loss" else ""))


def check_kl_target(v: Any, target: TensorView, finite: np.ndarray) -> None:
    """kl_div's target: probabilities unless ``log_target=True`` (then log-probabilities)."""
    argument = target.argument
    if bool(v.kwargs.get("log_target", False)):
        if (finite > 0).any():
            v.add("WCE104", f"{argument} has positive values ({range_text(finite)}), but with log_target=True "
                            "kl_div reads a target of log-probabilities (never above 0)",
                  argument=argument, help="drop log_target=True, or pass the log of the target")
        return
    if (finite <= 0).all() and (finite < 0).any():
        v.add("WCE104", f"{argument} values are all <= 0 ({range_text(finite)}): these are log-probabilities, but "
                        "kl_div reads a target of probabilities unless log_target=True",
              argument=argument, help="pass log_target=True")
    elif ((finite < 0) | (finite > 1)).any():
        v.add("WCE304", f"{argument} has values outside [0, 1] ({range_text(finite)}); kl_div expects a target "
                        "of probabilities", argument=argument)
