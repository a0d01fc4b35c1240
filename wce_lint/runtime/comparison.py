"""``compare_to_reference``: run a loss function against a TensorFlow reference on a battery of hard cases.

Calling convention for ``loss_fn`` (labels first, as TensorFlow's ops and Keras's losses, so they can be
passed as they are):

* ``reference="weighted_cross_entropy_with_logits"``: ``loss_fn(labels, logits, pos_weight)``
* ``"sigmoid_cross_entropy_with_logits"``, ``"softmax_cross_entropy_with_logits"``,
  ``"sparse_softmax_cross_entropy_with_logits"``, ``"class_balanced_softmax_cross_entropy"``:
  ``loss_fn(labels, logits)``
* ``"binary_focal_crossentropy"``, ``"categorical_focal_crossentropy"``: ``loss_fn(y_true, y_pred)``, where
  ``y_pred`` holds logits when ``params["from_logits"]`` is true and probabilities otherwise (Keras's default).

``params`` configure the reference (``reference_ops``), never ``loss_fn``: bind your own parameters yourself.
Arguments are arrays of the case's dtype in the framework ``loss_fn`` is written in (``frameworks``):
eager ``tf.Tensor``s, ``jax.numpy`` arrays or NumPy arrays (sparse labels: ``int32``; ``pos_weight``: a scalar
or a per-class vector). ``loss_fn`` returns the per-element loss (the shape the ``tf.nn`` op returns; for the
binary focal loss, the logits' shape or Keras's mean over the last axis) or a scalar, which is compared with
the mean of the per-element loss.

What is expected: the reference evaluated by TensorFlow in float64 on the same inputs (rounded to the case's
dtype first, so both sides see identical numbers); gradients w.r.t. the second argument come from
``tf.GradientTape`` for the reference and from the user's framework for ``loss_fn``. An element passes when
``|got - expected| <= atol + rtol * scale`` where ``scale`` is the larger of ``|expected|`` and the magnitude
of the formula's terms: TensorFlow's own stable formula adds ``(1 - z) * x`` and ``max(-x, 0)``, which
cancel, so in float32 no implementation can be closer than float32's spacing at ``|x|`` (e.g. ``z = 0,
x = -16``: ``-16 + 16.0000001``). "rel err" in the report is ``|got - expected| / scale``, directly
comparable with ``rtol``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from wce_lint.runtime._tensors import format_shape
from wce_lint.runtime.battery import EDGE_LOGITS, Case, generate_cases, round_inputs, user_cases
from wce_lint.runtime.findings import Finding, format_findings, make_finding
from wce_lint.runtime.frameworks import DIFFERENTIABLE, FRAMEWORKS, RUNNERS, NoGradient, detect_framework, \
    run_tensorflow
from wce_lint.runtime.reference_ops import REFERENCES, ReferenceSpec, resolve_reference

__all__ = ["compare_to_reference", "ComparisonReport", "CaseResult", "WorstElement", "DEFAULT_TOLERANCES",
           "EDGE_LOGITS", "REFERENCES", "Case", "generate_cases"]

# (rtol, atol) per dtype: roughly 10-100 units in the last place, measured against TensorFlow's own op.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3),
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}


@dataclass(frozen=True)
class WorstElement:
    """The inputs of the element that failed worst (or came closest to failing)."""

    case: str
    dtype: str
    index: tuple[int, ...]
    quantity: str  # "value" or "gradient"
    labels: Any
    logits: Any
    pos_weight: Any
    expected: float
    got: float
    labels_name: str = "labels"
    logits_name: str = "logits"

    def __str__(self) -> str:
        inputs = f"{self.labels_name}={_show(self.labels)}, {self.logits_name}={_show(self.logits)}"
        if self.pos_weight is not None:
            inputs += f", pos_weight={_show(self.pos_weight)}"
        what = "loss" if self.quantity == "value" else f"d loss/d {self.logits_name}"
        index = ", ".join(str(i) for i in self.index)
        return (f"{self.case} ({self.dtype}) at [{index}]: {inputs} -> {what} expected "
                f"{_show(self.expected)}, got {_show(self.got)}")


@dataclass
class CaseResult:
    """One row of the report."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    pos_weight: str
    elements: int = 0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    grad_max_abs_error: float | None = None
    grad_max_rel_error: float | None = None
    nonfinite_outputs: int = 0
    nonfinite_gradients: int = 0
    value_mismatches: int = 0
    gradient_mismatches: int = 0
    error: str | None = None  # loss_fn raised, returned a wrong shape, or had no gradient
    failing_logit_magnitude: float | None = None  # smallest |logit| among failing elements
    worst: WorstElement | None = None
    worst_score: float = 0.0
    # (quantity, "nonfinite" | "mismatch") -> the example shown in findings
    examples: dict[tuple[str, str], WorstElement] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (self.error is None and not self.nonfinite_outputs and not self.nonfinite_gradients
                and not self.value_mismatches and not self.gradient_mismatches)


@dataclass
class ComparisonReport:
    reference: str
    rows: list[CaseResult]
    findings: list[Finding] = field(default_factory=list)
    loss_name: str = "loss_fn"
    tolerances: dict[str, tuple[float, float]] = field(default_factory=dict)
    # The framework loss_fn ran in ("tensorflow", "jax", "numpy") and the reference as reports name it.
    framework: str = "tensorflow"
    reference_display: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def failed_rows(self) -> list[CaseResult]:
        return [row for row in self.rows if not row.passed]

    @property
    def max_abs_error(self) -> float:
        return max((row.max_abs_error for row in self.rows), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((row.max_rel_error for row in self.rows), default=0.0)

    @property
    def worst(self) -> WorstElement | None:
        candidates = [row for row in self.rows if row.worst is not None]
        return max(candidates, key=lambda row: row.worst_score).worst if candidates else None

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else f"FAILED ({len(self.failed_rows)} of {len(self.rows)} cases)"
        display = self.reference_display or f"tf.nn.{self.reference}"
        lines = [f"{self.loss_name} (ran in {self.framework}) vs {display}: {verdict}"]
        header = ("case", "dtype", "shape", "pos_weight", "max abs err", "max rel err", "grad abs err",
                  "grad rel err", "non-finite", "result")
        table = [header]
        for row in self.rows:
            table.append((
                row.name, row.dtype, format_shape(row.shape), row.pos_weight,
                _error(row.max_abs_error), _error(row.max_rel_error),
                _error(row.grad_max_abs_error), _error(row.grad_max_rel_error),
                f"{row.nonfinite_outputs}/{row.nonfinite_gradients}" if row.error is None else "-",
                "ok" if row.passed else ("ERROR" if row.error else "FAIL"),
            ))
        widths = [max(len(str(line[column])) for line in table) for column in range(len(header))]
        numeric = {4, 5, 6, 7, 8}
        for position, line in enumerate(table):
            cells = [str(cell).rjust(width) if column in numeric else str(cell).ljust(width)
                     for column, (cell, width) in enumerate(zip(line, widths))]
            lines.append("  ".join(cells).rstrip())
            if position == 0:
                lines.append("  ".join("-" * width for width in widths))
        lines.append("non-finite = outputs/gradients that are NaN or inf where TensorFlow's are finite; "
                     "rel err = |error| / max(|expected|, size of the formula's terms, 1)")
        tolerance_text = ", ".join(f"{dtype} rtol={rtol:g} atol={atol:g}"
                                   for dtype, (rtol, atol) in self.tolerances.items())
        if tolerance_text:
            lines.append(f"tolerances: {tolerance_text}")
        lines.extend(f"note: {note}" for note in self.notes)
        for row in self.rows:
            if row.error:
                lines.append(f"error in {row.name} ({row.dtype}): {row.error}")
        worst = self.worst
        if worst is not None:
            lines.append(f"worst: {worst}")
        if self.findings:
            lines.append("findings:")
            lines.append(format_findings(self.findings))
        return "\n".join(lines)


def _show(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        number = float(array)
        if not np.isfinite(number):
            return str(number)
        return f"{number:.6g}"
    return np.array2string(array, precision=4, threshold=8)


def _error(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


# Evaluating one case ------------------------------------------------------------------------------

def _as_reference(tf_loss: Callable[..., Any]) -> Callable[..., Any]:
    """A spec's (labels, predictions, pos_weight) function, callable with or without pos_weight."""
    def call(labels: Any, predictions: Any, pos_weight: Any = None) -> Any:
        return tf_loss(labels, predictions, pos_weight)

    return call


def _magnitude(spec: ReferenceSpec, x: np.ndarray) -> np.ndarray:
    """|logit| per loss element: itself (sigmoid family) or the row's largest (softmax family)."""
    if spec.family == "sigmoid":
        return np.abs(x)
    return np.abs(x).max(axis=-1)


def _shape_error(spec: ReferenceSpec, got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    accepted = f"the per-element loss of shape {format_shape(expected)}"
    if spec.keras and spec.family == "sigmoid" and expected:
        accepted += f", its mean over the last axis {format_shape(expected[:-1])} (as {spec.display} returns),"
    else:
        accepted += f" (as {spec.display} returns)"
    return f"loss_fn returned shape {format_shape(got)}; expected {accepted} or a scalar mean"


def _run_loss(loss_fn: Callable[..., Any], spec: ReferenceSpec, case: Case, framework: str,
              want_gradient: bool, row: CaseResult) -> tuple[np.ndarray, np.ndarray | None] | None:
    try:
        return RUNNERS[framework](loss_fn, case.labels, case.logits, case.pos_weight, case.dtype,
                                  spec.family == "sparse", want_gradient)
    except NoGradient:
        row.error = (f"tape.gradient(loss, {spec.predictions_name}) is None: loss_fn is not differentiable w.r.t. "
                     f"{spec.predictions_name} (does it leave TensorFlow, e.g. through .numpy()?)")
    except Exception as error:  # noqa: BLE001 - the user's function may fail in any way; report it
        lines = str(error).splitlines()
        row.error = f"loss_fn raised {type(error).__name__}: {(lines[0] if lines else '')[:200]}"
        if framework == "jax" and "Tracer" in type(error).__name__:
            row.error += (f" — loss_fn is not differentiable w.r.t. {spec.predictions_name} with jax.vjp "
                          "(does it leave JAX, e.g. through NumPy?)")
    return None


def _evaluate(loss_fn: Callable[..., Any], spec: ReferenceSpec, case: Case, tolerance: tuple[float, float],
              check_gradients: bool, framework: str) -> CaseResult:
    case = round_inputs(case)
    sparse = spec.family == "sparse"
    want_gradient = check_gradients and DIFFERENTIABLE[framework]
    expected, expected_gradient = run_tensorflow(_as_reference(spec.expected), case.labels, case.logits,
                                                 case.pos_weight, "float64", sparse, want_gradient)
    alternative = alternative_gradient = None
    second_answer = None if spec.alternative is None else spec.alternative(case.dtype)
    if second_answer is not None:
        alternative, alternative_gradient = run_tensorflow(_as_reference(second_answer), case.labels,
                                                           case.logits, case.pos_weight, "float64", sparse,
                                                           want_gradient)
    row = CaseResult(case.name, case.dtype, tuple(case.logits.shape), case.pos_weight_kind)
    outcome = _run_loss(loss_fn, spec, case, framework, want_gradient, row)
    if outcome is None:
        return row
    got, got_gradient = outcome

    z, x, q = case.labels, case.logits, case.pos_weight
    value_scale = spec.value_scale(z, x, q)
    gradient_scale = spec.grad_scale(z, x, q)
    magnitude = _magnitude(spec, x)
    if got.shape != expected.shape:
        if got.shape == () and expected.shape != ():
            # A loss that reduces with a mean: compare with the mean of the per-element loss.
            axis, count, magnitude = None, expected.size, np.asarray(magnitude.min())
        elif spec.keras and spec.family == "sigmoid" and expected.shape and got.shape == expected.shape[:-1]:
            # Keras's binary losses return the mean over the last axis.
            axis, count, magnitude = -1, expected.shape[-1], magnitude.max(axis=-1)
        else:
            row.error = _shape_error(spec, got.shape, expected.shape)
            return row
        expected, value_scale = np.asarray(expected.mean(axis=axis)), np.asarray(value_scale.mean(axis=axis))
        if alternative is not None:
            alternative = np.asarray(alternative.mean(axis=axis))
        # Each element depends on its own predictions only, so the mean's gradient is theirs / count.
        gradient_scale = gradient_scale / count
        if expected_gradient is not None:
            expected_gradient = expected_gradient / count
        if alternative_gradient is not None:
            alternative_gradient = alternative_gradient / count
    rtol, atol = tolerance
    row.elements = int(expected.size)
    _compare(row, "value", case, got, expected, value_scale, magnitude, rtol, atol, spec,
             alternative=alternative)
    if want_gradient and got_gradient is not None and expected_gradient is not None:
        mask = np.ones(x.shape, bool)
        if spec.name == "weighted_cross_entropy_with_logits":
            # TensorFlow's gradient at exactly x = 0 is the subgradient 1 - z of its |x|/relu formulation,
            # not the derivative (1 - z) - (1 + (q - 1) z) / 2: no convention is penalized there.
            mask = x != 0
        gradient_magnitude = np.abs(x)
        if spec.family != "sigmoid":
            gradient_magnitude = np.broadcast_to(np.abs(x).max(axis=-1, keepdims=True), x.shape)
        _compare(row, "gradient", case, got_gradient, expected_gradient, gradient_scale, gradient_magnitude,
                 rtol, atol, spec, mask=mask, alternative=alternative_gradient)
    return row


def _compare(row: CaseResult, quantity: str, case: Case, got: np.ndarray, expected: np.ndarray,
             scale: np.ndarray, magnitude: np.ndarray, rtol: float, atol: float, spec: ReferenceSpec,
             mask: np.ndarray | None = None, alternative: np.ndarray | None = None) -> None:
    got, expected = np.broadcast_arrays(got, expected)
    usable = np.isfinite(expected) if mask is None else (np.isfinite(expected) & mask)
    if alternative is not None:
        # Two accepted answers: each element is held to whichever of them it is closer to.
        alternative = np.broadcast_to(alternative, expected.shape)
        with np.errstate(invalid="ignore"):
            closer = np.isfinite(alternative) & (np.abs(got - alternative) < np.abs(got - expected))
        expected = np.where(closer, alternative, expected)
    # At least 1: log(1 + tiny) or log(sum(exp)) with a sum >= 1 is exact only to the dtype's epsilon in
    # absolute terms, however small the loss.
    scale = np.broadcast_to(np.maximum(np.maximum(np.abs(expected), scale), 1.0), expected.shape)
    magnitude = np.broadcast_to(magnitude, expected.shape)
    nonfinite = usable & ~np.isfinite(got)
    comparable = usable & np.isfinite(got)
    abs_error = np.where(comparable, np.abs(got - expected), 0.0)
    rel_error = np.where(comparable, abs_error / np.maximum(scale, np.finfo(np.float64).tiny), 0.0)
    mismatch = comparable & (abs_error > atol + rtol * scale)
    max_abs = float(abs_error.max()) if abs_error.size else 0.0
    max_rel = float(rel_error.max()) if rel_error.size else 0.0
    if quantity == "value":
        row.max_abs_error, row.max_rel_error = max_abs, max_rel
        row.nonfinite_outputs, row.value_mismatches = int(nonfinite.sum()), int(mismatch.sum())
    else:
        row.grad_max_abs_error, row.grad_max_rel_error = max_abs, max_rel
        row.nonfinite_gradients, row.gradient_mismatches = int(nonfinite.sum()), int(mismatch.sum())
    failing = nonfinite | mismatch
    if failing.any():
        smallest = float(magnitude[failing].min())
        row.failing_logit_magnitude = smallest if row.failing_logit_magnitude is None else \
            min(smallest, row.failing_logit_magnitude)
    # Worst element: a non-finite output beats any finite error; otherwise the largest error/tolerance.
    score = np.where(nonfinite, np.inf, np.where(comparable, abs_error / (atol + rtol * scale), 0.0))
    if score.size == 0:
        return

    def element(flat: int) -> WorstElement:
        index = tuple(int(i) for i in np.unravel_index(flat, score.shape)) if score.ndim else ()
        return _worst_element(case, spec, quantity, index, float(expected.ravel()[flat]),
                              float(got.ravel()[flat]), scalar_reduced=expected.ndim == 0 and case.logits.ndim > 0)

    if nonfinite.any():
        row.examples[(quantity, "nonfinite")] = element(int(np.argmax(nonfinite.ravel())))
    if mismatch.any():
        finite_score = np.where(mismatch, score, 0.0)
        row.examples[(quantity, "mismatch")] = element(int(np.argmax(finite_score.ravel())))
    flat = int(np.argmax(score))
    best = float(score.ravel()[flat])
    if row.worst is None or best > row.worst_score:
        row.worst_score = best
        row.worst = element(flat)


def _worst_element(case: Case, spec: ReferenceSpec, quantity: str, index: tuple[int, ...], expected: float,
                   got: float, scalar_reduced: bool) -> WorstElement:
    labels, logits, pos_weight = case.labels, case.logits, case.pos_weight
    names = {"labels_name": spec.labels_name, "logits_name": spec.predictions_name}
    if scalar_reduced:  # compared as a mean: show the whole (small) case
        return WorstElement(case.name, case.dtype, index, quantity, labels, logits, pos_weight, expected, got,
                            **names)
    if spec.family == "sigmoid" and len(index) == logits.ndim:
        # One loss element per logit.
        if pos_weight is not None and pos_weight.ndim:
            pos_weight = pos_weight[index[-1]]
        return WorstElement(case.name, case.dtype, index, quantity, labels[index], logits[index], pos_weight,
                            expected, got, **names)
    # A loss per row (softmax family, or Keras's mean over the last axis): show the row; a gradient index
    # names one logit of it.
    row = index[:-1] if quantity == "gradient" else index
    return WorstElement(case.name, case.dtype, index, quantity, labels[row], logits[row], None, expected, got,
                        **names)


# Below these |logits| a stable and a naive formula agree to the dtype's precision; failures that start
# beyond them come from saturation (sigmoid -> 1.0 at 4-8 in float16, 16.6 in float32, 37 in float64).
_SATURATION_ONSET = {"float16": 4.0, "float32": 8.0, "float64": 15.0}


def _diagnosis(rows: list[CaseResult]) -> str:
    """Why it failed, when the failures have the signature of a saturating sigmoid/exp."""
    failing = [row for row in rows if not row.passed and row.error is None]
    if not failing or any(row.failing_logit_magnitude is None for row in failing):
        return ""
    if any(row.failing_logit_magnitude is None
           or row.failing_logit_magnitude < _SATURATION_ONSET.get(row.dtype, 8.0) for row in failing):
        return ""
    by_dtype: dict[str, float] = {}
    for row in failing:
        magnitude = row.failing_logit_magnitude
        assert magnitude is not None
        by_dtype[row.dtype] = min(magnitude, by_dtype.get(row.dtype, np.inf))
    where = ", ".join(f"|logits| >= {value:g} in {dtype}" for dtype, value in sorted(by_dtype.items()))
    return (f"; it fails only for large logits ({where}), where sigmoid/softmax saturate to exactly 0 or 1 "
            "and exp overflows — the signature of log(sigmoid(x)), log(1 - sigmoid(x)) or log(softmax(x)) "
            "(WCE501/WCE502): compute the loss from the logits with the stable formula")


def compare_to_reference(
    loss_fn: Callable[..., Any],
    *,
    reference: str = "weighted_cross_entropy_with_logits",
    params: Mapping[str, Any] | None = None,
    cases: Iterable[Mapping[str, Any]] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    check_gradients: bool = True,
    dtypes: Sequence[str] = ("float16", "float32", "float64"),
    include_generated: bool = True,
    seed: int = 0,
    framework: str = "auto",
) -> ComparisonReport:
    """Compare ``loss_fn`` with a TensorFlow reference on the built-in battery plus ``cases``.

    ``reference``: one of ``REFERENCES`` (a dotted prefix and the Keras class names are accepted);
    ``params`` configure it (Keras focal: ``alpha``, ``gamma``, ``apply_class_balancing``, ``from_logits``,
    ``label_smoothing``; class-balanced: ``samples_per_class``, ``beta``). ``framework``: ``"auto"`` (read from
    ``loss_fn``'s code), ``"tensorflow"``, ``"jax"`` or ``"numpy"`` (values only: no gradients).
    ``cases``: dicts with ``labels``, ``logits`` (or ``y_true``, ``y_pred``) and optionally ``pos_weight``
    (weighted reference; default 1.0), ``dtype`` (default: the logits' float dtype, else float32) and
    ``name``. ``rtol``/``atol`` override the per-dtype defaults (``DEFAULT_TOLERANCES``) for every dtype.
    ``dtypes`` restricts the generated battery (e.g. ``("float32",)`` for a loss that only supports float32).
    Returns a ``ComparisonReport``: ``.passed``, ``.findings`` (WCE601 for non-finite outputs or gradients,
    WCE602 for values or gradients beyond tolerance, or a loss_fn that raised), ``.rows``, ``.framework``
    and a printable table.
    """
    if framework != "auto" and framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose auto, {', '.join(FRAMEWORKS)}")
    spec = resolve_reference(reference, params)
    for dtype in dtypes:
        if dtype not in DEFAULT_TOLERANCES:
            raise ValueError(f"unsupported dtype {dtype!r}; choose from {', '.join(DEFAULT_TOLERANCES)}")
    ran_in = detect_framework(loss_fn) if framework == "auto" else framework
    battery = generate_cases(spec, dtypes, seed) if include_generated else []
    battery += user_cases(cases or (), spec)
    tolerances: dict[str, tuple[float, float]] = {}
    rows = []
    for case in battery:
        default_rtol, default_atol = DEFAULT_TOLERANCES.get(case.dtype, DEFAULT_TOLERANCES["float32"])
        tolerance = (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)
        tolerances.setdefault(case.dtype, tolerance)
        rows.append(_evaluate(loss_fn, spec, case, tolerance, check_gradients, ran_in))
    loss_name = getattr(loss_fn, "__qualname__", None) or getattr(loss_fn, "__name__", None) or repr(loss_fn)
    notes = list(spec.notes)
    if spec.alternative is not None:
        notes.append(spec.alternative_note)
    if check_gradients and not DIFFERENTIABLE[ran_in]:
        notes.append(f"gradients not checked: loss_fn runs in {ran_in}, which has no autodiff (values only)")
    report = ComparisonReport(spec.name, rows, loss_name=loss_name, tolerances=tolerances, framework=ran_in,
                              reference_display=spec.display, notes=notes)
    report.findings = _findings(report, spec)
    return report


def _findings(report: ComparisonReport, spec: ReferenceSpec) -> list[Finding]:
    rows, reference = report.rows, spec.display
    # Saturation is diagnosed from logits; a probability loss fails at exact 0/1 inputs instead.
    diagnosis = _diagnosis(rows) if spec.inputs == "logits" else ""
    findings: list[Finding] = []
    total = len(rows)
    nonfinite_rows = [row for row in rows if row.nonfinite_outputs or row.nonfinite_gradients]
    if nonfinite_rows:
        outputs = sum(row.nonfinite_outputs for row in rows)
        gradients = sum(row.nonfinite_gradients for row in rows)
        first = nonfinite_rows[0]
        example = first.examples.get(("value", "nonfinite")) or first.examples.get(("gradient", "nonfinite"))
        findings.append(make_finding(
            "WCE601",
            f"loss_fn returned {outputs} non-finite value(s) and {gradients} non-finite gradient(s) where "
            f"{reference} is finite, in {len(nonfinite_rows)} of {total} cases; e.g. {example}"
            + diagnosis,
            argument="loss_fn",
            help="compute the loss from logits with a stable formula (softplus / log_sigmoid, never "
                 "log(sigmoid(x)))" if spec.inputs == "logits" else
                 "clip probabilities to [1e-7, 1 - 1e-7] before the log as Keras does — or better, pass "
                 "logits (from_logits=True) and use a stable formula",
        ))
    value_rows = [row for row in rows if row.value_mismatches]
    if value_rows:
        worst = max(value_rows, key=lambda row: row.max_rel_error)
        example = worst.examples.get(("value", "mismatch"))
        findings.append(make_finding(
            "WCE602",
            f"loss_fn differs from {reference} beyond tolerance in {len(value_rows)} of {total} cases "
            f"(max rel err {worst.max_rel_error:.3g} in {worst.name}/{worst.dtype}); e.g. {example}"
            + ("" if nonfinite_rows else diagnosis),
            argument="loss_fn",
        ))
    gradient_rows = [row for row in rows if row.gradient_mismatches]
    if gradient_rows:
        worst = max(gradient_rows, key=lambda row: row.grad_max_rel_error or 0.0)
        findings.append(make_finding(
            "WCE602",
            f"the gradient of loss_fn w.r.t. {spec.predictions_name} differs from {reference}'s beyond tolerance in "
            f"{len(gradient_rows)} of {total} cases (max rel err {worst.grad_max_rel_error:.3g} in "
            f"{worst.name}/{worst.dtype}); e.g. {worst.examples.get(('gradient', 'mismatch'))}",
            argument="loss_fn",
            help="clipping logits or probabilities zeroes the gradient outside the clip range (WCE103)",
        ))
    error_rows = [row for row in rows if row.error]
    if error_rows:
        first = error_rows[0]
        findings.append(make_finding(
            "WCE602",
            f"loss_fn could not be compared in {len(error_rows)} of {total} cases; first, "
            f"{first.name} ({first.dtype}): {first.error}",
            argument="loss_fn",
            help="restrict the battery with dtypes=(...) if loss_fn supports only some dtypes",
        ))
    return findings
