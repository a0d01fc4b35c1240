"""Static shapes, dtypes and contents of tensor-producing calls (literals, constructors, shape ops)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import libcst as cst

from wce_lint.analysis.calls import Binding, bind
from wce_lint.analysis.apis import Signature
from wce_lint.analysis.values import (
    FLOAT_DTYPES, INT_DTYPES, MAX_ELEMENTS, PY_BOOL, PY_FLOAT, PY_INT, Value, _DTYPE_ALIASES,
)

if TYPE_CHECKING:
    from wce_lint.analysis.values import _Evaluator

# Default dtypes of literal data, per framework: (int, float).
_DEFAULTS = {
    "tensorflow": ("int32", "float32"),
    "numpy": ("int64", "float64"),
    "torch": ("int64", "float32"),
    "jax": ("int32", "float32"),
}


def _framework(qualified: str) -> str:
    head = qualified.split(".")[0]
    return {"tensorflow": "tensorflow", "numpy": "numpy", "torch": "torch", "jax": "jax"}.get(head, head)


def dtype_name(module, node: cst.BaseExpression | None) -> str | None:  # type: ignore[no-untyped-def]
    """``tf.float32``, ``torch.long``, ``np.int64``, ``"float32"`` or ``float`` → a dtype name."""
    if node is None:
        return None
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        raw = node.evaluated_value
    elif isinstance(node, cst.Name) and node.value in ("float", "int", "bool"):
        raw = node.value
    else:
        names = module.qualified_names(node)
        if not names:
            return None
        raw = sorted(names)[0].rpartition(".")[2]
    raw = _DTYPE_ALIASES.get(raw, raw)
    return raw if raw in FLOAT_DTYPES or raw in INT_DTYPES or raw == "bool" else None


def _literal_dtype(data: Value, framework: str) -> str | None:
    ints, floats = _DEFAULTS.get(framework, (None, None))
    if data.dtype == PY_INT:
        return ints
    if data.dtype == PY_FLOAT:
        return floats
    if data.dtype == PY_BOOL:
        return "bool"
    return data.dtype


def _shape_from(value: Value | None) -> tuple | None:
    """A shape argument: ``(2, 3)``, ``[2, 3]`` or a single int."""
    if value is None or value.elements is None:
        return None
    if value.shape == ():
        return (int(value.elements[0]),)
    if value.rank == 1 and all(float(x).is_integer() for x in value.elements):
        return tuple(int(x) for x in value.elements)
    return None


def _int(value: Value | None) -> int | None:
    scalar = value.scalar if value is not None else None
    if scalar is None or not float(scalar).is_integer():
        return None
    return int(scalar)


def _sized(shape: tuple, dtype: str | None, source: str, node: cst.CSTNode, fill: float | None = None) -> Value:
    size = math.prod(shape) if all(isinstance(d, int) for d in shape) else None
    elements = None
    if fill is not None and size is not None and size <= MAX_ELEMENTS:
        elements = (fill,) * size
    return Value(shape, dtype, elements, source, node)


# -- handlers by function name (the last part of the qualified name) ----------------------------
Handler = Callable[["_Evaluator", cst.Call, Binding, str], "Value | None"]


def _literal(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    data = ev.sub(args.value("value"))
    if data is None:
        return None
    dtype = dtype_name(ev.module, args.value("dtype")) or _literal_dtype(data, framework)
    shape = data.shape
    wanted = _shape_from(ev.sub(args.value("shape"))) if args.get("shape") else None
    if wanted is not None:
        shape = wanted
        if data.elements is not None and len(data.elements) == 1 and all(isinstance(d, int) for d in wanted):
            return _sized(wanted, dtype, "literal", call, data.elements[0])
    return Value(shape, dtype, data.elements if shape == data.shape else None, "literal", call)


def _filled(fill: float | None, default_float: bool = True) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        shape = _shape_argument(ev, call, args)
        if shape is None:
            return None
        dtype = dtype_name(ev.module, args.value("dtype")) or _DEFAULTS.get(framework, (None, None))[1]
        return _sized(shape, dtype, "constructor", call, fill)
    return handler


def _shape_argument(ev: "_Evaluator", call: cst.Call, args: Binding) -> tuple | None:
    # torch.zeros(2, 3) spells the shape as several positional ints
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > 1 and all(isinstance(a.value, cst.Integer) for a in positional):
        return tuple(int(a.value.evaluated_value) for a in positional)  # type: ignore[union-attr]
    return _shape_from(ev.sub(args.value("shape")))


def _fill(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    shape = _shape_from(ev.sub(args.value("shape")))
    fill = ev.sub(args.value("value"))
    if shape is None or fill is None or fill.scalar is None:
        return None
    dtype = dtype_name(ev.module, args.value("dtype")) or _literal_dtype(fill, framework)
    return _sized(shape, dtype, "constructor", call, fill.scalar)


def _like(fill: float | None) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        model = ev.sub(args.value("input"))
        if model is None or model.shape is None:
            return None
        dtype = dtype_name(ev.module, args.value("dtype")) or model.dtype
        return _sized(model.shape, dtype, "constructor", call, fill)
    return handler


def _random(integer: bool) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        shape = _shape_argument(ev, call, args)
        if shape is None:
            return None
        ints, floats = _DEFAULTS.get(framework, (None, None))
        dtype = dtype_name(ev.module, args.value("dtype")) or (ints if integer else floats)
        return _sized(shape, dtype, "random", call)
    return handler


def _reshape(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    shape = _shape_argument(ev, call, args) if args.get("shape") else None
    if tensor is None or shape is None:
        return None
    if shape.count(-1) == 1 and tensor.shape is not None and all(isinstance(d, int) for d in tensor.shape):
        known = math.prod(d for d in shape if d != -1)
        total = math.prod(tensor.shape)
        if known == 0 or total % known:
            return None
        shape = tuple(total // known if d == -1 else d for d in shape)
    elif -1 in shape:
        return None
    return Value(shape, tensor.dtype, tensor.elements, tensor.source, call)


def _expand_dims(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    axis = _int(ev.sub(args.value("axis")))
    if tensor is None or tensor.shape is None or axis is None:
        return None
    rank = len(tensor.shape) + 1
    if not -rank <= axis < rank:
        return None
    axis %= rank
    shape = tensor.shape[:axis] + (1,) + tensor.shape[axis:]
    return Value(shape, tensor.dtype, tensor.elements, tensor.source, call)


def _squeeze(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    if tensor is None or tensor.shape is None:
        return None
    if args.get("axis") is None:
        if any(d is None for d in tensor.shape):
            return None
        shape = tuple(d for d in tensor.shape if d != 1)
    else:
        axis = _int(ev.sub(args.value("axis")))
        if axis is None or not -len(tensor.shape) <= axis < len(tensor.shape):
            return None
        axis %= len(tensor.shape)
        if tensor.shape[axis] != 1:
            return tensor if framework == "torch" else None  # torch ignores it; TF raises
        shape = tensor.shape[:axis] + tensor.shape[axis + 1:]
    return Value(shape, tensor.dtype, tensor.elements, tensor.source, call)


def _one_hot(default_dtype: str) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        indices = ev.sub(args.value("input"))
        depth = _int(ev.sub(args.value("depth")))
        dtype = dtype_name(ev.module, args.value("dtype")) or default_dtype
        if depth is None or depth <= 0:
            return Value(None, dtype, None, "one_hot", call)
        if indices is None or indices.shape is None:
            return Value(None, dtype, None, "one_hot", call)
        elements = None
        if indices.elements is not None and len(indices.elements) * depth <= MAX_ELEMENTS:
            elements = tuple(float(i == k) for i in indices.elements for k in range(depth))
        return Value((*indices.shape, depth), dtype, elements, "one_hot", call)
    return handler


def _cast(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    dtype = dtype_name(ev.module, args.value("dtype"))
    if tensor is None or dtype is None:
        return None
    elements = tensor.elements
    if elements is not None and dtype in INT_DTYPES:
        elements = tuple(float(int(x)) if math.isfinite(x) else x for x in elements)
    return Value(tensor.shape, dtype, elements, tensor.source, call)


def _reduce(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    if tensor is None or tensor.shape is None:
        return None
    keep = ev.sub(args.value("keepdims"))
    keepdims = bool(keep.scalar) if keep is not None and keep.scalar is not None else False
    if args.get("axis") is None:
        shape: tuple = tuple(1 for _ in tensor.shape) if keepdims else ()
    else:
        axis = _int(ev.sub(args.value("axis")))
        if axis is None or not -len(tensor.shape) <= axis < len(tensor.shape):
            return None
        axis %= len(tensor.shape)
        shape = tensor.shape[:axis] + ((1,) if keepdims else ()) + tensor.shape[axis + 1:]
    return Value(shape, tensor.dtype, None, "reduction", call)


_LITERAL = Signature(("value", "dtype", "shape"))
_SHAPED = Signature(("shape", "dtype"))
_TABLE: dict[str, tuple[Handler, Signature]] = {}


def _register(names: tuple[str, ...], handler: Handler, signature: Signature) -> None:
    for name in names:
        _TABLE[name] = (handler, signature)


_register(("tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.Variable", "numpy.array",
           "numpy.asarray", "torch.tensor", "torch.as_tensor", "jax.numpy.array", "jax.numpy.asarray",
           "tensorflow.compat.v1.constant"), _literal, _LITERAL)
_register(("torch.Tensor", "torch.FloatTensor"), lambda ev, c, a, f: _cast_to(_literal(ev, c, a, f), "float32"),
          Signature(("value",)))
_register(("torch.LongTensor",), lambda ev, c, a, f: _cast_to(_literal(ev, c, a, f), "int64"), Signature(("value",)))
_register(("tensorflow.zeros", "numpy.zeros", "torch.zeros", "jax.numpy.zeros", "numpy.empty", "torch.empty"),
          _filled(0.0), _SHAPED)
_register(("tensorflow.ones", "numpy.ones", "torch.ones", "jax.numpy.ones"), _filled(1.0), _SHAPED)
_register(("tensorflow.fill", "numpy.full", "torch.full", "jax.numpy.full"), _fill,
          Signature(("shape", "value", "dtype")))
_register(("tensorflow.zeros_like", "numpy.zeros_like", "torch.zeros_like", "jax.numpy.zeros_like"),
          _like(0.0), Signature(("input", "dtype")))
_register(("tensorflow.ones_like", "numpy.ones_like", "torch.ones_like", "jax.numpy.ones_like"),
          _like(1.0), Signature(("input", "dtype")))
_register(("torch.rand_like", "torch.randn_like"), _like(None), Signature(("input", "dtype")))
_register(("tensorflow.random.normal", "tensorflow.random.uniform", "tensorflow.random.truncated_normal",
           "torch.rand", "torch.randn", "numpy.random.rand", "numpy.random.randn", "numpy.random.random"),
          _random(False), Signature(("shape", "mean_or_min", "stddev_or_max", "dtype")))
_register(("numpy.random.normal", "numpy.random.uniform"), _random(False), Signature(("low", "high", "size")))
_register(("numpy.random.randint",), _random(True), Signature(("low", "high", "size", "dtype")))
_register(("torch.randint",), _random(True), Signature(("low", "high", "size")))
_register(("jax.random.normal", "jax.random.uniform"), _random(False), Signature(("key", "shape", "dtype")))
_register(("tensorflow.reshape", "numpy.reshape", "torch.reshape", "jax.numpy.reshape"), _reshape,
          Signature(("input", "shape")))
_register(("tensorflow.expand_dims", "numpy.expand_dims", "torch.unsqueeze", "jax.numpy.expand_dims"),
          _expand_dims, Signature(("input", "axis")))
_register(("tensorflow.squeeze", "numpy.squeeze", "torch.squeeze", "jax.numpy.squeeze"), _squeeze,
          Signature(("input", "axis")))
_register(("tensorflow.one_hot",), _one_hot("float32"), Signature(("input", "depth", "on_value", "off_value", "axis", "dtype")))
_register(("torch.nn.functional.one_hot",), _one_hot("int64"), Signature(("input", "depth")))
_register(("jax.nn.one_hot",), _one_hot("float32"), Signature(("input", "depth", "dtype")))
_register(("keras.utils.to_categorical",), _one_hot("float32"), Signature(("input", "depth")))
_register(("tensorflow.cast", "tensorflow.dtypes.cast"), _cast, Signature(("input", "dtype")))
_register(tuple(f"{lib}.{op}" for lib in ("tensorflow", "tensorflow.math") for op in
                ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min")) +
          tuple(f"{lib}.{op}" for lib in ("numpy", "jax.numpy") for op in ("sum", "mean", "max", "min")),
          _reduce, Signature(("input", "axis", "keepdims")))
_register(tuple(f"torch.{op}" for op in ("sum", "mean")), _reduce, Signature(("input", "axis", "keepdims")))

# Keyword spellings per framework that mean the same parameter.
_KEYWORD_ALIASES = {"dim": "axis", "keepdim": "keepdims", "size": "shape", "dims": "shape", "newshape": "shape",
                    "num_classes": "depth", "data": "value", "initial_value": "value", "object": "value",
                    "a": "input", "x": "input", "tensor": "input", "indices": "input", "fill_value": "value",
                    "minval": "mean_or_min", "maxval": "stddev_or_max", "indices_or_sections": "shape"}

# Tensor methods: x.reshape(...), x.float() …  name → (handler, signature without the receiver)
_METHOD_CASTS = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                 "bool": "bool", "bfloat16": "bfloat16"}


def _cast_to(value: Value | None, dtype: str) -> Value | None:
    if value is None:
        return None
    return Value(value.shape, dtype, value.elements, value.source, value.node)


def _normalised_binding(call: cst.Call, signature: Signature) -> Binding:
    renamed = call.with_changes(args=[
        a.with_changes(keyword=a.keyword.with_changes(value=_KEYWORD_ALIASES.get(a.keyword.value, a.keyword.value)))
        if a.keyword is not None else a
        for a in call.args
    ])
    binding = bind(signature, renamed)
    # map back to the original Arg nodes so evaluation happens on the real tree (positions, dataflow)
    originals = {id(new): old for new, old in zip(renamed.args, call.args)}
    return Binding({k: originals[id(v)] for k, v in binding.arguments.items()}, (), binding.open)


def evaluate_call(ev: "_Evaluator", call: cst.Call) -> Value | None:
    module = ev.module
    func = call.func
    if isinstance(func, cst.Name) and func.value == "float" and not module.imports.is_imported("float"):
        return _float_builtin(ev, call)
    for name in sorted(module.qualified_names(func)):
        entry = _TABLE.get(name)
        if entry is not None:
            handler, signature = entry
            return handler(ev, call, _normalised_binding(call, signature), _framework(name))
    if isinstance(func, cst.Attribute) and not module.qualified_names(func):
        return _method(ev, call, func)
    if isinstance(func, cst.Call):
        return _layer_output(ev, call, func)
    return None


def _float_builtin(ev: "_Evaluator", call: cst.Call) -> Value | None:
    if len(call.args) != 1:
        return None
    argument = call.args[0].value
    if isinstance(argument, cst.SimpleString) and isinstance(argument.evaluated_value, str):
        try:
            return Value((), PY_FLOAT, (float(argument.evaluated_value),), "literal", call)
        except ValueError:
            return None
    value = ev.sub(argument)
    return _cast_to(value, PY_FLOAT) if value is not None and value.is_scalar else None


def _method(ev: "_Evaluator", call: cst.Call, func: cst.Attribute) -> Value | None:
    method = func.attr.value
    receiver = func.value
    as_function = call.with_changes(args=[cst.Arg(receiver), *call.args])
    if method in _METHOD_CASTS and not call.args:
        return _cast_to(ev.sub(receiver), _METHOD_CASTS[method])
    if method in ("astype", "to", "type") and call.args:
        dtype = dtype_name(ev.module, call.args[0].value)
        return _cast_to(ev.sub(receiver), dtype) if dtype else None
    handlers: dict[str, tuple[Handler, Signature]] = {
        "reshape": (_reshape, Signature(("input", "shape"))),
        "view": (_reshape, Signature(("input", "shape"))),
        "unsqueeze": (_expand_dims, Signature(("input", "axis"))),
        "squeeze": (_squeeze, Signature(("input", "axis"))),
        "sum": (_reduce, Signature(("input", "axis", "keepdims"))),
        "mean": (_reduce, Signature(("input", "axis", "keepdims"))),
    }
    if method not in handlers:
        return None
    handler, signature = handlers[method]
    if method in ("reshape", "view") and len(call.args) > 1 and all(a.keyword is None for a in call.args):
        shape = cst.Tuple([cst.Element(a.value) for a in call.args])
        as_function = call.with_changes(args=[cst.Arg(receiver), cst.Arg(shape)])
        # the synthetic tuple has no position: evaluate its parts where the call is
    binding = _normalised_binding(as_function, signature)
    return handler(ev, call, binding, "torch")


def _layer_output(ev: "_Evaluator", call: cst.Call, layer: cst.Call) -> Value | None:
    """``Dense(units)(x)``: the output keeps x's leading dimensions and ends in ``units``."""
    if "keras.layers.Dense" not in ev.module.qualified_names(layer.func) or not call.args:
        return None
    units = _int(ev.sub(bind(Signature(("units",)), layer).value("units")))
    inputs = ev.sub(call.args[0].value)
    if units is None or inputs is None or inputs.shape is None or not inputs.shape:
        return None
    return Value((*inputs.shape[:-1], units), "float32", None, "Dense", call)
