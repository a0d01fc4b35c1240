"""What a loss call's labels statically are, and how the loss reads them (WCE3: shapes and dtypes).

The shape/dtype rules share these facts so they agree on one reading of a call: whether the loss reads
*class ids* (sparse: labels have the logits' shape without the class axis) or a *dense* target (labels have
the logits' shape), which axis holds the classes, and whether labels are one-hot or class ids given to the
wrong kind of loss. PyTorch's ``CrossEntropyLoss`` reads both: integer targets as class indices, float
targets as probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from wce_lint.analysis.apis import SIGMOID, SOFTMAX, SPARSE
from wce_lint.analysis.calls import LossCall, loss_calls
from wce_lint.analysis.module import ModuleContext
from wce_lint.analysis.evaluator import CLASS_ID_SOURCES, value_of
from wce_lint.analysis.values import Value

DENSE = "dense"  # labels have the logits' shape
CLASS_IDS = "class_ids"  # labels have the logits' shape without the class axis


@dataclass
class LabelSite:
    """One loss invocation with its labels and logits arguments and their static values."""

    module: ModuleContext
    loss: LossCall
    labels_argument: cst.Arg
    logits_argument: cst.Arg | None

    @cached_property
    def labels(self) -> Value | None:
        return value_of(self.module, self.labels_argument.value, self.loss.statement).static

    @cached_property
    def logits(self) -> Value | None:
        if self.logits_argument is None:
            return None
        return value_of(self.module, self.logits_argument.value, self.loss.statement).static

    @property
    def api(self):  # type: ignore[no-untyped-def]
        return self.loss.api

    @property
    def is_torch_cross_entropy(self) -> bool:
        return self.api.framework == "torch" and self.api.family == SOFTMAX

    @cached_property
    def reading(self) -> str | None:
        """DENSE or CLASS_IDS: how the loss reads these labels; None when it depends on something unknown."""
        family = self.api.family
        if family == SPARSE:
            return CLASS_IDS
        if not self.is_torch_cross_entropy:
            return DENSE if family in (SIGMOID, SOFTMAX) else None
        # torch decides by the target's dtype: integer → class indices, float → probabilities
        labels = self.labels
        if labels is None:
            return None
        if labels.is_integer and labels.dtype != "python int":
            return CLASS_IDS
        logits = self.logits
        if labels.is_float and labels.dtype != "python float":
            if logits is not None and logits.rank is not None and labels.rank == logits.rank - 1:
                return None  # float class indices: neither reading works (WCE303 says so)
            return DENSE
        if labels.rank is None or logits is None or logits.rank is None:
            return None
        if labels.rank == logits.rank - 1:
            return CLASS_IDS
        if labels.rank == logits.rank:
            return DENSE
        return None

    @cached_property
    def class_axis(self) -> int | None:
        """The logits axis holding the classes, as a non-negative index (needs the logits' rank)."""
        logits = self.logits
        if logits is None or logits.rank is None or logits.rank == 0:
            return None
        if self.is_torch_cross_entropy:
            return 1 if logits.rank >= 2 else 0  # torch: (N, C, d1, …) or unbatched (C,)
        axis = self._axis_option()
        if axis is None or not -logits.rank <= axis < logits.rank:
            return None
        return axis % logits.rank

    def _axis_option(self) -> int | None:
        for parameter in ("axis", "dim"):
            argument = self.loss.option(parameter) if parameter in self.api.signature.names else None
            if argument is None:
                continue
            statement = self.module.statement_of(argument) or self.loss.statement
            value = value_of(self.module, argument.value, statement).static
            if value is None or value.scalar is None or not float(value.scalar).is_integer():
                return None
            return int(value.scalar)
        binding = self.loss.constructor_arguments if self.api.is_class else self.loss.arguments
        if binding is not None and binding.open:
            return None
        return -1

    @cached_property
    def expected_class_id_shape(self) -> tuple | None:
        """The logits' shape without the class axis."""
        logits, axis = self.logits, self.class_axis
        if logits is None or logits.shape is None or axis is None:
            return None
        return logits.shape[:axis] + logits.shape[axis + 1:]

    @property
    def squeezes_trailing_label_axis(self) -> bool:
        """Keras sparse losses and ``tf.compat.v1.losses.sparse_softmax_cross_entropy`` accept class ids with a
        trailing axis of 1 (``[N, 1]`` for logits ``[N, C]``) and squeeze it."""
        return self.api.family == SPARSE and (self.api.framework == "keras" or self.api.casts_labels)


def label_sites(module: ModuleContext) -> list[LabelSite]:
    """Every loss invocation whose labels argument is bound (memoised per module)."""
    cached = module.cache.get("label_sites")
    if cached is None:
        cached = []
        for loss in loss_calls(module):
            if loss.call is None or loss.arguments is None:
                continue
            labels = loss.arguments.get(loss.api.labels)
            if labels is None or labels.star:
                continue
            cached.append(LabelSite(module, loss, labels, loss.arguments.get(loss.api.logits)))
        module.cache["label_sites"] = cached
    return cached  # type: ignore[return-value]


def is_one_hot(site: LabelSite) -> str | None:
    """How we know the labels are one-hot rows: "one_hot" for a ``one_hot(...)`` output, "literal" for
    literal rows with a single 1; None when they are not (or we cannot tell)."""
    labels, logits = site.labels, site.logits
    logits_rank = logits.rank if logits is not None else None
    if labels is not None and labels.rank is not None and logits_rank is not None and labels.rank != logits_rank:
        return None  # whatever they hold, they do not have one row per prediction
    found = value_of(site.module, site.labels_argument.value, site.loss.statement).one_hot
    if found is None or (found.how == "literal" and logits_rank is None):
        return None
    return found.how


def class_ids_for_dense(site: LabelSite) -> bool:
    """Integer class ids given where a dense target (one-hot / distribution) is read."""
    labels, logits = site.labels, site.logits
    if labels is None:
        return False
    if labels.shape is None:
        # `tf.argmax(scores, -1)` of unknown scores: class ids whatever their shape
        return labels.source in CLASS_ID_SOURCES and labels.is_integer
    integer_valued = labels.elements is not None and bool(labels.elements) and all(
        float(x).is_integer() and x >= 0 for x in labels.elements)
    beyond_binary = integer_valued and any(x >= 2 for x in labels.elements)  # type: ignore[union-attr]
    if logits is not None and logits.shape is not None and logits.rank >= 1:  # type: ignore[operator]
        if labels.rank == logits.rank and labels.shape[-1] == 1 and isinstance(logits.shape[-1], int) and (
                logits.shape[-1] >= 2):
            # a column of class ids, [N, 1] for logits [N, C]
            return labels.is_integer and (labels.elements is None or integer_valued) or beyond_binary
        if labels.rank != logits.rank - 1:
            return False
        return labels.is_integer or labels.source in CLASS_ID_SOURCES or beyond_binary
    # logits unknown: only evidence that cannot be a single one-hot or multi-hot row
    if labels.source in CLASS_ID_SOURCES and labels.is_integer:
        return True
    return labels.rank == 1 and beyond_binary


def shape_text(shape: tuple | None) -> str:
    """``(32, 1)``, ``(None, 3)``, ``(32,)``, ``()``."""
    if shape is None:
        return "unknown"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def shapes_differ(left: tuple, right: tuple) -> bool:
    """Certainly different: another rank, or two known dimensions that differ (None compares as unknown)."""
    if len(left) != len(right):
        return True
    return any(a is not None and b is not None and a != b for a, b in zip(left, right))


@dataclass(frozen=True)
class SparseDenseMismatch:
    """Labels encoded for the other kind of softmax loss (WCE305). The shape, dtype and range rules stay
    silent on such a call: this is the one diagnosis that explains all of it."""

    kind: str  # "one_hot_to_sparse" | "class_ids_to_dense"
    evidence: str  # "one_hot" | "literal" | "class_ids"


def sparse_dense_mismatch(site: LabelSite) -> SparseDenseMismatch | None:
    if site.is_torch_cross_entropy:
        return None  # torch reads class indices and probabilities alike
    if site.api.family == SPARSE:
        how = is_one_hot(site)
        return SparseDenseMismatch("one_hot_to_sparse", how) if how else None
    if site.api.family == SOFTMAX and class_ids_for_dense(site):
        return SparseDenseMismatch("class_ids_to_dense", "class_ids")
    return None
