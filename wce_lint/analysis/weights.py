"""What a weight argument is: one weight per class, per example, or per positive label — and how we know.

The facts the weight rules rest on:

- ``pos_weight`` (``tf.nn.weighted_cross_entropy_with_logits``, torch ``BCEWithLogitsLoss``) broadcasts
  against the logits from the **last** axis: a vector is one weight per class, never one per example.
- Keras ``Loss.__call__(…, sample_weight=…)``, ``tf.compat.v1.losses.*(weights=…)`` and
  ``model.fit(sample_weight=…)`` take one weight per example; per-class weights go to
  ``model.fit(class_weight={class: weight})`` (a dict), to ``pos_weight`` or to torch
  ``CrossEntropyLoss(weight=…)``.
- torch BCE ``weight=`` rescales each element (or batch element), positives and negatives alike.

Everything here answers from structure (a dict literal, a reduction with a literal axis, a division of
counts, a layer's literal ``units``); None means unknown and the rules stay silent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.apis import Signature
from wce_lint.analysis.calls import Binding, LossCall, bind
from wce_lint.analysis.provenance import ACTIVATION, MODEL, MODEL_OUTPUT, bindings
from wce_lint.analysis.reach import bound_value, step_out
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.evaluator import value_of
from wce_lint.analysis.values import Value
from wce_lint.rule import TraceStep

MAX_HOPS = 16

# Calls and methods that keep what a value holds (its numbers), only changing its container or dtype.
CONTENT_FUNCTIONS = frozenset({
    "torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor",
    "torch.cuda.FloatTensor", "torch.from_numpy", "numpy.array", "numpy.asarray", "numpy.float32",
    "numpy.float64", "tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.cast",
    "tensorflow.dtypes.cast", "tensorflow.identity", "tensorflow.Variable", "tensorflow.stop_gradient",
    "jax.numpy.array", "jax.numpy.asarray", "keras.ops.convert_to_tensor", "keras.ops.cast",
})
CONTENT_METHODS = frozenset({"float", "double", "half", "to", "cuda", "cpu", "detach", "astype", "type", "item",
                             "clone", "numpy", "tolist", "contiguous"})
CONTENT_BUILTINS = frozenset({"float", "list", "tuple"})

COMPUTE_CLASS_WEIGHT = frozenset({"sklearn.utils.class_weight.compute_class_weight",
                                  "sklearn.utils.compute_class_weight"})

# Reductions: what they reduce and over which axes.
_REDUCTION_OPS = ("sum", "mean", "count_nonzero", "nansum", "nanmean")
REDUCTION_FUNCTIONS = frozenset(
    {f"{lib}.{op}" for lib in ("tensorflow", "tensorflow.math", "tensorflow.compat.v1")
     for op in ("reduce_sum", "reduce_mean", "count_nonzero")}
    | {f"{lib}.{op}" for lib in ("torch", "numpy", "jax.numpy", "keras.ops") for op in _REDUCTION_OPS}
)
REDUCTION_METHODS = frozenset(_REDUCTION_OPS)

# Keras models: constructors and base classes. Anything else with a `.fit` is not Keras.
KERAS_MODEL_CALLS = frozenset({"keras.Sequential", "keras.models.Sequential", "keras.Model", "keras.models.Model",
                               "keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model"})
KERAS_MODEL_BASES = frozenset({"keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential"})
TORCH_MODEL_CALLS = frozenset({"torch.nn.Sequential", "torch.nn.Linear", "torch.nn.LazyLinear"})
TORCH_MODEL_BASES = frozenset({"torch.nn.Module"})
KERAS, TORCH, OTHER = "keras", "torch", "other"
ONE_HOT_FUNCTIONS = frozenset({"tensorflow.one_hot", "torch.nn.functional.one_hot", "jax.nn.one_hot",
                               "keras.utils.to_categorical", "keras.ops.one_hot"})

# The one place where a name counts (WCE205): the author calling a value a positive weight.
POSITIVE_WEIGHT_NAMES = frozenset({"pos_weight", "pos_weights", "positive_weight", "positive_weights",
                                   "posweight"})

# Keras training methods and the signatures of their leading parameters (keywords are what matter).
TRAINING_SIGNATURES: dict[str, Signature] = {
    "fit": Signature(("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
                      "validation_data", "shuffle", "class_weight", "sample_weight")),
    "train_on_batch": Signature(("x", "y", "sample_weight", "class_weight")),
    "evaluate": Signature(("x", "y", "batch_size", "verbose", "sample_weight")),
    "test_on_batch": Signature(("x", "y", "sample_weight")),
    "fit_generator": Signature(("generator", "steps_per_epoch", "epochs", "verbose", "callbacks",
                                "validation_data", "validation_steps", "validation_freq", "class_weight")),
}

POSITIVE, NEGATIVE = "positive", "negative"  # what a count counts


@dataclass(frozen=True)
class Evidence:
    """Why a weight is what a rule says it is: the node that shows it, in words, and where it came from."""

    node: cst.CSTNode
    description: str
    trace: tuple[TraceStep, ...] = ()
    is_dict: bool = False


def _op_names(module: ModuleContext, func: cst.BaseExpression) -> frozenset[str]:
    """Qualified names of a tensor operation; ``tf.compat.v1.constant`` also answers to ``tensorflow.constant``
    (the ops these helpers look for kept their meaning in compat.v1)."""
    names = module.qualified_names(func)
    prefix = "tensorflow.compat.v1."
    if any(n.startswith(prefix) for n in names):
        names = names | {"tensorflow." + n[len(prefix):] for n in names if n.startswith(prefix)}
    return names


# -- following a value back ----------------------------------------------------------------------
def _is_builtin(module: ModuleContext, name: str, at: StatementInfo) -> bool:
    return not module.imports.is_imported(name) and not bindings(module, name, at) \
        and not module.definitions(module.module, name)


def _bound_value(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                 ) -> tuple[cst.BaseExpression, StatementInfo, TraceStep] | None:
    """The one value a name (or ``self.x``) holds where it is read; None when several or unknown."""
    bound = bound_value(module, node, at)
    if bound is None or bound.home is not module:  # these questions are asked within one module
        return None
    return bound.value, bound.statement, bound.step


def _content_argument(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
                      singleton: bool) -> cst.BaseExpression | None:
    """The wrapped value of ``torch.tensor(x)``, ``x.float()``, ``float(x)`` (and ``[x]`` if ``singleton``)."""
    if singleton and isinstance(node, (cst.List, cst.Tuple)) and len(node.elements) == 1 \
            and not isinstance(node.elements[0], cst.StarredElement):
        return node.elements[0].value
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    first = node.args[0] if node.args and node.args[0].keyword is None and not node.args[0].star else None
    if isinstance(func, cst.Name) and func.value in CONTENT_BUILTINS and _is_builtin(module, func.value, at):
        return first.value if first is not None and len(node.args) == 1 else None
    names = _op_names(module, func)
    if names:
        return first.value if first is not None and names & CONTENT_FUNCTIONS else None
    if isinstance(func, cst.Attribute) and func.attr.value in CONTENT_METHODS:
        return func.value
    return None


def follow(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo, *, contents: bool = True,
           singleton: bool = False) -> tuple[cst.BaseExpression, StatementInfo, tuple[TraceStep, ...]]:
    """Follow ``node`` back through single assignments (and, with ``contents``, through calls that keep
    the numbers: ``torch.tensor(x)``, ``x.float()``, ``float(x)``) to the expression that made it."""
    trace: list[TraceStep] = []
    for _ in range(MAX_HOPS):
        bound = _bound_value(module, node, at)
        if bound is not None:
            node, at, step = bound
            trace.append(step)
            continue
        inner = _content_argument(module, node, at, singleton) if contents else None
        if inner is None:
            break
        node = inner
    return node, at, tuple(trace)


def follow_across(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo, *, singleton: bool = False
                  ) -> tuple[ModuleContext, cst.BaseExpression, StatementInfo, tuple[TraceStep, ...]]:
    """``follow``, and on into the project's functions and modules (``reach.step_out``): a helper's one
    ``return``, a name imported from another module. Gives the module the expression is written in."""
    trace: tuple[TraceStep, ...] = ()
    frame = None
    for _ in range(MAX_HOPS):
        node, at, steps = follow(module, node, at, singleton=singleton)
        trace += steps
        bound = step_out(module, node, at, frame)
        if bound is None:
            break
        module, node, at, frame, trace = bound.home, bound.value, bound.statement, bound.frame, trace + (bound.step,)
    return module, node, at, trace


# -- per-class weights -----------------------------------------------------------------------------
def _is_call_to(module: ModuleContext, node: cst.BaseExpression, builtin: str, at: StatementInfo) -> bool:
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == builtin
            and _is_builtin(module, builtin, at))


def _class_ids(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> bool:
    """``range(n)``, ``np.arange(n)``, ``np.unique(y)``: a sequence of class ids."""
    if _is_call_to(module, node, "range", at):
        return True
    return isinstance(node, cst.Call) and bool(
        module.qualified_names(node.func) & {"numpy.arange", "numpy.unique", "torch.arange", "torch.unique"})


def _class_keyed_dict(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> bool:
    if isinstance(node, cst.Dict):
        if not node.elements:
            return False
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return False  # `**other`: keys unknown
            key = value_of(module, element.key, at).static
            if key is None or not key.is_integer or not key.is_scalar:
                return False
        return True
    if isinstance(node, cst.DictComp):
        # {i: w for i, w in enumerate(ws)} / {c: w for c in range(n)}
        comp = node.for_in
        if comp.inner_for_in is not None or not isinstance(node.key, cst.Name):
            return False
        target = comp.target
        if isinstance(target, cst.Tuple) and target.elements and _is_call_to(module, comp.iter, "enumerate", at):
            first = target.elements[0].value
            return isinstance(first, cst.Name) and first.value == node.key.value
        if isinstance(target, cst.Name) and target.value == node.key.value:
            return _class_ids(module, comp.iter, at)
        return False
    if _is_call_to(module, node, "dict", at) and len(node.args) == 1:  # type: ignore[union-attr]
        source = node.args[0].value  # type: ignore[union-attr]
        if _is_call_to(module, source, "enumerate", at):
            return True
        if _is_call_to(module, source, "zip", at) and source.args:  # type: ignore[union-attr]
            return _class_ids(module, source.args[0].value, at)  # type: ignore[union-attr]
    return False


def per_class_weights(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Evidence | None:
    """A dict ``{class: weight}`` (literal, comprehension over class ids, ``dict(enumerate(…))``) or the
    result of sklearn's ``compute_class_weight``, followed through assignments and tensor wrappers.
    Indexing or gathering them per example (``w[y]``, ``tf.gather(w, y)``) gives per-example weights: not
    followed."""
    home, value, where, trace = follow_across(module, node, at)
    if _class_keyed_dict(home, value, where):
        return Evidence(value, "a dict {class: weight}", trace, is_dict=True)
    if isinstance(value, cst.Call) and home.qualified_names(value.func) & COMPUTE_CLASS_WEIGHT:
        return Evidence(value, f"the result of `{home.code(value.func)}`, one weight per class", trace)
    return None


def literal_vector(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Value | None:
    """A rank-1 value whose numbers are written in the code (a list, ``np.array([...])``, ``tf.constant``)."""
    value = value_of(module, node, at).static
    if value is None or value.rank != 1 or value.elements is None or value.source != "literal":
        return None
    return value


# -- models, their width and their batch ---------------------------------------------------------------
@dataclass(frozen=True)
class ModelInfo:
    framework: str  # KERAS | TORCH | OTHER
    constructor: cst.Call
    units: int | None = None  # width of the output (the last layer's literal units / out_features)
    units_node: cst.CSTNode | None = None


def _output_width(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                  ) -> tuple[int | None, cst.CSTNode | None]:
    """The last-axis width of a layer or model output (``Dense(3)(h)``, ``model(x)``, ``self.head(h)``), as the
    value evaluator knows it — through helpers, ``self`` attributes, inheritance and the project's modules."""
    origin = value_of(module, node, at).origin
    if origin is None or origin.kind not in (MODEL_OUTPUT, ACTIVATION) or origin.units is None:
        return None, None
    return origin.units, origin.units_node


def model_info(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> ModelInfo | None:
    """What model object ``node`` holds, when it is built in this module (or loaded by Keras): its framework
    from how it is built, its width from the value evaluator."""
    built, where, _ = follow(module, node, at, contents=False)
    if not isinstance(built, cst.Call):
        return None
    framework = _framework(module, built, where)
    if framework is None:
        return None
    origin = value_of(module, node, at).origin
    if origin is None or origin.kind != MODEL or origin.units is None:
        return ModelInfo(framework, built)
    return ModelInfo(framework, built, origin.units, origin.units_node)


def _framework(module: ModuleContext, call: cst.Call, at: StatementInfo, depth: int = 0) -> str | None:
    """KERAS, TORCH or OTHER for a call building a model; None when ``call`` does not build one we know."""
    names = module.qualified_names(call.func)
    if names:
        if names & KERAS_MODEL_CALLS or any(n.startswith("keras.applications.") for n in names):
            return KERAS
        return TORCH if names & TORCH_MODEL_CALLS else OTHER
    if not isinstance(call.func, cst.Name) or depth > 4:
        return None
    owner = module.classes.get(call.func.value)
    if owner is not None and module.definitions(module.module, call.func.value):
        for base in owner.node.bases:
            base_names = module.qualified_names(base.value)
            if base_names & KERAS_MODEL_BASES:
                return KERAS
            if base_names & TORCH_MODEL_BASES:
                return TORCH
        return OTHER
    function = module.module_functions.get(call.func.value)
    if function is None or not function.returns:
        return None
    found = set()
    for value, statement in function.returns:
        built, where, _ = follow(module, value, statement, contents=False)
        found.add(_framework(module, built, where, depth + 1) if isinstance(built, cst.Call) else None)
    return found.pop() if len(found) == 1 else None


# -- the dimensions of a loss call -------------------------------------------------------------------
@dataclass(frozen=True)
class PredictionDims:
    """Static facts about the predictions a loss receives: batch size, number of classes (the last axis)
    and rank. ``classes_node`` is where the class count is written, for traces."""

    batch: int | None = None
    classes: int | None = None
    rank: int | None = None
    classes_node: cst.CSTNode | None = None


def _agree(values: list[int | None]) -> int | None:
    known = {v for v in values if v is not None}
    return known.pop() if len(known) == 1 else None


def _one_hot_depth(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                   ) -> tuple[int | None, cst.CSTNode | None]:
    node, where, _ = follow(module, node, at)
    if not isinstance(node, cst.Call) or not _op_names(module, node.func) & ONE_HOT_FUNCTIONS:
        return None, None
    keyword = next((a.value for a in node.args if a.keyword and a.keyword.value in ("depth", "num_classes")), None)
    depth_node = keyword if keyword is not None else (node.args[1].value if len(node.args) > 1
                                                      and node.args[1].keyword is None else None)
    depth = value_of(module, depth_node, where).static
    if depth is None or depth.scalar is None or not float(depth.scalar).is_integer():
        return None, None
    return int(depth.scalar), node


def _model_input_batch(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> int | None:
    """``model(x)``: the batch is x's first dimension."""
    node, where, _ = follow(module, node, at, contents=False)
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None:
        return None
    inputs = value_of(module, node.args[0].value, where).static
    if inputs is None or inputs.shape is None or len(inputs.shape) < 2:
        return None
    return inputs.shape[0]


def prediction_dims(module: ModuleContext, logits: cst.BaseExpression | None, labels: cst.BaseExpression | None,
                    sparse: bool, at: StatementInfo) -> PredictionDims:
    """What the code says about the shapes a loss sees: static shapes of logits and (dense) labels, the
    width of the model or layer that produced the logits, the depth of a ``one_hot``. Sources that
    disagree cancel out (a shape mismatch is another rule's business)."""
    batches: list[int | None] = []
    classes: list[tuple[int | None, cst.CSTNode | None]] = []
    ranks: list[int | None] = []
    logits_value = value_of(module, logits, at).static
    if logits_value is not None and logits_value.shape is not None:
        ranks.append(len(logits_value.shape))
        if len(logits_value.shape) >= 2:
            batches.append(logits_value.shape[0])
            classes.append((logits_value.shape[-1], logits_value.node))
    labels_value = value_of(module, labels, at).static
    if labels_value is not None and labels_value.shape is not None and labels_value.shape:
        if sparse:
            batches.append(labels_value.shape[0])
        else:
            ranks.append(len(labels_value.shape))
            if len(labels_value.shape) >= 2:
                batches.append(labels_value.shape[0])
                classes.append((labels_value.shape[-1], labels_value.node))
    if logits is not None:
        classes.append(_output_width(module, logits, at))
        batches.append(_model_input_batch(module, logits, at))
    if labels is not None and not sparse:
        classes.append(_one_hot_depth(module, labels, at))
    count = _agree([c for c, _ in classes])
    node = next((n for c, n in classes if c == count and n is not None), None) if count is not None else None
    return PredictionDims(_agree(batches), count, _agree(ranks), node)


# -- reductions and the tensors they count ------------------------------------------------------------
@dataclass(frozen=True)
class Reduction:
    node: cst.Call
    operand: cst.BaseExpression
    statement: StatementInfo
    axes: tuple[int, ...] | None  # None: every axis (a scalar)
    keepdims: bool | None  # None: unknown


_AXIS_KEYWORDS = ("axis", "dim", "reduction_indices")
_KEEPDIMS_KEYWORDS = ("keepdims", "keepdim", "keep_dims")
_INPUT_KEYWORDS = ("input_tensor", "input", "a", "x")


def reduction(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Reduction | None:
    """``tf.reduce_sum(y, axis=-1)``, ``y.sum(1)``, ``torch.count_nonzero(y, dim=0)``, ``np.sum(y)`` …
    with a literal axis (or none); None for anything else."""
    if not isinstance(node, cst.Call) or any(a.star for a in node.args):
        return None
    func = node.func
    positional = [a.value for a in node.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    names = _op_names(module, func)
    if names:
        if not names & REDUCTION_FUNCTIONS:
            return None
        operand = positional[0] if positional else next((keywords[k] for k in _INPUT_KEYWORDS if k in keywords),
                                                        None)
        rest = positional[1:]
    elif isinstance(func, cst.Attribute) and func.attr.value in REDUCTION_METHODS:
        operand, rest = func.value, positional
    else:
        return None
    if operand is None:
        return None
    axis_node = rest[0] if rest else next((keywords[k] for k in _AXIS_KEYWORDS if k in keywords), None)
    keepdims: bool | None = False
    if len(rest) > 1:
        keepdims = None  # keepdims or dtype by position, depending on the library
    for keyword in _KEEPDIMS_KEYWORDS:
        if keyword in keywords:
            flag = value_of(module, keywords[keyword], at).static
            keepdims = bool(flag.scalar) if flag is not None and flag.scalar is not None else None
    axes: tuple[int, ...] | None = None
    if axis_node is not None and not (isinstance(axis_node, cst.Name) and axis_node.value == "None"):
        axis = value_of(module, axis_node, at).static
        if axis is None or axis.elements is None or axis.rank not in (0, 1) \
                or not all(float(a).is_integer() for a in axis.elements):
            return None
        axes = tuple(int(a) for a in axis.elements)
    return Reduction(node, operand, at, axes, keepdims)


_FLIP_COMPARISON = {cst.LessThan: cst.GreaterThan, cst.GreaterThan: cst.LessThan,
                    cst.LessThanEqual: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThanEqual}
_COMPARISON_METHODS = {"eq": cst.Equal, "ne": cst.NotEqual, "gt": cst.GreaterThan, "ge": cst.GreaterThanEqual,
                       "lt": cst.LessThan, "le": cst.LessThanEqual}
_ELEMENTWISE_KEEPING_METHODS = CONTENT_METHODS | {"bool", "long", "int", "view", "flatten", "reshape", "ravel",
                                                  "to_dense", "todense", "toarray", "squeeze"}
_ELEMENTWISE_KEEPING_FUNCTIONS = frozenset({"tensorflow.cast", "tensorflow.dtypes.cast", "tensorflow.reshape",
                                            "tensorflow.sparse.to_dense", "torch.flatten", "torch.reshape",
                                            "numpy.asarray", "numpy.array", "torch.as_tensor", "torch.tensor",
                                            "tensorflow.convert_to_tensor", "tensorflow.constant"})
_NEGATING_FUNCTIONS = frozenset({"torch.logical_not", "numpy.logical_not", "tensorflow.logical_not",
                                 "tensorflow.math.logical_not"})


def _static_scalar(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> float | None:
    value = value_of(module, node, at).static
    return value.scalar if value is not None and value.is_scalar else None


def _tests_positive(operator: type, threshold: float) -> bool | None:
    """Whether ``label <op> threshold`` holds for positive (1) labels and not for negative (0) ones."""
    holds = {
        cst.Equal: lambda y: y == threshold, cst.NotEqual: lambda y: y != threshold,
        cst.GreaterThan: lambda y: y > threshold, cst.GreaterThanEqual: lambda y: y >= threshold,
        cst.LessThan: lambda y: y < threshold, cst.LessThanEqual: lambda y: y <= threshold,
    }.get(operator)
    if holds is None:
        return None
    at_one, at_zero = holds(1.0), holds(0.0)
    return at_one if at_one != at_zero else None


def _elementwise_step(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                      ) -> tuple[cst.BaseExpression, bool] | None:
    """One step from an elementwise expression of labels towards the labels: (inner, flips polarity)."""
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Subtract) and _static_scalar(module, node.left, at) == 1:
            return node.right, True  # 1 - y counts negatives
        if isinstance(node.operator, (cst.Multiply, cst.Divide)):
            for inner, other in ((node.left, node.right), (node.right, node.left)):
                scale = _static_scalar(module, other, at)
                if scale is not None and scale > 0 and not (inner is node.right and
                                                            isinstance(node.operator, cst.Divide)):
                    return inner, False
        return None
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        target = node.comparisons[0]
        operator: type = type(target.operator)
        inner, threshold = node.left, _static_scalar(module, target.comparator, at)
        if threshold is None:
            threshold = _static_scalar(module, node.left, at)
            inner = target.comparator
            operator = _FLIP_COMPARISON.get(operator, operator)
        if threshold is None:
            return None
        positive = _tests_positive(operator, threshold)
        return None if positive is None else (inner, not positive)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.BitInvert, cst.Not)):
        return node.expression, True
    if isinstance(node, cst.Call) and not any(a.star for a in node.args):
        func = node.func
        names = _op_names(module, func)
        first = node.args[0].value if node.args and node.args[0].keyword is None else None
        if names:
            if names & _ELEMENTWISE_KEEPING_FUNCTIONS and first is not None:
                return first, False
            if names & _NEGATING_FUNCTIONS and first is not None:
                return first, True
            return None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _ELEMENTWISE_KEEPING_METHODS:
                return func.value, False
            if method in ("logical_not", "bitwise_not"):
                return func.value, True
            if method in _COMPARISON_METHODS and first is not None and len(node.args) == 1:
                threshold = _static_scalar(module, first, at)
                positive = _tests_positive(_COMPARISON_METHODS[method], threshold) if threshold is not None else None
                return None if positive is None else (func.value, not positive)
        if isinstance(func, cst.Name) and func.value == "float" and first is not None \
                and _is_builtin(module, "float", at):
            return first, False
    return None


def counted_tensor(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                   ) -> tuple[tuple | None, str]:
    """The tensor an elementwise expression of 0/1 labels is built from, as a comparable key, and whether a
    sum of the expression counts its positives or its negatives: ``y`` and ``(y == 1).float()`` count
    positives; ``1 - y``, ``y == 0``, ``~y`` count negatives."""
    polarity = POSITIVE
    for _ in range(MAX_HOPS):
        step = _elementwise_step(module, node, at)
        if step is None:
            bound = _bound_value(module, node, at)
            if bound is None or _elementwise_step(module, bound[0], bound[1]) is None:
                break
            node, at = bound[0], bound[1]
            continue
        node, flips = step
        if flips:
            polarity = NEGATIVE if polarity == POSITIVE else POSITIVE
    return tensor_key(module, node, at), polarity


def tensor_key(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> tuple | None:
    """A key equal for two reads of the same variable (same name, same reaching definitions); None when
    unknown. Attribute chains and subscripts compare by their text and their base name's definitions."""
    base: cst.BaseExpression = node
    while isinstance(base, (cst.Attribute, cst.Subscript)):
        base = base.value
    if not isinstance(base, cst.Name):
        return ("node", id(node))
    definitions = bindings(module, base.value, at)
    if not definitions:
        return None
    text = "".join(module.code(node).split())
    return ("name", text, frozenset(id(d.target) for d in definitions))


def same_tensor(module: ModuleContext, first: cst.BaseExpression, first_at: StatementInfo,
                second: cst.BaseExpression, second_at: StatementInfo) -> bool:
    key, _ = counted_tensor(module, first, first_at)
    return key is not None and key == counted_tensor(module, second, second_at)[0]


# -- per-example values (WCE202) ---------------------------------------------------------------------
def _is_dimension_size(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> bool:
    """``y.shape[1]``, ``y.size(1)``, ``len(y)``, ``y.numel()``, ``tf.shape(y)[1]``: a number."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) and node.value.attr.value == "shape":
        return True
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Call) \
            and _op_names(module, node.value.func) & {"tensorflow.shape"}:
        return True
    if isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("size", "numel", "nelement", "dim"):
            return node.func.attr.value != "size" or len(node.args) == 1
        if _is_call_to(module, node, "len", at):
            return True
    return False


def _scalar_like(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> bool:
    node, at, _ = follow(module, node, at)
    if _static_scalar(module, node, at) is not None or _is_dimension_size(module, node, at):
        return True
    found = reduction(module, node, at)
    return found is not None and found.axes is None and found.keepdims is False


_BOUNDING_FUNCTIONS = frozenset({"tensorflow.maximum", "tensorflow.math.maximum", "tensorflow.clip_by_value",
                                 "torch.clamp", "torch.clip", "torch.clamp_min", "numpy.maximum", "numpy.clip",
                                 "jax.numpy.maximum", "jax.numpy.clip", "keras.ops.maximum"})
_BOUNDING_METHODS = frozenset({"clamp", "clamp_min", "clip"})


def _bounded_operand(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                     ) -> cst.BaseExpression | None:
    """``x`` of ``tf.maximum(x, 1.0)``, ``torch.clamp(x, min=1)``, ``x.clamp(min=1)``, ``max(x, 1)``: bounding
    a value by a number keeps what it is."""
    if not isinstance(node, cst.Call) or not node.args or any(a.star for a in node.args):
        return None
    if _is_call_to(module, node, "max", at) and len(node.args) == 2:
        first, second = node.args[0].value, node.args[1].value
        if _static_scalar(module, second, at) is not None:
            return first
        return second if _static_scalar(module, first, at) is not None else None
    if _op_names(module, node.func) & _BOUNDING_FUNCTIONS and node.args[0].keyword is None:
        return node.args[0].value
    if isinstance(node.func, cst.Attribute) and node.func.attr.value in _BOUNDING_METHODS \
            and not module.qualified_names(node.func):
        return node.func.value
    return None


def per_example_reduction(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
                          labels: cst.BaseExpression, labels_at: StatementInfo, rank: int | None,
                          depth: int = 0) -> Evidence | None:
    """``node`` is one value per example computed from ``labels``: a reduction of (an elementwise
    expression of) the labels over axes that keep the batch axis, without ``keepdims`` — e.g.
    ``tf.reduce_sum(labels, axis=-1)`` or ``labels.sum(dim=1)`` — or arithmetic of such a value with
    numbers (``(C - labels.sum(1)) / labels.sum(1)``). Negative axes need the labels' static rank."""
    if depth > 6:
        return None
    value, where, trace = follow(module, node, at)
    if isinstance(value, cst.BinaryOperation) and isinstance(
            value.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide)):
        for side, other in ((value.left, value.right), (value.right, value.left)):
            inner = per_example_reduction(module, side, where, labels, labels_at, rank, depth + 1)
            if inner is not None and (_scalar_like(module, other, where) or per_example_reduction(
                    module, other, where, labels, labels_at, rank, depth + 1) is not None):
                return Evidence(inner.node, inner.description, trace + inner.trace)
        return None
    bounded = _bounded_operand(module, value, where)
    if bounded is not None:  # tf.maximum(per_example, 1.0), per_example.clamp(min=1)
        inner = per_example_reduction(module, bounded, where, labels, labels_at, rank, depth + 1)
        return Evidence(inner.node, inner.description, trace + inner.trace) if inner is not None else None
    found = reduction(module, value, where)
    if found is None or found.axes is None or found.keepdims is not False or not found.axes:
        return None
    if rank is not None:
        axes = {a % rank for a in found.axes if -rank <= a < rank}
        if len(axes) != len(found.axes) or 0 in axes or len(axes) >= rank:
            return None
    elif any(a <= 0 for a in found.axes):
        return None  # -1 is the batch axis of rank-1 labels: unknown without the rank
    if not same_tensor(module, found.operand, where, labels, labels_at):
        return None
    axis_text = ", ".join(str(a) for a in found.axes)
    return Evidence(found.node, f"`{module.code(found.node)}`, a reduction of the labels over axis {axis_text} "
                                "(one value per example)", trace)


# -- counts and their ratio (WCE205) -----------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    node: cst.Call
    key: tuple | None
    counts: str  # POSITIVE | NEGATIVE


def count_of(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Count | None:
    """A sum/mean/count_nonzero of 0/1 labels, through assignments, casts, ``+ eps`` and ``clamp``."""
    for _ in range(MAX_HOPS):
        node, at, _ = follow(module, node, at, singleton=True)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            if _static_scalar(module, node.right, at) is not None:
                node = node.left
                continue
            if _static_scalar(module, node.left, at) is not None:
                node = node.right
                continue
            return None
        bounded = _bounded_operand(module, node, at)
        if bounded is not None:
            node = bounded
            continue
        break
    found = reduction(module, node, at)
    if found is None:
        return None
    key, counts = counted_tensor(module, found.operand, found.statement)
    return Count(found.node, key, counts)


def label_count_ratio(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Evidence | None:
    """A division of the negative count by the positive count of the same labels:
    ``(y == 0).sum() / (y == 1).sum()``, ``(1 - y).sum() / y.sum()``, ``(N - y.sum()) / y.sum()``
    (any ``N``: ``y.numel()``, ``adj.shape[0] ** 2`` …), with the counts possibly in variables."""
    home, value, where, trace = follow_across(module, node, at, singleton=True)
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Divide):
        return None
    positives = count_of(home, value.right, where)
    if positives is None or positives.counts != POSITIVE or positives.key is None:
        return None
    negatives = count_of(home, value.left, where)
    if negatives is not None and negatives.counts == NEGATIVE and negatives.key == positives.key:
        return Evidence(value, f"the ratio of negative to positive label counts `{home.code(value)}`", trace)
    numerator, numerator_at, _ = follow(home, value.left, where, singleton=True)
    if isinstance(numerator, cst.BinaryOperation) and isinstance(numerator.operator, cst.Subtract):
        subtracted = count_of(home, numerator.right, numerator_at)
        if subtracted is not None and subtracted.counts == POSITIVE and subtracted.key == positives.key:
            return Evidence(value, f"the ratio of negative to positive label counts `{home.code(value)}`", trace)
    return None


def named_positive_weight(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Evidence | None:
    """A value the author named a positive weight: ``pos_weight``, ``data.pos_weight``,
    ``self.pos_weight`` — directly, in a tensor wrapper, or through assignments."""
    trace: list[TraceStep] = []
    for _ in range(MAX_HOPS):
        spelled = node.value if isinstance(node, cst.Name) else (
            node.attr.value if isinstance(node, cst.Attribute) else None)
        if spelled is not None and spelled.lower() in POSITIVE_WEIGHT_NAMES:
            return Evidence(node, f"`{module.code(node)}`, named as a positive-class weight", tuple(trace))
        bound = _bound_value(module, node, at)
        if bound is not None:
            node, at, step = bound
            trace.append(step)
            continue
        inner = _content_argument(module, node, at, singleton=True)
        if inner is None:
            return None
        node = inner
    return None


def single_element(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Evidence | None:
    """A scalar or a one-element tensor: statically (``10.0``, ``torch.tensor([3.0])``) or by construction
    (``torch.tensor([ratio])``, ``torch.tensor(x.item())``, ``float(…)``)."""
    value = value_of(module, node, at).static
    if value is not None and value.shape is not None and all(isinstance(d, int) for d in value.shape) \
            and math.prod(value.shape) == 1:
        what = "a single number" if value.is_scalar else f"a one-element tensor of shape {tuple(value.shape)}"
        if value.elements:
            what += f" ({float(value.elements[0])!r})"
        trace = (TraceStep("the value is defined here", value.node),) \
            if value.node is not None and value.node is not node else ()
        return Evidence(node, what, trace)
    value_node, where, trace = follow(module, node, at, contents=False)
    for _ in range(MAX_HOPS):
        if isinstance(value_node, cst.Call):
            func = value_node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "item" and not value_node.args:
                return Evidence(node, "a single number (`.item()`)", trace)
            if isinstance(func, cst.Name) and func.value == "float" and _is_builtin(module, "float", where):
                return Evidence(node, "a single number (`float(…)`)", trace)
            names = _op_names(module, func)
            first = value_node.args[0].value if value_node.args and value_node.args[0].keyword is None else None
            if names & CONTENT_FUNCTIONS and isinstance(first, (cst.List, cst.Tuple)) and len(first.elements) == 1 \
                    and not isinstance(first.elements[0], cst.StarredElement):
                return Evidence(node, "a one-element tensor", trace)
            if names & CONTENT_FUNCTIONS and first is not None:
                value_node = first
                continue
            if isinstance(func, cst.Attribute) and func.attr.value in CONTENT_METHODS - {"tolist", "numpy"}:
                value_node = func.value
                continue
        bound = _bound_value(module, value_node, where)
        if bound is None:
            return None
        value_node, where, step = bound
        trace += (step,)
    return None


def division_by_zero(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo) -> Evidence | None:
    """A division whose divisor is statically zero (what the numerator is does not matter)."""
    home, value, where, trace = follow_across(module, node, at, singleton=True)
    if not isinstance(value, cst.BinaryOperation) or not isinstance(
            value.operator, (cst.Divide, cst.FloorDivide, cst.Modulo)):
        return None
    divisor = value_of(home, value.right, where).static
    if divisor is None or not divisor.elements or any(x != 0 for x in divisor.elements):
        return None
    return Evidence(value, f"`{home.code(value)}`, a division by zero", trace)


# -- Keras training calls --------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingCall:
    """``model.fit(…)``, ``model.train_on_batch(…)`` …: ``model`` is None when the receiver is unknown."""

    call: cst.Call
    method: str
    statement: StatementInfo
    arguments: Binding
    model: ModelInfo | None


def training_calls(module: ModuleContext) -> list[TrainingCall]:
    cached = module.cache.get("training_calls")
    if cached is None:
        cached = []
        for site in module.calls:
            func = site.node.func
            if not isinstance(func, cst.Attribute) or func.attr.value not in TRAINING_SIGNATURES:
                continue
            if module.qualified_names(func):
                continue  # `sklearn.something.fit(...)`: a function, not a model's method
            method = func.attr.value
            cached.append(TrainingCall(site.node, method, site.statement,
                                       bind(TRAINING_SIGNATURES[method], site.node),
                                       model_info(module, func.value, site.statement)))
        module.cache["training_calls"] = cached
    return cached  # type: ignore[return-value]


def imports_keras(module: ModuleContext) -> bool:
    """The module imports TensorFlow or Keras (a fact about the file, not about a name)."""
    cached = module.cache.get("imports_keras")
    if cached is None:
        cached = any(module.imports.is_imported(local) and any(
            q.startswith(("keras", "tensorflow")) for q in module.imports.resolve_dotted(local))
            for local in _imported_locals(module))
        module.cache["imports_keras"] = cached
    return bool(cached)


def _imported_locals(module: ModuleContext) -> set[str]:
    locals_: set[str] = set()
    for statement in module.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    local = alias.asname.name if alias.asname else alias.name
                    while isinstance(local, cst.Attribute):
                        local = local.value
                    if isinstance(local, cst.Name):
                        locals_.add(local.value)
    return locals_


def _batch_length_vector(module: ModuleContext, value: cst.BaseExpression, at: StatementInfo,
                         dims: PredictionDims) -> Evidence | None:
    if dims.batch is None or dims.classes is None or dims.batch == dims.classes:
        return None
    vector = value_of(module, value, at).static
    if vector is None or vector.shape != (dims.batch,):
        return None
    shown = ""
    if vector.elements is not None:
        items = ", ".join(f"{x:g}" for x in vector.elements[:6])
        shown = f" [{items}{', …' if len(vector.elements) > 6 else ''}]"
    trace = (TraceStep("the vector is defined here", vector.node),) \
        if vector.node is not None and vector.node is not value else ()
    return Evidence(value, f"a vector of length {dims.batch}{shown} — the batch size, while the logits have "
                           f"{dims.classes} classes", trace)


def per_example_pos_weight(module: ModuleContext, loss: LossCall) -> tuple[cst.Arg, Evidence] | None:
    """A per-example vector given as ``pos_weight`` (WCE202's evidence; WCE302 defers to it so one problem
    gives one finding): a batch-length vector, or the labels reduced over their class axis."""
    from wce_lint.analysis.apis import SPARSE

    api = loss.api
    if api.pos_weight is None or loss.call is None or loss.arguments is None or loss.statement is None:
        return None  # shapes are known where predictions and labels meet the loss
    argument = loss.option(api.pos_weight)
    if argument is None:
        return None
    # for a loss object the weight was given to its constructor
    weight_at = module.statement_of(loss.constructor) if loss.constructor is not None else loss.statement
    if weight_at is None:
        return None
    logits, labels = loss.arguments.value(api.logits), loss.arguments.value(api.labels)
    dims = prediction_dims(module, logits, labels, api.family == SPARSE, loss.statement)
    evidence = _batch_length_vector(module, argument.value, weight_at, dims)
    if evidence is None and labels is not None:
        evidence = per_example_reduction(module, argument.value, weight_at, labels, loss.statement, dims.rank)
    return (argument, evidence) if evidence is not None else None


@dataclass(frozen=True)
class PosWeight:
    """A ``pos_weight`` argument where it is judged: at the call for functions, at the constructor for loss
    objects (once, however often the object is called). ``value`` is its static value, if known."""

    loss: LossCall
    argument: cst.Arg
    value: Value | None


def pos_weights(module: ModuleContext) -> list[PosWeight]:
    """Every ``pos_weight`` given to a loss in the module (memoised: several rules judge the same values)."""
    from wce_lint.analysis.calls import loss_calls

    cached = module.cache.get("pos_weights")
    if cached is None:
        cached = []
        for loss in loss_calls(module):
            argument = loss.option(loss.api.pos_weight)
            if argument is None or loss.statement is None or (loss.api.is_class and loss.call is not None):
                continue
            cached.append(PosWeight(loss, argument, value_of(module, argument.value, loss.statement).static))
        module.cache["pos_weights"] = cached
    return cached  # type: ignore[return-value]
