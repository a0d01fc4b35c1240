"""``compare_to_reference``: run a loss function against TensorFlow's own op on a battery of hard cases.

Calling convention for ``loss_fn`` (labels first, as TensorFlow's ops, so the ops themselves can be passed):

* ``reference="weighted_cross_entropy_with_logits"``: ``loss_fn(labels, logits, pos_weight)``
* ``"sigmoid_cross_entropy_with_logits"``, ``"softmax_cross_entropy_with_logits"``,
  ``"sparse_softmax_cross_entropy_with_logits"``: ``loss_fn(labels, logits)``

Arguments are eager ``tf.Tensor``s of the case's dtype (sparse labels: ``int32``; ``pos_weight``: a scalar
or a per-class vector, of the case's dtype). ``loss_fn`` returns either the per-element loss (the shape the
``tf.nn`` op returns) or a scalar, which is compared with the mean of the per-element loss.

What is expected: TensorFlow's op evaluated in float64 on the same inputs (rounded to the case's dtype
first, so both sides see identical numbers); gradients w.r.t. ``logits`` come from ``tf.GradientTape`` on
both sides. An element passes when ``|got - expected| <= atol + rtol * scale`` where ``scale`` is the larger
of ``|expected|`` and the magnitude of the formula's terms: TensorFlow's own stable formula adds
``(1 - z) * x`` and ``max(-x, 0)``, which cancel, so in float32 no implementation can be closer than
float32's spacing at ``|x|`` (e.g. ``z = 0, x = -16``: ``-16 + 16.0000001``). "rel err" in the report is
``|got - expected| / scale``, directly comparable with ``rtol``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from wce_lint.runtime._tensors import format_shape, tensorflow
from wce_lint.runtime.findings import Finding, format_findings, make_finding

# (rtol, atol) per dtype: roughly 10-100 units in the last place, measured against TensorFlow's own op.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3),
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}

# Logit magnitudes where naive formulas break, per dtype: sigmoid rounds to exactly 1 near 8-11 (float16),
# 16.6-17 (float32) and 37 (float64); exp overflows past 11.09 (float16), 88.72 (float32) and 709.78
# (float64); sigmoid(-x) underflows to 0 a little further out (float32: ~89 with denormals flushed).
EDGE_LOGITS: dict[str, tuple[float, ...]] = {
    "float16": (1e-3, 1.0, 4.0, 8.0, 11.0, 11.1, 16.0, 17.0, 88.7, 100.0, 1e3, 1e4),
    "float32": (1e-4, 1.0, 10.0, 16.6, 17.0, 30.0, 88.7, 89.0, 104.0, 1e3, 1e4),
    "float64": (1e-4, 1.0, 17.0, 37.0, 88.7, 89.0, 709.7, 710.0, 745.2, 1e3, 1e4),
}

REFERENCES = (
    "weighted_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
)


@dataclass(frozen=True)
class Case:
    """One set of inputs; arrays are float64 (labels: int64 for sparse) before rounding to ``dtype``."""

    name: str
    dtype: str
    labels: np.ndarray
    logits: np.ndarray
    pos_weight: np.ndarray | None = None

    @property
    def pos_weight_kind(self) -> str:
        if self.pos_weight is None:
            return "-"
        return "scalar" if self.pos_weight.ndim == 0 else f"per-class[{self.pos_weight.shape[-1]}]"


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

    def __str__(self) -> str:
        inputs = f"labels={_show(self.labels)}, logits={_show(self.logits)}"
        if self.pos_weight is not None:
            inputs += f", pos_weight={_show(self.pos_weight)}"
        what = "loss" if self.quantity == "value" else "d loss/d logits"
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
        lines = [f"{self.loss_name} vs tf.nn.{self.reference}: {verdict}"]
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


# The battery --------------------------------------------------------------------------------------------

def _edge_logits(dtype: str) -> np.ndarray:
    edges = np.asarray(EDGE_LOGITS[dtype])
    return np.concatenate([-edges[::-1], [0.0], edges])


def generate_cases(reference: str, dtypes: Sequence[str], seed: int = 0) -> list[Case]:
    """The built-in battery: soft and hard labels, overflow-edge and random logits, several shapes."""
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    weighted = reference == "weighted_cross_entropy_with_logits"
    for dtype in dtypes:
        edges = _edge_logits(dtype)
        k = edges.size
        if reference in ("weighted_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"):
            per_class = np.resize([0.5, 1.0, 2.0, 4.0], k)
            hard_logits = np.stack([edges, edges])
            hard_labels = np.stack([np.ones(k), np.zeros(k)])
            soft_logits = np.stack([edges, edges, edges])
            soft_labels = np.stack([np.full(k, 0.1), np.full(k, 0.5), np.full(k, 0.9)])
            random_logits = rng.normal(0.0, 4.0, (16, 4))
            random_labels = rng.uniform(0.0, 1.0, (16, 4))
            deep_logits = rng.normal(0.0, 20.0, (2, 3, 5))
            deep_labels = rng.integers(0, 2, (2, 3, 5)).astype(np.float64)
            specs = [
                ("edges/hard", hard_labels, hard_logits, per_class),
                ("edges/soft", soft_labels, soft_logits, np.asarray(3.0)),
                ("random/soft", random_labels, random_logits, rng.uniform(0.2, 4.0, 4)),
                ("random/hard-3d", deep_labels, deep_logits, np.asarray(0.3)),
                ("scalar", np.asarray(1.0), np.asarray(2.5), np.asarray(2.0)),
            ]
            for name, labels, logits, pos_weight in specs:
                cases.append(Case(name, dtype, labels, logits, pos_weight if weighted else None))
        else:
            # Rows [e, 0, -e] and [e, e, -e] put each edge value against small and equal large competitors.
            edge_rows = np.concatenate([np.stack([edges, np.zeros(k), -edges], axis=1),
                                        np.stack([edges, edges, -edges], axis=1)])
            rows = edge_rows.shape[0]
            random_logits = rng.normal(0.0, 5.0, (8, 5))
            deep_logits = rng.normal(0.0, 20.0, (2, 3, 4))
            if reference == "softmax_cross_entropy_with_logits":
                one_hot = np.eye(3)[np.arange(rows) % 3]
                specs_soft = [
                    ("edges/one-hot", one_hot, edge_rows),
                    ("edges/soft", rng.dirichlet(np.ones(3), rows), edge_rows),
                    ("random/soft", rng.dirichlet(np.ones(5), 8), random_logits),
                    ("random/one-hot-3d", np.eye(4)[rng.integers(0, 4, (2, 3))], deep_logits),
                ]
                cases.extend(Case(name, dtype, labels, logits) for name, labels, logits in specs_soft)
            else:
                specs_sparse = [
                    ("edges", np.arange(rows) % 3, edge_rows),
                    ("edges/last-class", np.full(rows, 2), edge_rows),
                    ("random", rng.integers(0, 5, 8), random_logits),
                    ("random/3d", rng.integers(0, 4, (2, 3)), deep_logits),
                ]
                cases.extend(Case(name, dtype, labels.astype(np.int64), logits)
                             for name, labels, logits in specs_sparse)
    return cases


def _user_cases(cases: Iterable[Mapping[str, Any]], reference: str) -> list[Case]:
    result = []
    for number, case in enumerate(cases):
        missing = {"labels", "logits"} - set(case)
        if missing:
            raise ValueError(f"case {number} lacks {sorted(missing)}; a case is a dict with labels, logits "
                             "[, pos_weight, dtype, name]")
        logits = np.asarray(case["logits"].numpy() if hasattr(case["logits"], "numpy") else case["logits"])
        dtype = str(case.get("dtype") or (logits.dtype.name if logits.dtype.kind == "f" else "float32"))
        labels = np.asarray(case["labels"].numpy() if hasattr(case["labels"], "numpy") else case["labels"])
        if reference == "sparse_softmax_cross_entropy_with_logits":
            labels = labels.astype(np.int64)
        else:
            labels = labels.astype(np.float64)
        pos_weight = None
        if reference == "weighted_cross_entropy_with_logits":
            raw = case.get("pos_weight", 1.0)
            pos_weight = np.asarray(raw.numpy() if hasattr(raw, "numpy") else raw, dtype=np.float64)
        result.append(Case(str(case.get("name", f"user-{number}")), dtype, labels,
                           logits.astype(np.float64), pos_weight))
    return result


# Expected values and error scales ----------------------------------------------------------------------

def _tf_reference(reference: str) -> Callable[..., Any]:
    tf = tensorflow()
    return {
        "weighted_cross_entropy_with_logits": tf.nn.weighted_cross_entropy_with_logits,
        "sigmoid_cross_entropy_with_logits": tf.nn.sigmoid_cross_entropy_with_logits,
        "softmax_cross_entropy_with_logits": tf.nn.softmax_cross_entropy_with_logits,
        "sparse_softmax_cross_entropy_with_logits": tf.nn.sparse_softmax_cross_entropy_with_logits,
    }[reference]


def _call(fn: Callable[..., Any], reference: str, labels: Any, logits: Any, pos_weight: Any) -> Any:
    if reference == "weighted_cross_entropy_with_logits":
        return fn(labels, logits, pos_weight)
    return fn(labels, logits)


def _value_scale(reference: str, z: np.ndarray, x: np.ndarray, q: np.ndarray | None) -> np.ndarray:
    """The magnitude of the terms each stable formula adds (the floating-point error bound's scale)."""
    softplus = np.log1p(np.exp(-np.abs(x)))
    if reference == "weighted_cross_entropy_with_logits":
        # 1 - z and 1 + (q - 1) z cancel as well, so their terms' sizes count.
        log_weight = 1.0 + np.abs((q - 1.0) * z)  # type: ignore[operator]
        return (1.0 + np.abs(z)) * np.abs(x) + log_weight * (softplus + np.maximum(-x, 0.0))
    if reference == "sigmoid_cross_entropy_with_logits":
        return np.maximum(x, 0.0) + np.abs(x * z) + softplus
    shifted = x - x.max(axis=-1, keepdims=True)
    lse = np.abs(np.log(np.exp(shifted).sum(axis=-1)))
    if reference == "softmax_cross_entropy_with_logits":
        return np.sum(np.abs(z) * (np.abs(shifted) + lse[..., None]), axis=-1)
    picked = np.take_along_axis(np.abs(shifted), z[..., None].astype(np.intp), axis=-1)[..., 0]
    return picked + lse


def _grad_scale(reference: str, z: np.ndarray, x: np.ndarray, q: np.ndarray | None) -> np.ndarray:
    if reference == "weighted_cross_entropy_with_logits":
        return np.abs(1.0 - z) + np.abs(1.0 + (q - 1.0) * z)  # type: ignore[operator]
    if reference == "sigmoid_cross_entropy_with_logits":
        return np.ones_like(x) + np.abs(z)
    if reference == "softmax_cross_entropy_with_logits":
        return np.broadcast_to(np.sum(np.abs(z), axis=-1, keepdims=True), x.shape) + np.abs(z)
    return np.full_like(x, 2.0)


def _row_magnitude(reference: str, x: np.ndarray) -> np.ndarray:
    """|logit| per loss element: itself (sigmoid family) or the row's largest (softmax family)."""
    if reference in ("weighted_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"):
        return np.abs(x)
    return np.abs(x).max(axis=-1)


# Running -----------------------------------------------------------------------------------------------

def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def _run(fn: Callable[..., Any], reference: str, case: Case, dtype: str, want_gradient: bool
         ) -> tuple[np.ndarray, np.ndarray | None]:
    tf = tensorflow()
    label_dtype = tf.int32 if reference == "sparse_softmax_cross_entropy_with_logits" else dtype
    labels = tf.constant(case.labels, dtype=label_dtype)
    logits = tf.constant(case.logits, dtype=dtype)
    pos_weight = None if case.pos_weight is None else tf.constant(case.pos_weight, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        output = _call(fn, reference, labels, logits, pos_weight)
    gradient = None
    if want_gradient:
        raw_gradient = tape.gradient(output, logits)
        if raw_gradient is None:
            raise _NoGradient()
        gradient = _to_numpy(raw_gradient)
    return _to_numpy(output), gradient


class _NoGradient(Exception):
    pass


def _round_inputs(case: Case) -> Case:
    """The case's inputs as the case's dtype holds them, back in float64 (so both sides see the same)."""
    cast = np.dtype(case.dtype)
    labels = case.labels if case.labels.dtype.kind in "iu" else case.labels.astype(cast).astype(np.float64)
    pos_weight = None if case.pos_weight is None else case.pos_weight.astype(cast).astype(np.float64)
    return Case(case.name, case.dtype, labels, case.logits.astype(cast).astype(np.float64), pos_weight)


def _evaluate(loss_fn: Callable[..., Any], reference: str, case: Case, tolerance: tuple[float, float],
              check_gradients: bool) -> CaseResult:
    case = _round_inputs(case)
    tf_op = _tf_reference(reference)
    expected, expected_gradient = _run(tf_op, reference, case, "float64", check_gradients)
    row = CaseResult(case.name, case.dtype, tuple(case.logits.shape), case.pos_weight_kind)
    try:
        got, got_gradient = _run(loss_fn, reference, case, case.dtype, check_gradients)
    except _NoGradient:
        row.error = ("tape.gradient(loss, logits) is None: loss_fn is not differentiable w.r.t. logits "
                     "(does it leave TensorFlow, e.g. through .numpy()?)")
        return row
    except Exception as error:  # noqa: BLE001 - the user's function may fail in any way; report it
        row.error = f"loss_fn raised {type(error).__name__}: {str(error).splitlines()[0][:200]}"
        return row

    z, x, q = case.labels, case.logits, case.pos_weight
    value_scale = _value_scale(reference, z, x, q)
    gradient_scale = _grad_scale(reference, z, x, q)
    magnitude = _row_magnitude(reference, x)
    if got.shape != expected.shape:
        if got.shape == () and expected.shape != ():
            # A loss that reduces with a mean: compare with the mean of TensorFlow's per-element loss.
            count = expected.size
            expected, value_scale = np.asarray(expected.mean()), np.asarray(value_scale.mean())
            magnitude = np.asarray(magnitude.min())
            if expected_gradient is not None:
                expected_gradient = expected_gradient / count
                gradient_scale = gradient_scale / count
        else:
            row.error = (f"loss_fn returned shape {format_shape(got.shape)}; expected the per-element loss of "
                         f"shape {format_shape(expected.shape)} (as tf.nn.{reference} returns) or a scalar mean")
            return row
    rtol, atol = tolerance
    row.elements = int(expected.size)
    _compare(row, "value", case, got, expected, value_scale, magnitude, rtol, atol, reference)
    if check_gradients and got_gradient is not None and expected_gradient is not None:
        mask = np.ones(x.shape, bool)
        if reference == "weighted_cross_entropy_with_logits":
            # TensorFlow's gradient at exactly x = 0 is the subgradient 1 - z of its |x|/relu formulation,
            # not the derivative (1 - z) - (1 + (q - 1) z) / 2: no convention is penalized there.
            mask = x != 0
        gradient_magnitude = np.abs(x)
        if reference not in ("weighted_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"):
            gradient_magnitude = np.broadcast_to(np.abs(x).max(axis=-1, keepdims=True), x.shape)
        _compare(row, "gradient", case, got_gradient, expected_gradient, gradient_scale, gradient_magnitude,
                 rtol, atol, reference, mask=mask)
    return row


def _compare(row: CaseResult, quantity: str, case: Case, got: np.ndarray, expected: np.ndarray,
             scale: np.ndarray, magnitude: np.ndarray, rtol: float, atol: float, reference: str,
             mask: np.ndarray | None = None) -> None:
    got, expected = np.broadcast_arrays(got, expected)
    # At least 1: log(1 + tiny) or log(sum(exp)) with a sum >= 1 is exact only to the dtype's epsilon in
    # absolute terms, however small the loss.
    scale = np.broadcast_to(np.maximum(np.maximum(np.abs(expected), scale), 1.0), expected.shape)
    magnitude = np.broadcast_to(magnitude, expected.shape)
    usable = np.isfinite(expected) if mask is None else (np.isfinite(expected) & mask)
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
        return _worst_element(case, reference, quantity, index, float(expected.ravel()[flat]),
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


def _worst_element(case: Case, reference: str, quantity: str, index: tuple[int, ...], expected: float,
                   got: float, scalar_reduced: bool) -> WorstElement:
    labels, logits, pos_weight = case.labels, case.logits, case.pos_weight
    if scalar_reduced:  # compared as a mean: show the whole (small) case
        return WorstElement(case.name, case.dtype, index, quantity, labels, logits, pos_weight, expected, got)
    if reference in ("weighted_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits"):
        # One loss element per logit.
        if pos_weight is not None and pos_weight.ndim:
            pos_weight = pos_weight[index[-1]]
        return WorstElement(case.name, case.dtype, index, quantity, labels[index], logits[index], pos_weight,
                            expected, got)
    # Softmax family: show the whole row of logits (and its labels); a gradient index names one logit.
    row = index[:-1] if quantity == "gradient" else index
    return WorstElement(case.name, case.dtype, index, quantity, labels[row], logits[row], None, expected, got)


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
    cases: Iterable[Mapping[str, Any]] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    check_gradients: bool = True,
    dtypes: Sequence[str] = ("float16", "float32", "float64"),
    include_generated: bool = True,
    seed: int = 0,
) -> ComparisonReport:
    """Compare ``loss_fn`` with ``tf.nn.<reference>`` on the built-in battery plus ``cases``.

    ``cases``: dicts with ``labels``, ``logits`` and optionally ``pos_weight`` (weighted reference; default
    1.0), ``dtype`` (default: the logits' float dtype, else float32) and ``name``. ``rtol``/``atol``
    override the per-dtype defaults (``DEFAULT_TOLERANCES``) for every dtype. ``dtypes`` restricts the
    generated battery (e.g. ``("float32",)`` for a loss that only supports float32).
    Returns a ``ComparisonReport``: ``.passed``, ``.findings`` (WCE601 for non-finite outputs or gradients,
    WCE602 for values or gradients beyond tolerance, or a loss_fn that raised), ``.rows`` and a printable table.
    """
    short = reference.rsplit(".", 1)[-1]
    if short not in REFERENCES:
        raise ValueError(f"unknown reference {reference!r}; choose one of {', '.join(REFERENCES)}")
    for dtype in dtypes:
        if dtype not in DEFAULT_TOLERANCES:
            raise ValueError(f"unsupported dtype {dtype!r}; choose from {', '.join(DEFAULT_TOLERANCES)}")
    battery = generate_cases(short, dtypes, seed) if include_generated else []
    battery += _user_cases(cases or (), short)
    tolerances: dict[str, tuple[float, float]] = {}
    rows = []
    for case in battery:
        default_rtol, default_atol = DEFAULT_TOLERANCES.get(case.dtype, DEFAULT_TOLERANCES["float32"])
        tolerance = (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)
        tolerances.setdefault(case.dtype, tolerance)
        rows.append(_evaluate(loss_fn, short, case, tolerance, check_gradients))
    loss_name = getattr(loss_fn, "__qualname__", None) or getattr(loss_fn, "__name__", None) or repr(loss_fn)
    report = ComparisonReport(short, rows, loss_name=loss_name, tolerances=tolerances)
    report.findings = _findings(report)
    return report


def _findings(report: ComparisonReport) -> list[Finding]:
    rows, reference = report.rows, f"tf.nn.{report.reference}"
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
            + _diagnosis(rows),
            argument="loss_fn",
            help="compute the loss from logits with a stable formula (softplus / log_sigmoid, never "
                 "log(sigmoid(x)))",
        ))
    value_rows = [row for row in rows if row.value_mismatches]
    if value_rows:
        worst = max(value_rows, key=lambda row: row.max_rel_error)
        example = worst.examples.get(("value", "mismatch"))
        findings.append(make_finding(
            "WCE602",
            f"loss_fn differs from {reference} beyond tolerance in {len(value_rows)} of {total} cases "
            f"(max rel err {worst.max_rel_error:.3g} in {worst.name}/{worst.dtype}); e.g. {example}"
            + ("" if nonfinite_rows else _diagnosis(rows)),
            argument="loss_fn",
        ))
    gradient_rows = [row for row in rows if row.gradient_mismatches]
    if gradient_rows:
        worst = max(gradient_rows, key=lambda row: row.grad_max_rel_error or 0.0)
        findings.append(make_finding(
            "WCE602",
            f"the gradient of loss_fn w.r.t. logits differs from {reference}'s beyond tolerance in "
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
