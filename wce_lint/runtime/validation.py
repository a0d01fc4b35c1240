"""``validate()`` and ``check()``: the catalog's checks applied to real tensors.

Eagerly every check runs on the values. Inside ``tf.function`` the inputs are graph tensors whose values
do not exist at trace time, so only what is static is checked: shapes, dtypes, constants that fold
(``tf.get_static_value``) and the op that produced ``logits`` — a ``Sigmoid``/``Softmax`` op there is a
certain WCE101. ``check(..., graph_asserts=True)`` additionally adds ``tf.debugging`` assertions for the
value checks, which then run with the graph and raise ``InvalidArgumentError`` (message prefixed with the
code) when the step executes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from wce_lint.runtime import value_kinds
from wce_lint.runtime._tensors import TensorView, format_shape, tensorflow, view
from wce_lint.runtime._tensors import number_text as _number
from wce_lint.runtime._tensors import range_text as _range_text
from wce_lint.runtime.apis import LossSpec, resolve_loss
from wce_lint.runtime.findings import Finding, WCELossError, WCELossWarning, make_finding

# Keyword arguments of the supported APIs that validation understands or may safely ignore.
_KNOWN_KWARGS = frozenset({
    "from_logits", "alpha", "gamma", "apply_class_balancing", "label_smoothing", "axis",
    "ignore_class", "sample_weight", "name", "reduction", "dtype",
})
# Keywords only some APIs take: tf.compat.v1.losses (weights are per-example) and torch nll_loss / kl_div.
_V1_KWARGS = frozenset({"weights", "scope", "loss_collection"})
_TORCH_KWARGS = frozenset({"ignore_index", "log_target", "weight"})


def validate(
    labels: Any,
    logits: Any,
    pos_weight: Any = None,
    *,
    loss: str = "weighted_cross_entropy_with_logits",
    **loss_kwargs: Any,
) -> list[Finding]:
    """Check the arguments of one cross-entropy call; return the findings (empty when clean).

    ``labels`` and ``logits`` are in TensorFlow's order (labels first) for every loss, Keras's included
    (``y_true``, ``y_pred``). ``loss`` names the API (``"weighted_cross_entropy_with_logits"``,
    ``"sigmoid_cross_entropy_with_logits"``, ``"softmax_cross_entropy_with_logits"``,
    ``"sparse_softmax_cross_entropy_with_logits"``, ``"binary_crossentropy"``,
    ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``, ``"binary_focal_crossentropy"``,
    ``"categorical_focal_crossentropy"``; a dotted prefix or the Keras class name is accepted).
    ``loss_kwargs`` are the API's own keywords: ``from_logits``, ``alpha``, ``gamma``, ``ignore_class``,
    ``axis``, ``sample_weight`` …
    """
    return validate_call(labels, logits, pos_weight, loss=loss, **loss_kwargs)


def validate_call(
    labels: Any,
    logits: Any,
    pos_weight: Any = None,
    *,
    loss: str | LossSpec,
    squeezable_rank: bool = False,
    **loss_kwargs: Any,
) -> list[Finding]:
    """``validate`` plus the options only the guard needs.

    ``squeezable_rank``: Keras ``Loss.__call__`` squeezes or expands ``y_true`` by one axis of size 1
    before calling the loss function (``squeeze_or_expand_to_same_rank``), so ``[N]`` against ``[N, 1]``
    is fine there, while the function forms raise on it.
    """
    spec = loss if isinstance(loss, LossSpec) else resolve_loss(loss)
    known = _KNOWN_KWARGS | (_V1_KWARGS if spec.weights_argument == "weights" else frozenset()) \
        | (_TORCH_KWARGS if spec.log_probabilities else frozenset())
    unknown = set(loss_kwargs) - known
    if unknown:
        raise TypeError(f"validate() got keyword arguments {sorted(unknown)} that {spec.name} does not take")
    if pos_weight is not None and not spec.takes_pos_weight:
        raise TypeError(f"{spec.name} takes no pos_weight (only weighted_cross_entropy_with_logits does)")
    return _Validator(spec, labels, logits, pos_weight, loss_kwargs, squeezable_rank).run()


def check(
    labels: Any,
    logits: Any,
    pos_weight: Any = None,
    *,
    loss: str = "weighted_cross_entropy_with_logits",
    strict: bool = False,
    graph_asserts: bool = False,
    **loss_kwargs: Any,
) -> None:
    """Like ``validate`` but raise ``WCELossError`` (a ``ValueError``) when an error-level finding exists.

    Warning-level findings (the eager WCE101 heuristic) are issued as ``WCELossWarning``; ``strict=True``
    raises on them too. ``graph_asserts=True`` adds run-time ``tf.debugging`` assertions for the value
    checks that cannot run while a ``tf.function`` is traced (they raise ``InvalidArgumentError``).
    """
    spec = resolve_loss(loss)
    findings = validate_call(labels, logits, pos_weight, loss=spec, **loss_kwargs)
    raise_findings(findings, context=spec.name, strict=strict)
    if graph_asserts:
        add_graph_assertions(spec, labels, logits, pos_weight, **loss_kwargs)


def raise_findings(findings: list[Finding], *, context: str, strict: bool = False) -> None:
    errors = [finding for finding in findings if strict or finding.severity == "error"]
    if errors:
        raise WCELossError(findings, context)
    for finding in findings:
        warnings.warn(str(finding), WCELossWarning, stacklevel=3)


def _first_index(mask: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return str(index[0]) if len(index) == 1 else str(index)


class _Validator:
    def __init__(
        self, spec: LossSpec, labels: Any, logits: Any, pos_weight: Any, kwargs: dict[str, Any],
        squeezable_rank: bool,
    ) -> None:
        self.spec = spec
        self.kwargs = kwargs
        self.from_logits = bool(kwargs.get("from_logits", False))
        self.squeezable_rank = squeezable_rank
        self.labels = view(labels, spec.labels_argument)
        self.logits = view(logits, spec.logits_argument)
        self.pos_weight = view(pos_weight, "pos_weight")
        weights_argument = spec.weights_argument if spec.weights_argument in kwargs else "sample_weight"
        self.sample_weight = view(kwargs.get(weights_argument), weights_argument)
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, *, argument: str, severity: str = "error",
            help: str | None = None) -> None:
        self.findings.append(make_finding(code, message, argument=argument, severity=severity,  # type: ignore[arg-type]
                                          help=help))

    def run(self) -> list[Finding]:
        for tensor in (self.labels, self.logits, self.sample_weight):
            self.check_finite(tensor)
        # One problem, one finding: class ids where one-hot rows belong (or the reverse) also mismatch the
        # shape, dtype and range the loss wants, and a softmax over one unit is not also "probabilities".
        label_kind_mismatch = value_kinds.check_sparse_dense(self)
        single_class = value_kinds.check_single_class(self)
        if not label_kind_mismatch:
            self.check_label_dtype()
            self.check_shapes()
        self.check_pos_weight()
        if not label_kind_mismatch:
            self.check_label_values()
        if not single_class:
            self.check_logits_slot()
        self.check_focal_parameters()
        return self.findings

    # WCE601 -------------------------------------------------------------------------------------------
    def check_finite(self, tensor: TensorView | None) -> None:
        if tensor is None or tensor.values is None or tensor.values.dtype.kind not in "fc":
            return
        values = tensor.values
        nan, inf = np.isnan(values), np.isinf(values)
        if not (nan.any() or inf.any()):
            return
        parts = [f"{int(count)} {kind}" for kind, count in (("NaN", nan.sum()), ("inf", inf.sum())) if count]
        self.add("WCE601", f"{tensor.argument} contain {' and '.join(parts)} value(s) (first at index "
                           f"{_first_index(nan | inf)}): the loss and its gradient will be NaN/inf",
                 argument=tensor.argument,
                 help="find where they come from with tf.debugging.enable_check_numerics()")

    # WCE303 -------------------------------------------------------------------------------------------
    def check_label_dtype(self) -> None:
        labels, spec = self.labels, self.spec
        if labels is None or labels.dtype is None or spec.casts_labels:
            return  # Keras casts y_true itself (RULES.md, facts)
        if spec.family == "sparse":
            if labels.dtype not in ("int32", "int64"):
                self.add("WCE303", f"{labels.argument} have dtype {labels.dtype}, but {spec.name} needs int32 "
                                   "or int64 class ids (it raises InvalidArgumentError otherwise)",
                         argument=labels.argument,
                         help="tf.cast(labels, tf.int32); one-hot labels belong in "
                              "softmax_cross_entropy_with_logits")
        elif labels.is_integer:
            expected = self.logits.dtype if self.logits is not None and self.logits.is_float else "float"
            self.add("WCE303", f"{labels.argument} have dtype {labels.dtype}, but {spec.name} needs float labels "
                               f"of the logits' dtype ({expected}); tf.nn ops raise InvalidArgumentError on "
                               "integer labels",
                     argument=labels.argument, help="tf.cast(labels, logits.dtype)")

    # WCE301 / WCE302 ----------------------------------------------------------------------------------
    def check_shapes(self) -> None:
        labels, logits, spec = self.labels, self.logits, self.spec
        if labels is None or logits is None or labels.shape is None or logits.shape is None:
            return
        if spec.family == "sparse":
            self.check_sparse_shapes(labels, logits)
            return
        if _shapes_match(labels.shape, logits.shape):
            return
        if self.squeezable_rank and _equal_after_squeeze(labels.shape, logits.shape):
            return
        hint = ""
        if _equal_after_squeeze(labels.shape, logits.shape):
            hint = " — squeeze or expand the size-1 axis so both have the same shape"
        self.add("WCE301", f"{labels.argument} shape {format_shape(labels.shape)} does not match "
                           f"{logits.argument} shape {format_shape(logits.shape)}; {spec.name} needs equal "
                           f"shapes{hint}",
                 argument=labels.argument)

    def check_sparse_shapes(self, labels: TensorView, logits: TensorView) -> None:
        assert labels.shape is not None and logits.shape is not None
        spec = self.spec
        if not logits.shape:
            self.add("WCE301", f"{logits.argument} is a scalar; {spec.name} needs logits with a class axis",
                     argument=logits.argument)
            return
        axis = spec.classes_axis(len(logits.shape))
        expected = logits.shape[:axis] + logits.shape[axis + 1:]
        if _shapes_match(labels.shape, expected):
            return
        # Keras squeezes a trailing axis of size 1 from sparse labels ([N, 1] is fine there).
        if spec.squeezes_sparse_labels and len(labels.shape) == len(logits.shape) \
                and labels.shape[-1] in (1, None) and _shapes_match(labels.shape[:-1], expected):
            return
        self.add("WCE301", f"{labels.argument} shape {format_shape(labels.shape)} does not fit "
                           f"{logits.argument} shape {format_shape(logits.shape)}: {spec.name} needs class ids "
                           f"of shape {format_shape(expected)} (rank {len(logits.shape) - 1} = "
                           f"{logits.argument} rank - 1)",
                 argument=labels.argument,
                 help="one-hot labels belong in the dense softmax/categorical loss")

    def check_pos_weight(self) -> None:
        pos_weight, logits = self.pos_weight, self.logits
        if pos_weight is None:
            return
        if pos_weight.shape is not None and logits is not None and logits.shape is not None \
                and not _broadcasts_to(pos_weight.shape, logits.shape):
            classes = logits.shape[-1] if logits.shape else None
            message = (f"pos_weight shape {format_shape(pos_weight.shape)} cannot broadcast to logits shape "
                       f"{format_shape(logits.shape)}: pos_weight broadcasts from the last axis (a per-class "
                       f"positive weight of length {classes if classes is not None else 'C'})")
            if len(pos_weight.shape) == 1 and len(logits.shape) >= 2 and pos_weight.shape[0] == logits.shape[0]:
                message += (" — its length equals the batch size: per-example weights belong in a Keras loss's "
                            "sample_weight, not in pos_weight")
            self.add("WCE302", message, argument="pos_weight")
        values = pos_weight.values
        if values is None:
            return
        values = values.astype(np.float64, copy=False)
        finite = values[np.isfinite(values)]
        if (finite < 0).any():
            self.add("WCE203", f"pos_weight is negative ({_range_text(finite)}): the positive term changes sign "
                               "and the loss silently turns negative (TensorFlow raises nothing)",
                     argument="pos_weight", help="use a positive weight, e.g. negatives / positives")
        if (finite == 0).any():
            self.add("WCE204", "pos_weight is zero" + (" for some classes" if values.size > 1 else "")
                     + ": positive labels then contribute nothing to the loss",
                     argument="pos_weight")
        if not np.isfinite(values).all():
            self.add("WCE204", "pos_weight is not finite (NaN or inf): every element with a positive label "
                               "gets a NaN/inf loss", argument="pos_weight")

    # WCE304 -------------------------------------------------------------------------------------------
    def check_label_values(self) -> None:
        labels, spec = self.labels, self.spec
        if labels is None:
            return
        finite = labels.finite_values()
        if finite is None or finite.size == 0:
            return
        finite = finite.astype(np.float64, copy=False)
        if spec.family == "sparse":
            self.check_class_ids(labels, finite)
            return
        if spec.name == "kl_div":
            value_kinds.check_kl_target(self, labels, finite)
            return
        outside = (finite < 0) | (finite > 1)
        if not outside.any():
            return
        message = (f"{labels.argument} have values outside [0, 1] ({_range_text(finite)}); {spec.name} expects "
                   "0/1 targets or probabilities")
        help_text = None
        if (finite >= 0).all() and np.all(finite == np.round(finite)):
            message += " — these look like class ids"
            help_text = "use the sparse loss, or tf.one_hot(labels, depth) first"
        self.add("WCE304", message, argument=labels.argument, help=help_text)

    def check_class_ids(self, labels: TensorView, ids: np.ndarray) -> None:
        ignore_class = self.kwargs.get("ignore_class")
        if self.spec.name == "nll_loss":
            ignore_class = self.kwargs.get("ignore_index", -100)  # torch's default ignore_index
        if ignore_class is not None:
            ids = ids[ids != ignore_class]  # Keras skips these ids (they are often negative, e.g. -1)
        if ids.size == 0:
            return
        if not np.all(ids == np.round(ids)):
            self.add("WCE304", f"{labels.argument} contain non-integer values ({_range_text(ids)}): "
                               f"{self.spec.name} truncates them to class ids",
                     argument=labels.argument)
            return
        logits = self.logits
        classes = logits.shape[self.spec.classes_axis(len(logits.shape))] \
            if logits is not None and logits.shape else None
        upper = ids >= classes if classes is not None else np.zeros(ids.shape, bool)
        if (ids < 0).any() or upper.any():
            bound = f"[0, {classes})" if classes is not None else "[0, num_classes)"
            self.add("WCE304", f"{labels.argument} contain class ids outside {bound} ({_range_text(ids)}); "
                               f"{self.spec.name} raises on CPU and returns NaN on GPU for them",
                     argument=labels.argument)

    # WCE101 / WCE102 ----------------------------------------------------------------------------------
    def check_logits_slot(self) -> None:
        logits, spec = self.logits, self.spec
        if logits is None:
            return
        if spec.log_probabilities:
            value_kinds.check_log_probabilities(self, logits)
        elif spec.expects_logits(self.from_logits):
            self.check_probabilities_as_logits(logits)
        else:
            self.check_logits_as_probabilities(logits)

    def _applies_itself(self) -> str:
        activation = "sigmoid" if self.spec.family == "sigmoid" else "softmax"
        call = f"{self.spec.name}(from_logits=True)" if self.spec.keras else self.spec.name
        return f"{call} applies the {activation} itself — pass the raw scores"

    def check_probabilities_as_logits(self, logits: TensorView) -> None:
        if logits.activation_op is not None:
            self.add("WCE101", f"{logits.argument} is the output of a {logits.activation_op}; "
                               f"{self._applies_itself()}",
                     argument=logits.argument, help="drop the activation (or use from_logits=False in Keras)")
            return
        if logits.keras_activation:
            self.add("WCE101", f"{logits.argument} is the output of a Keras {self._keras_activation(logits)} "
                               f"activation; {self._applies_itself()}",
                     argument=logits.argument, help="drop the activation (or use from_logits=False in Keras)")
            return
        finite = logits.finite_values()
        if finite is None or finite.size < 2 or not np.issubdtype(finite.dtype, np.floating):
            return  # a single value is no evidence either way
        inside = (finite >= 0).all() and (finite <= 1).all()
        binary = np.isin(finite, (0.0, 1.0)).all()
        if inside and not binary:
            self.add("WCE101", f"every {logits.argument} value lies in [0, 1] ({_range_text(finite)}): these look "
                               f"like probabilities, but {self._applies_itself()}",
                     argument=logits.argument, severity="warning",
                     help="drop the sigmoid/softmax before the loss")

    def _keras_activation(self, logits: TensorView) -> str:
        marker = getattr(logits.tensor, "_keras_logits", None)
        if logits.values is not None and marker is not None:
            try:
                raw = np.asarray(marker.numpy(), dtype=np.float64)
                sigmoid = 0.5 * (1.0 + np.tanh(0.5 * raw))
                return "sigmoid" if np.allclose(logits.values, sigmoid, atol=1e-3) else "softmax"
            except Exception:  # noqa: BLE001 - naming the activation is a nicety, never a failure
                pass
        return "sigmoid/softmax"

    def check_logits_as_probabilities(self, predictions: TensorView) -> None:
        finite = predictions.finite_values()
        if finite is None or finite.size == 0 or not np.issubdtype(finite.dtype, np.floating):
            return
        if ((finite < 0) | (finite > 1)).any():
            self.add("WCE102", f"{predictions.argument} has values outside [0, 1] ({_range_text(finite)}), but "
                               f"{self.spec.name} has from_logits=False and treats them as probabilities "
                               "(Keras clips them to [1e-7, 1 - 1e-7]): these are logits",
                     argument=predictions.argument, help="pass from_logits=True")

    # WCE503 -------------------------------------------------------------------------------------------
    def check_focal_parameters(self) -> None:
        if not self.spec.focal:
            return
        for name, low, high in (("alpha", 0.0, 1.0), ("gamma", 0.0, np.inf)):
            if name not in self.kwargs or self.kwargs[name] is None:
                continue
            parameter = view(self.kwargs[name], name)
            if parameter is None or parameter.values is None:
                continue
            try:
                values = parameter.values.astype(np.float64)
            except (TypeError, ValueError):
                continue
            bad = ~np.isfinite(values) | (values < low) | (values > high)
            if bad.any():
                expected = "inside [0, 1]" if name == "alpha" else "a finite number >= 0"
                shown = _number(values.ravel()[int(np.argmax(bad.ravel()))])
                self.add("WCE503", f"{self.spec.name} got {name}={shown}; {name} must be {expected}",
                         argument=name)


def _shapes_match(first: tuple[int | None, ...], second: tuple[int | None, ...]) -> bool:
    return len(first) == len(second) and all(
        a is None or b is None or a == b for a, b in zip(first, second)
    )


def _equal_after_squeeze(labels: tuple[int | None, ...], logits: tuple[int | None, ...]) -> bool:
    if len(labels) == len(logits) + 1 and labels[-1] in (1, None):
        return _shapes_match(labels[:-1], logits)
    if len(logits) == len(labels) + 1 and logits[-1] in (1, None):
        return _shapes_match(labels, logits[:-1])
    return False


def _broadcasts_to(source: tuple[int | None, ...], target: tuple[int | None, ...]) -> bool:
    """Whether ``source`` broadcasts to exactly ``target``, aligning from the last axis."""
    if len(source) > len(target):
        extra, source = source[: len(source) - len(target)], source[len(source) - len(target):]
        if any(dim not in (1, None) for dim in extra):
            return False
    for src, dst in zip(reversed(source), reversed(target)):
        if src in (1, None) or dst is None or src == dst:
            continue
        return False
    return True


def add_graph_assertions(spec: LossSpec, labels: Any, logits: Any, pos_weight: Any = None,
                         **loss_kwargs: Any) -> None:
    """Run-time ``tf.debugging`` assertions for graph tensors whose values are unknown at trace time.

    Assertion ops are stateful, so inside ``tf.function`` automatic control dependencies run them with the
    step; a failure raises ``InvalidArgumentError`` whose message starts with the finding's code.
    """
    tf = tensorflow()
    if tf.executing_eagerly():
        return  # eager values were fully checked already
    label_view = view(labels, spec.labels_argument)
    logit_view = view(logits, spec.logits_argument)
    weight_view = view(pos_weight, "pos_weight")

    def unknown(tensor: TensorView | None) -> bool:
        return tensor is not None and tensor.symbolic and tensor.values is None

    for tensor in (label_view, logit_view):
        if unknown(tensor) and tensor is not None and tensor.is_float:
            tf.debugging.assert_all_finite(
                tensor.tensor, f"WCE601 non-finite-input: {tensor.argument} contain NaN or inf")
    if unknown(label_view) and label_view is not None and label_view.dtype is not None \
            and label_view.dtype != "bool":
        ids = tf.convert_to_tensor(label_view.tensor)
        if spec.family == "sparse":
            tf.debugging.assert_non_negative(ids, message="WCE304 labels-out-of-range: negative class ids")
            if logit_view is not None and logit_view.tensor is not None:
                classes = tf.shape(logit_view.tensor, out_type=ids.dtype)[-1] if ids.dtype.is_integer else \
                    tf.cast(tf.shape(logit_view.tensor)[-1], ids.dtype)
                tf.debugging.assert_less(ids, classes,
                                         message="WCE304 labels-out-of-range: class ids >= number of classes")
        else:
            tf.debugging.assert_non_negative(ids, message="WCE304 labels-out-of-range: labels below 0")
            tf.debugging.assert_less_equal(ids, tf.ones([], ids.dtype),
                                           message="WCE304 labels-out-of-range: labels above 1")
    if unknown(weight_view) and weight_view is not None and weight_view.is_float:
        weight = weight_view.tensor
        tf.debugging.assert_non_negative(weight, message="WCE203 negative-pos-weight: pos_weight < 0")
        tf.debugging.assert_all_finite(weight, "WCE204 degenerate-pos-weight: pos_weight is NaN or inf")
        tf.debugging.Assert(tf.reduce_all(tf.not_equal(weight, 0)),
                            ["WCE204 degenerate-pos-weight: pos_weight is zero"])
    if spec.keras and not bool(loss_kwargs.get("from_logits", False)) and unknown(logit_view) \
            and logit_view is not None and logit_view.is_float:
        predictions = logit_view.tensor
        tf.debugging.assert_non_negative(
            predictions, message="WCE102 logits-as-probabilities: y_pred below 0 with from_logits=False")
        tf.debugging.assert_less_equal(
            predictions, tf.ones([], predictions.dtype),
            message="WCE102 logits-as-probabilities: y_pred above 1 with from_logits=False")


__all__ = ["validate", "check", "validate_call", "raise_findings", "add_graph_assertions", "WCELossError"]
