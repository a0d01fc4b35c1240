"""The inputs ``compare_to_reference`` runs: hard and soft labels, overflow-edge and random logits, shapes.

Cases are float64 arrays (sparse labels: int64) rounded to the case's dtype before either side sees them.
A reference whose second argument holds probabilities (a Keras focal loss with ``from_logits=False``) gets
the same logits turned into probabilities (sigmoid or softmax in float64), so the edges become
probabilities of exactly 0 and 1 once rounded, where ``log(p)`` breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from wce_lint.runtime import reference as numpy_reference
from wce_lint.runtime.reference_ops import ReferenceSpec

# Logit magnitudes where naive formulas break, per dtype: sigmoid rounds to exactly 1 near 8-11 (float16),
# 16.6-17 (float32) and 37 (float64); exp overflows past 11.09 (float16), 88.72 (float32) and 709.78
# (float64); sigmoid(-x) underflows to 0 a little further out (float32: ~89 with denormals flushed).
EDGE_LOGITS: dict[str, tuple[float, ...]] = {
    "float16": (1e-3, 1.0, 4.0, 8.0, 11.0, 11.1, 16.0, 17.0, 88.7, 100.0, 1e3, 1e4),
    "float32": (1e-4, 1.0, 10.0, 16.6, 17.0, 30.0, 88.7, 89.0, 104.0, 1e3, 1e4),
    "float64": (1e-4, 1.0, 17.0, 37.0, 88.7, 89.0, 709.7, 710.0, 745.2, 1e3, 1e4),
}


@dataclass(frozen=True)
class Case:
    """One set of inputs; ``logits`` holds the second argument (probabilities for a probability loss)."""

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


def _edge_logits(dtype: str) -> np.ndarray:
    edges = np.asarray(EDGE_LOGITS[dtype])
    return np.concatenate([-edges[::-1], [0.0], edges])


def _sigmoid_cases(spec: ReferenceSpec, dtype: str, rng: np.random.Generator) -> list[Case]:
    edges = _edge_logits(dtype)
    k = edges.size
    per_class = np.resize([0.5, 1.0, 2.0, 4.0], k)
    random_logits = rng.normal(0.0, 4.0, (16, 4))
    random_labels = rng.uniform(0.0, 1.0, (16, 4))
    deep_logits = rng.normal(0.0, 20.0, (2, 3, 5))
    deep_labels = rng.integers(0, 2, (2, 3, 5)).astype(np.float64)
    specs = [
        ("edges/hard", np.stack([np.ones(k), np.zeros(k)]), np.stack([edges, edges]), per_class),
        ("edges/soft", np.stack([np.full(k, 0.1), np.full(k, 0.5), np.full(k, 0.9)]),
         np.stack([edges, edges, edges]), np.asarray(3.0)),
        ("random/soft", random_labels, random_logits, rng.uniform(0.2, 4.0, 4)),
        ("random/hard-3d", deep_labels, deep_logits, np.asarray(0.3)),
    ]
    if not spec.keras:  # Keras reduces over the last axis, which a scalar lacks
        specs.append(("scalar", np.asarray(1.0), np.asarray(2.5), np.asarray(2.0)))
    cases = []
    for name, labels, logits, pos_weight in specs:
        if spec.inputs == "probabilities":
            logits = numpy_reference.sigmoid(logits)
        cases.append(Case(name, dtype, labels, logits, pos_weight if spec.takes_pos_weight else None))
    return cases


def _edge_rows(edges: np.ndarray, classes: int) -> np.ndarray:
    """Rows [e, 0, …, 0, -e] and [e, e, …, e, -e]: each edge value against small and equal large rivals."""
    k = edges.size
    small = np.concatenate([edges[:, None], np.zeros((k, classes - 2)), -edges[:, None]], axis=1)
    large = np.concatenate([np.repeat(edges[:, None], classes - 1, axis=1), -edges[:, None]], axis=1)
    return np.concatenate([small, large])


def _softmax_cases(spec: ReferenceSpec, dtype: str, rng: np.random.Generator) -> list[Case]:
    edge_classes = spec.classes or 3
    edge_rows = _edge_rows(_edge_logits(dtype), edge_classes)
    rows = edge_rows.shape[0]
    random_classes, deep_classes = spec.classes or 5, spec.classes or 4
    random_logits = rng.normal(0.0, 5.0, (8, random_classes))
    deep_logits = rng.normal(0.0, 20.0, (2, 3, deep_classes))
    if spec.family == "sparse":
        specs = [
            ("edges", np.arange(rows) % 3, edge_rows),
            ("edges/last-class", np.full(rows, 2), edge_rows),
            ("random", rng.integers(0, 5, 8), random_logits),
            ("random/3d", rng.integers(0, 4, (2, 3)), deep_logits),
        ]
        return [Case(name, dtype, labels.astype(np.int64), logits) for name, labels, logits in specs]
    specs = [
        ("edges/one-hot", np.eye(edge_classes)[np.arange(rows) % edge_classes], edge_rows),
        ("edges/soft", rng.dirichlet(np.ones(edge_classes), rows), edge_rows),
        ("random/soft", rng.dirichlet(np.ones(random_classes), 8), random_logits),
        ("random/one-hot-3d", np.eye(deep_classes)[rng.integers(0, deep_classes, (2, 3))], deep_logits),
    ]
    cases = []
    for name, labels, logits in specs:
        if spec.inputs == "probabilities":
            logits = np.exp(numpy_reference.log_softmax(logits))
        cases.append(Case(name, dtype, labels, logits))
    return cases


def generate_cases(spec: ReferenceSpec, dtypes: Sequence[str], seed: int = 0) -> list[Case]:
    """The built-in battery for ``spec``, for each dtype (the same random draws for every dtype order)."""
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    for dtype in dtypes:
        if spec.family == "sigmoid":
            cases.extend(_sigmoid_cases(spec, dtype, rng))
        else:
            cases.extend(_softmax_cases(spec, dtype, rng))
    return cases


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def user_cases(cases: Iterable[Mapping[str, Any]], spec: ReferenceSpec) -> list[Case]:
    """``cases=[{"labels": …, "logits": … (or "y_true"/"y_pred"), "pos_weight": …, "dtype": …, "name": …}]``."""
    result = []
    for number, case in enumerate(cases):
        labels_value = case.get("labels", case.get("y_true"))
        logits_value = case.get("logits", case.get("y_pred"))
        if labels_value is None or logits_value is None:
            missing = [key for key, value in (("labels", labels_value), ("logits", logits_value)) if value is None]
            raise ValueError(f"case {number} lacks {missing}; a case is a dict with labels, logits "
                             "(or y_true, y_pred) [, pos_weight, dtype, name]")
        logits = _array(logits_value)
        dtype = str(case.get("dtype") or (logits.dtype.name if logits.dtype.kind == "f" else "float32"))
        labels = _array(labels_value)
        labels = labels.astype(np.int64) if spec.family == "sparse" else labels.astype(np.float64)
        pos_weight = None
        if spec.takes_pos_weight:
            pos_weight = _array(case.get("pos_weight", 1.0)).astype(np.float64)
        result.append(Case(str(case.get("name", f"user-{number}")), dtype, labels, logits.astype(np.float64),
                           pos_weight))
    return result


def round_inputs(case: Case) -> Case:
    """The case's inputs as the case's dtype holds them, back in float64 (so both sides see the same)."""
    cast = np.dtype(case.dtype)
    labels = case.labels if case.labels.dtype.kind in "iu" else case.labels.astype(cast).astype(np.float64)
    pos_weight = None if case.pos_weight is None else case.pos_weight.astype(cast).astype(np.float64)
    return Case(case.name, case.dtype, labels, case.logits.astype(cast).astype(np.float64), pos_weight)
