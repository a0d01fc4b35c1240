"""Static values: constant folding, literal tensors, and the shapes and dtypes that follow from them.

``static_value`` answers with a ``Value`` or None; None means unknown, and a rule never guesses. Shapes are
tuples whose entries may be None for an unknown dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import libcst as cst

from wce_lint.analysis.dataflow import SHAPE, mutated_in_place
from wce_lint.analysis.provenance import bindings
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.reach import CallFrame, enclosing_class, possible_values

MAX_ELEMENTS = 4096  # literal tensors larger than this keep their shape but not their elements
MAX_DEPTH = 12  # how many assignments/calls we follow before giving up

FLOAT_DTYPES = frozenset({"float16", "float32", "float64", "bfloat16"})
INT_DTYPES = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})
PY_FLOAT, PY_INT, PY_BOOL = "python float", "python int", "python bool"

_DTYPE_ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
    "short": "int16", "bool": "bool", "float_": "float64", "int_": "int64", "bool_": "bool",
    "single": "float32", "intc": "int32", "longlong": "int64",
}

Shape = tuple  # tuple[int | None, ...]


@dataclass(frozen=True)
class Value:
    """What is statically known about a value. ``shape == ()`` for scalars; ``elements`` is the flat
    content in row-major order when it is known."""

    shape: Shape | None
    dtype: str | None
    elements: tuple[float, ...] | None = None
    source: str = "literal"  # how we know (literal, zeros, one_hot, …), for messages
    node: cst.CSTNode | None = None

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def scalar(self) -> float | None:
        if self.elements is not None and len(self.elements) == 1 and self.shape in ((), (1,)):
            return self.elements[0]
        return None

    @property
    def is_integer(self) -> bool:
        return self.dtype in INT_DTYPES or self.dtype == PY_INT

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES or self.dtype == PY_FLOAT

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


def _scalar(number: float, dtype: str, node: cst.CSTNode) -> Value:
    return Value((), dtype, (number,), "literal", node)


def static_value(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo | None,
                 depth: int = 0, frame: CallFrame | None = None) -> Value | None:
    """Fold ``node`` (read at statement ``at``) to a static ``Value``, or None when unknown. In ``frame`` (a
    call being followed into its function) the function's parameters are what that call passes."""
    if node is None or at is None or depth > MAX_DEPTH:
        return None
    key = ("static_value", id(node), at.order, frame.key if frame is not None else None)
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    module.cache[key] = None  # guards against cycles (`x = x + 1` in a loop)
    try:
        result = _Evaluator(module, at, depth, frame).evaluate(node)
    except (OverflowError, ValueError, TypeError, ArithmeticError, RecursionError):
        result = None
    if depth == 0 or result is not None:
        # a None found deep down may only mean the depth budget ran out: let a shallower query retry
        module.cache[key] = result
    else:
        del module.cache[key]
    return result


class _Evaluator:
    def __init__(self, module: ModuleContext, at: StatementInfo, depth: int, frame: CallFrame | None = None) -> None:
        self.module = module
        self.at = at
        self.depth = depth
        self.frame = frame

    def sub(self, node: cst.BaseExpression | None) -> Value | None:
        return static_value(self.module, node, self.at, self.depth + 1, self.frame)

    def at_statement(self, statement: StatementInfo) -> "_Evaluator":
        """An evaluator reading names as they are at another statement (a definition's right-hand side)."""
        return _Evaluator(self.module, statement, self.depth + 1, self.frame)

    def evaluate(self, node: cst.BaseExpression) -> Value | None:
        if isinstance(node, cst.Integer):
            return _scalar(int(node.evaluated_value), PY_INT, node)
        if isinstance(node, cst.Float):
            return _scalar(float(node.evaluated_value), PY_FLOAT, node)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False"):
                return _scalar(float(node.value == "True"), PY_BOOL, node)
            return self.name(node)
        if isinstance(node, cst.UnaryOperation):
            return self.unary(node)
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node)
        if isinstance(node, (cst.List, cst.Tuple)):
            return self.nested_list(node)
        if isinstance(node, cst.Attribute):
            return self.attribute(node)
        if isinstance(node, cst.Call):
            from wce_lint.analysis.tensor_calls import evaluate_call

            return evaluate_call(self, node)
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        return None

    # -- names --------------------------------------------------------------------------------
    def name(self, node: cst.Name) -> Value | None:
        definitions = bindings(self.module, node.value, self.at)
        if not definitions:
            return None
        if len(definitions) == 1 and isinstance(definitions[0].target, cst.ImportFrom):
            return self.imported(node)
        first = self.agreed(possible_values(self.module, node, self.at, self.frame))
        if first is None:
            return None
        # `w = torch.zeros(3); w[0] = 2.0`: what was bound is no longer what is read
        changed = mutated_in_place(self.module, node.value, {id(d.statement.scope) for d in definitions})
        if changed == SHAPE:
            return None
        return replace(first, elements=None) if changed else first

    def imported(self, node: cst.Name) -> Value | None:
        """A constant of another module of the project (``from config import POS_WEIGHT``), bound once
        there; reported at the name that uses it (the value's own node is in the other file)."""
        from wce_lint.analysis.project import resolve_value

        found = resolve_value(self.module, self.module.imports.resolve_dotted(node.value), constants=True)
        if found is None:
            return None
        home, definition = found
        value = static_value(home, definition.value, definition.statement, self.depth + 1)
        if value is None or mutated_in_place(home, definition.name, {id(home.module)}):
            return None
        return replace(value, node=node)

    def agreed(self, found) -> Value | None:  # type: ignore[no-untyped-def]
        """The value every possibility (``reach.Bound``) folds to, or None when one is unknown or they differ."""
        if not found:
            return None
        values = []
        for bound in found:
            value = static_value(bound.home, bound.value, bound.statement, self.depth + 1, bound.frame)
            if value is None:
                return None
            values.append(value)
        first = values[0]
        if any((v.shape, v.dtype, v.elements) != (first.shape, first.dtype, first.elements) for v in values[1:]):
            return None  # branches disagree: stay silent
        return first

    def self_attribute(self, node: cst.Attribute) -> Value | None:
        """``self.w`` assigned anywhere in the class: every assignment must fold to the same value; an in-place
        change of it (``self.w.fill_(…)``, ``self.w[0] = …``) in the class or its bases makes the elements
        unknown."""
        first = self.agreed(possible_values(self.module, node, self.at))
        if first is None:
            return None
        from wce_lint.analysis.classes import linearization
        from wce_lint.analysis.module import ClassInfo

        owner = enclosing_class(self.module, self.at)
        changed = None
        for home, entry in linearization(self.module, owner) if owner is not None else ():
            if home is not None and isinstance(entry, ClassInfo):  # the class and its bases, each in its module
                kind = mutated_in_place(home, f"self.{node.attr.value}",
                                        {id(method.node) for method in entry.methods.values()})
                if kind == SHAPE:
                    return None
                changed = changed or kind
        return replace(first, elements=None, node=node) if changed else replace(first, node=node)

    def attribute(self, node: cst.Attribute) -> Value | None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            return self.self_attribute(node)
        names = self.module.qualified_names(node)
        for name in names:
            head, _, constant = name.rpartition(".")
            if head in ("math", "numpy", "torch", "jax.numpy", "tensorflow.experimental.numpy"):
                if constant in ("inf", "Inf", "PINF", "infty", "Infinity"):
                    return _scalar(math.inf, PY_FLOAT, node)
                if constant == "NINF":
                    return _scalar(-math.inf, PY_FLOAT, node)
                if constant in ("nan", "NaN", "NAN"):
                    return _scalar(math.nan, PY_FLOAT, node)
                if constant in ("pi", "e"):
                    return _scalar(getattr(math, constant), PY_FLOAT, node)
        return None

    def subscript(self, node: cst.Subscript) -> Value | None:
        """Basic indexing with literal parts: ``y[:, None]``, ``y[..., None]``, ``y[None]``, ``y[:, 0]``.
        Slices other than ``:`` and fancy indexing are unknown."""
        value = self.sub(node.value)
        if value is None or value.shape is None or not value.shape:
            return None
        parts: list[object] = []  # ":" | "..." | None | int
        for element in node.slice:
            if not isinstance(element, cst.SubscriptElement):
                return None
            index = element.slice
            if isinstance(index, cst.Slice):
                if index.lower is not None or index.upper is not None or index.step is not None:
                    return None
                parts.append(":")
            elif isinstance(index, cst.Index) and index.star is None:
                if isinstance(index.value, cst.Ellipsis):
                    parts.append("...")
                elif isinstance(index.value, cst.Name) and index.value.value == "None":
                    parts.append(None)
                else:
                    position = self.sub(index.value)
                    if position is None or not position.is_scalar or not position.is_integer:
                        return None
                    parts.append(int(position.elements[0]) if position.elements else None)
                    if parts[-1] is None:
                        return None
            else:
                return None
        if parts.count("...") > 1:
            return None
        consumed = sum(1 for p in parts if p == ":" or isinstance(p, int))
        if consumed > len(value.shape):
            return None
        if "..." in parts:
            at = parts.index("...")
            parts[at:at + 1] = [":"] * (len(value.shape) - consumed)
        else:
            parts.extend([":"] * (len(value.shape) - consumed))
        shape: list[int | None] = []
        dims = iter(value.shape)
        only_insertions = True
        for part in parts:
            if part is None:
                shape.append(1)
            elif part == ":":
                shape.append(next(dims))
            else:
                size = next(dims)
                if size is not None and not -size <= part < size:  # type: ignore[operator]
                    return None
                only_insertions = False
        elements = value.elements if only_insertions else None
        return Value(tuple(shape), value.dtype, elements, value.source, node)

    # -- arithmetic ---------------------------------------------------------------------------
    def unary(self, node: cst.UnaryOperation) -> Value | None:
        operand = self.sub(node.expression)
        if operand is None:
            return None
        if isinstance(node.operator, cst.Minus):
            return map_elements(operand, lambda x: -x, node)
        if isinstance(node.operator, cst.Plus):
            return replace(operand, node=node)
        return None

    def binary(self, node: cst.BinaryOperation) -> Value | None:
        left, right = self.sub(node.left), self.sub(node.right)
        if left is None or right is None:
            return None
        op = node.operator
        if isinstance(op, cst.Add):
            return combine(left, right, lambda a, b: a + b, node)
        if isinstance(op, cst.Subtract):
            return combine(left, right, lambda a, b: a - b, node)
        if isinstance(op, cst.Multiply):
            return combine(left, right, lambda a, b: a * b, node)
        if isinstance(op, cst.Divide):
            return combine(left, right, _divide, node, true_division=True)
        if isinstance(op, cst.Power):
            return combine(left, right, lambda a, b: float(a) ** b, node)
        return None

    # -- literals -----------------------------------------------------------------------------
    def nested_list(self, node: cst.List | cst.Tuple) -> Value | None:
        items = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            value = self.sub(element.value)
            if value is None or value.shape is None:
                return None
            items.append(value)
        if not items:
            return Value((0,), PY_FLOAT, (), "literal", node)
        inner = items[0].shape
        if any(item.shape != inner for item in items):
            return None  # ragged
        dtype = _promote([item.dtype for item in items])
        elements: tuple[float, ...] | None = ()
        for item in items:
            if item.elements is None or elements is None:
                elements = None
                break
            elements += item.elements
        if elements is not None and len(elements) > MAX_ELEMENTS:
            elements = None
        return Value((len(items), *inner), dtype, elements, "literal", node)


def _divide(a: float, b: float) -> float:
    if b == 0:
        # What tensors do (Python scalars raise ZeroDivisionError: degenerate either way).
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _promote(dtypes: Sequence[str | None]) -> str | None:
    if any(d is None for d in dtypes):
        return None
    kinds = set(dtypes)
    if len(kinds) == 1:
        return dtypes[0]
    if kinds <= {PY_INT, PY_FLOAT, PY_BOOL}:
        return PY_FLOAT if PY_FLOAT in kinds else PY_INT
    return None


def map_elements(value: Value, function, node: cst.CSTNode) -> Value:  # type: ignore[no-untyped-def]
    elements = None if value.elements is None else tuple(function(x) for x in value.elements)
    return Value(value.shape, value.dtype, elements, value.source, node)


def broadcast_shapes(left: Shape | None, right: Shape | None) -> Shape | None:
    """NumPy broadcasting of two static shapes; None if unknown, raises ValueError if incompatible."""
    if left is None or right is None:
        return None
    result = []
    for a, b in zip(reversed((1,) * (len(right) - len(left)) + tuple(left)),
                    reversed((1,) * (len(left) - len(right)) + tuple(right))):
        if a is None or b is None:
            result.append(None if a != 1 and b != 1 else (b if a == 1 else a))
        elif a == 1 or b == 1 or a == b:
            result.append(b if a == 1 else a)
        else:
            raise ValueError(f"shapes {left} and {right} do not broadcast")
    return tuple(reversed(result))


def combine(left: Value, right: Value, function, node: cst.CSTNode,  # type: ignore[no-untyped-def]
            true_division: bool = False) -> Value | None:
    shape = broadcast_shapes(left.shape, right.shape)
    if shape is None:
        return None
    dtype = _promote([left.dtype, right.dtype])
    if left.dtype != right.dtype:
        # a Python scalar takes the tensor's dtype — except a float scalar with an integer tensor, which
        # promotes to a float in NumPy/PyTorch and fails in TensorFlow: unknown here
        python, tensor = (left, right) if left.dtype in (PY_INT, PY_FLOAT, PY_BOOL) else (right, left)
        if python.dtype in (PY_INT, PY_FLOAT, PY_BOOL) and tensor.dtype not in (PY_INT, PY_FLOAT, PY_BOOL):
            dtype = None if python.dtype == PY_FLOAT and not tensor.is_float else tensor.dtype
    if true_division and dtype == PY_INT:
        dtype = PY_FLOAT
    elif true_division and dtype is not None and dtype not in FLOAT_DTYPES and dtype != PY_FLOAT:
        dtype = None  # int tensor / int tensor: float64 in NumPy and TF, float32 in PyTorch
    elements = None
    if left.elements is not None and right.elements is not None:
        if len(left.elements) == 1:
            elements = tuple(function(left.elements[0], b) for b in right.elements)
        elif len(right.elements) == 1:
            elements = tuple(function(a, right.elements[0]) for a in left.elements)
        elif left.shape == right.shape:
            elements = tuple(function(a, b) for a, b in zip(left.elements, right.elements))
    source = left.source if left.source != "literal" else right.source
    return Value(shape, dtype, elements, source, node)
