"""Static shapes, dtypes and contents of tensor-producing calls (literals, constructors, shape ops).

Each handler answers for one family of calls, keyed by canonical qualified name. Framework conventions that
decide a dtype (a Python ``int`` is int32 in TensorFlow and JAX but int64 in NumPy and PyTorch) live in the
tables at the top. A dtype *argument* we cannot resolve makes the dtype unknown — never the default.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

import libcst as cst

from wce_lint.analysis.apis import Signature
from wce_lint.analysis.calls import Binding, bind
from wce_lint.analysis.values import (
    FLOAT_DTYPES, INT_DTYPES, MAX_ELEMENTS, PY_BOOL, PY_FLOAT, PY_INT, Value, _DTYPE_ALIASES,
)

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.values import _Evaluator

# Default dtypes of literal data, per framework: (int, float).
_DEFAULTS = {
    "tensorflow": ("int32", "float32"),
    "numpy": ("int64", "float64"),
    "torch": ("int64", "float32"),
    "jax": ("int32", "float32"),  # with jax_enable_x64 off, the default
}

# What the builtins `float`/`int` (and NumPy-style strings "float"/"int") mean as a dtype= argument.
# TensorFlow maps `float` to float32 and rejects `int`; PyTorch maps `float` to float64.
_BUILTIN_DTYPES = {
    "tensorflow": {"float": "float32", "bool": "bool"},
    "numpy": {"float": "float64", "int": "int64", "bool": "bool"},
    "torch": {"float": "float64", "int": "int64", "bool": "bool"},
    "jax": {"float": "float32", "int": "int32", "bool": "bool"},
}
_STRING_DTYPES = {
    "tensorflow": {"float": "float32", "double": "float64", "half": "float16"},
    "numpy": {"float": "float64", "int": "int64", "double": "float64", "half": "float16", "single": "float32",
              "long": "int64", "bool": "bool"},
    "jax": {"float": "float32", "int": "int32", "double": "float64", "half": "float16", "single": "float32",
            "bool": "bool"},
}


def _framework(qualified: str) -> str:
    return qualified.split(".")[0]


def _known_dtype(raw: str) -> str | None:
    return raw if raw in FLOAT_DTYPES or raw in INT_DTYPES or raw == "bool" else None


def dtype_name(module: "ModuleContext", node: cst.BaseExpression | None, framework: str | None = None) -> str | None:
    """``tf.float32``, ``torch.long``, ``np.int64``, ``"float32"`` or ``float`` → a dtype name, or None.

    ``framework`` decides what the framework-dependent spellings mean (the builtins ``float``/``int`` and
    strings such as ``"float"``); without it only unambiguous spellings resolve.
    """
    if node is None:
        return None
    if isinstance(node, cst.SimpleString):
        raw = node.evaluated_value
        if not isinstance(raw, str):
            return None
        return _known_dtype(raw) or _STRING_DTYPES.get(framework or "", {}).get(raw)
    if isinstance(node, cst.Name) and node.value in ("float", "int", "bool") and not module.imports.is_imported(
            node.value):
        return _BUILTIN_DTYPES.get(framework or "", {}).get(node.value)
    names = module.qualified_names(node)
    if not names:
        return None
    resolved = set()
    for name in names:
        head, _, last = name.rpartition(".")
        if head == "numpy" and last in ("int", "float", "bool"):
            resolved.add(_BUILTIN_DTYPES["numpy"][last])  # NumPy < 1.24 aliased the builtins
        else:
            resolved.add(_known_dtype(_DTYPE_ALIASES.get(last, last)))
    return resolved.pop() if len(resolved) == 1 else None


def _resolve_dtype(ev: "_Evaluator", node: cst.BaseExpression, framework: str | None) -> str | None:
    """A dtype argument: a dtype spelling, a name bound to one, or ``other.dtype`` of a value we know."""
    found = dtype_name(ev.module, node, framework)
    if found is not None:
        return found
    if isinstance(node, cst.Attribute) and node.attr.value == "dtype" and not ev.module.qualified_names(node):
        value = ev.sub(node.value)
        return value.dtype if value is not None and value.dtype not in (PY_INT, PY_FLOAT, PY_BOOL) else None
    if isinstance(node, cst.Name) and ev.depth < 8:
        from wce_lint.analysis.reach import possible_values
        from wce_lint.analysis.values import _Evaluator

        bounds = possible_values(ev.module, node, ev.at, ev.frame)
        if not bounds:
            return None
        found_all = {_resolve_dtype(_Evaluator(b.home, b.statement, ev.depth + 1, b.frame), b.value, framework)
                     for b in bounds}
        return found_all.pop() if len(found_all) == 1 else None
    return None


def _dtype_argument(ev: "_Evaluator", args: Binding, framework: str, default: str | None,
                    parameter: str = "dtype") -> str | None:
    """The dtype a call produces: its ``dtype=`` when given (None if unresolvable), else ``default`` —
    unless ``**kwargs`` may carry a dtype we cannot see."""
    node = args.value(parameter)
    if node is not None:
        if isinstance(node, cst.Name) and node.value == "None":
            return default
        return _resolve_dtype(ev, node, framework)
    return None if args.open else default


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
    if value is None or value.elements is None or value.is_float:
        return None
    if value.shape == ():
        number = value.elements[0]
        return (int(number),) if float(number).is_integer() and number >= 0 else None
    if value.rank == 1 and all(float(x).is_integer() and (x >= 0 or x == -1) for x in value.elements):
        return tuple(int(x) for x in value.elements)
    return None


def _int(value: Value | None) -> int | None:
    scalar = value.scalar if value is not None else None
    if scalar is None or not math.isfinite(scalar) or not float(scalar).is_integer():
        return None
    return int(scalar)


def _sized(shape: tuple, dtype: str | None, source: str, node: cst.CSTNode, fill: float | None = None) -> Value:
    size = math.prod(shape) if all(isinstance(d, int) for d in shape) else None
    elements = None
    if fill is not None and size is not None and size <= MAX_ELEMENTS:
        elements = (fill,) * size
    return Value(shape, dtype, elements, source, node)


def _as_dtype(elements: tuple[float, ...] | None, dtype: str | None) -> tuple[float, ...] | None:
    """Elements converted to ``dtype``: integers truncate toward zero, booleans become 0/1."""
    if elements is None or dtype is None:
        return elements
    if dtype in INT_DTYPES:
        return tuple(float(int(x)) if math.isfinite(x) else x for x in elements)
    if dtype == "bool":
        return tuple(float(x != 0) for x in elements)
    return elements


# -- handlers by function name (the last part of the qualified name) ----------------------------
Handler = Callable[["_Evaluator", cst.Call, Binding, str], "Value | None"]


def _literal(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    data = ev.sub(args.value("value"))
    if data is None:
        return None
    dtype = _dtype_argument(ev, args, framework, _literal_dtype(data, framework))
    elements = _as_dtype(data.elements, dtype) if dtype != data.dtype else data.elements
    shape = data.shape
    if args.get("shape") is not None:  # tf.constant(value, shape=…) fills or reshapes
        wanted = _shape_from(ev.sub(args.value("shape")))
        if wanted is None or -1 in wanted:
            return None
        if elements is not None and len(elements) == 1:
            return _sized(wanted, dtype, "literal", call, elements[0])
        if elements is not None and len(elements) == math.prod(wanted):
            return Value(wanted, dtype, elements, "literal", call)
        return Value(wanted, dtype, None, "literal", call)
    return Value(shape, dtype, elements, data.source, call)


def _legacy_tensor(dtype: str) -> Handler:
    """``torch.FloatTensor([1, 0])`` holds data; ``torch.FloatTensor(8, 3)`` is an uninitialised 8×3 tensor."""
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        positional = [a for a in call.args if a.keyword is None]
        if not positional or any(a.star for a in positional):
            return None
        first = ev.sub(positional[0].value)
        if first is None:
            return None
        if first.is_scalar and first.is_integer:
            shape = _varargs_shape(ev, call)
            return _sized(shape, dtype, "constructor", call) if shape is not None else None
        if len(positional) != 1 or first.shape is None:
            return None
        return Value(first.shape, dtype, _as_dtype(first.elements, dtype), "literal", call)
    return handler


def _scalar_type(dtype: str) -> Handler:
    """``np.float32(1.0)``, ``np.int64([1, 2])``: the data converted to that dtype."""
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        data = ev.sub(args.value("value"))
        if data is None or data.shape is None:
            return None
        return Value(data.shape, dtype, _as_dtype(data.elements, dtype), "literal", call)
    return handler


def _varargs_shape(ev: "_Evaluator", call: cst.Call) -> tuple | None:
    """``torch.zeros(2, 3)`` / ``np.random.rand(2, 3)`` / ``x.view(2, -1)``: the shape spelled as several
    positional integers (names bound to integers included)."""
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return None
    dims = []
    for argument in positional:
        value = ev.sub(argument.value)
        if value is None or not value.is_scalar or not value.is_integer:
            return None
        dim = _int(value)
        if dim is None or dim < -1:
            return None
        dims.append(dim)
    return tuple(dims)


def _shape_argument(ev: "_Evaluator", call: cst.Call, args: Binding, varargs: bool = False) -> tuple | None:
    if varargs:
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) > 1:
            return _varargs_shape(ev, call)
        if len(positional) == 1:
            single = ev.sub(positional[0].value)
            if single is not None and single.is_scalar:
                return _shape_from(single)
    return _shape_from(ev.sub(args.value("shape")))


def _filled(fill: float | None, varargs: bool = False) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        shape = _shape_argument(ev, call, args, varargs)
        if shape is None or -1 in shape:
            return None
        dtype = _dtype_argument(ev, args, framework, _DEFAULTS.get(framework, (None, None))[1])
        return _sized(shape, dtype, "constructor", call, fill)
    return handler


def _fill(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    shape = _shape_from(ev.sub(args.value("shape")))
    fill = ev.sub(args.value("value"))
    if shape is None or -1 in shape or fill is None or fill.scalar is None:
        return None
    dtype = _dtype_argument(ev, args, framework, _literal_dtype(fill, framework))
    return _sized(shape, dtype, "constructor", call, fill.scalar)


def _like(fill: float | None) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        model = ev.sub(args.value("input"))
        if model is None or model.shape is None:
            return None
        dtype = _dtype_argument(ev, args, framework, _literal_dtype(model, framework))
        return _sized(model.shape, dtype, "constructor", call, fill)
    return handler


def _random(integer: bool, varargs: bool = False) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        shape = _shape_argument(ev, call, args, varargs)
        if shape is None or -1 in shape:
            return None
        ints, floats = _DEFAULTS.get(framework, (None, None))
        dtype = _dtype_argument(ev, args, framework, ints if integer else floats)
        return _sized(shape, dtype, "randint" if integer else "random", call)
    return handler


def _torch_randint(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    """``torch.randint(high, size)`` or ``torch.randint(low, high, size)``: the size is the last positional."""
    positional = [a for a in call.args if a.keyword is None]
    size = next((a for a in call.args if a.keyword is not None and a.keyword.value == "size"), None)
    node = size.value if size is not None else (positional[-1].value if len(positional) in (2, 3) else None)
    if node is None or any(a.star for a in call.args):
        return None
    shape = _shape_from(ev.sub(node))
    if shape is None or -1 in shape:
        return None
    return _sized(shape, _dtype_argument(ev, args, framework, "int64"), "randint", call)


def _reshape(varargs: bool = False) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        tensor = ev.sub(args.value("input"))
        if tensor is None or tensor.shape is None:
            return None
        shape = _varargs_shape(ev, call) if varargs else _shape_from(ev.sub(args.value("shape")))
        if shape is None or shape.count(-1) > 1:
            return None
        if -1 in shape:
            if not all(isinstance(d, int) for d in tensor.shape):
                return None
            known = math.prod(d for d in shape if d != -1)
            total = math.prod(tensor.shape)
            if known == 0 or total % known:
                return None
            shape = tuple(total // known if d == -1 else d for d in shape)
        elif all(isinstance(d, int) for d in tensor.shape) and math.prod(shape) != math.prod(tensor.shape):
            return None  # raises at run time; not ours to describe
        return Value(shape, tensor.dtype, tensor.elements, tensor.source, call)
    return handler


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
        if args.open or any(d is None for d in tensor.shape):
            return None
        shape = tuple(d for d in tensor.shape if d != 1)
    else:
        axis = _int(ev.sub(args.value("axis")))
        if axis is None or not -len(tensor.shape) <= axis < len(tensor.shape):
            return None
        axis %= len(tensor.shape)
        if tensor.shape[axis] != 1:
            # torch leaves a dimension that is not 1 alone; TF and NumPy raise
            return Value(tensor.shape, tensor.dtype, tensor.elements, tensor.source, call) if (
                framework == "torch" and tensor.shape[axis] is not None) else None
        shape = tensor.shape[:axis] + tensor.shape[axis + 1:]
    return Value(shape, tensor.dtype, tensor.elements, tensor.source, call)


def _one_hot(default_dtype: str) -> Handler:
    def handler(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
        indices = ev.sub(args.value("input"))
        depth = _int(ev.sub(args.value("depth")))
        on = ev.sub(args.value("on_value")) if args.get("on_value") is not None else None
        off = ev.sub(args.value("off_value")) if args.get("off_value") is not None else None
        # tf.one_hot takes its dtype from on_value/off_value when dtype= is absent (on_value=1 gives int32)
        default = default_dtype
        given = [v for v in (on, off) if v is not None]
        if len(given) != sum(args.get(p) is not None for p in ("on_value", "off_value")):
            default = None
        elif given:
            default = _literal_dtype(given[0], framework)
        dtype = _dtype_argument(ev, args, framework, default)
        axis = _int(ev.sub(args.value("axis"))) if args.get("axis") is not None else -1
        if depth is None or depth <= 0 or indices is None or indices.shape is None or axis is None:
            return Value(None, dtype, None, "one_hot", call)
        rank = len(indices.shape) + 1
        if not -rank <= axis < rank:
            return Value(None, dtype, None, "one_hot", call)
        axis %= rank
        shape = (*indices.shape[:axis], depth, *indices.shape[axis:])
        elements = None
        on_scalar = 1.0 if on is None else on.scalar
        off_scalar = 0.0 if off is None else off.scalar
        if (axis == rank - 1 and indices.elements is not None and on_scalar is not None and off_scalar is not None
                and len(indices.elements) * depth <= MAX_ELEMENTS):
            elements = tuple(on_scalar if i == k else off_scalar for i in indices.elements for k in range(depth))
        return Value(shape, dtype, elements, "one_hot", call)
    return handler


def _cast(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    dtype_node = args.value("dtype")
    dtype = _resolve_dtype(ev, dtype_node, framework) if dtype_node is not None else None
    if tensor is None:
        # the dtype of a cast is known even when what is cast is not
        return Value(None, dtype, None, "cast", call) if dtype is not None else None
    return Value(tensor.shape, dtype, _as_dtype(tensor.elements, dtype) if dtype else None, tensor.source, call)


def _reduced_shape(ev: "_Evaluator", tensor: Value, args: Binding) -> tuple | None:
    keep = ev.sub(args.value("keepdims")) if args.get("keepdims") is not None else None
    if args.get("keepdims") is not None and (keep is None or keep.scalar is None):
        return None
    keepdims = bool(keep.scalar) if keep is not None else False
    if args.get("axis") is None:
        if args.open:
            return None
        return tuple(1 for _ in tensor.shape) if keepdims else ()  # type: ignore[union-attr]
    axis = _int(ev.sub(args.value("axis")))
    shape = tensor.shape
    if axis is None or shape is None or not -len(shape) <= axis < len(shape):
        return None
    axis %= len(shape)
    return shape[:axis] + ((1,) if keepdims else ()) + shape[axis + 1:]


def _reduce(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    tensor = ev.sub(args.value("input"))
    if tensor is None or tensor.shape is None:
        return None
    shape = _reduced_shape(ev, tensor, args)
    if shape is None:
        return None
    dtype = tensor.dtype
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
    if framework in ("numpy", "jax") and "mean" in name and tensor.is_integer:
        dtype = _DEFAULTS[framework][1]  # NumPy's mean of integers is a float
    elif framework in ("numpy", "torch") and "sum" in name and dtype == "bool":
        dtype = "int64"
    if args.get("dtype") is not None:
        dtype = _resolve_dtype(ev, args.value("dtype"), framework)  # type: ignore[arg-type]
    return Value(shape, dtype, None, "reduction", call)


def _argmax(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    """``tf.argmax(x, axis)`` & co.: class ids, int64 (int32 in JAX; ``output_type=`` in TF)."""
    tensor = ev.sub(args.value("input"))
    default = "int32" if framework == "jax" else "int64"
    dtype = _dtype_argument(ev, args, framework, default, parameter="output_type")
    if tensor is None or tensor.shape is None:
        return Value(None, dtype, None, "argmax", call)
    if args.get("axis") is None and framework in ("numpy", "torch", "jax"):
        return Value((), dtype, None, "argmax", call)  # over the flattened tensor
    if args.get("axis") is None:  # TF: axis defaults to 0
        args = Binding({**args.arguments, "axis": cst.Arg(cst.Integer("0"))}, (), args.open)
    shape = _reduced_shape(ev, tensor, args)
    return Value(shape, dtype, None, "argmax", call)


def _keras_input(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    """``keras.Input(shape=(16,), batch_size=None)``: the symbolic batch dimension is unknown."""
    dtype = _dtype_argument(ev, args, "tensorflow", "float32")
    if args.get("shape") is None:
        return Value(None, dtype, None, "Input", call)
    shape_value = ev.sub(args.value("shape"))
    if shape_value is None or shape_value.elements is None or shape_value.rank not in (0, 1):
        # `shape=(None, 3)` has unknown entries: keep what we know of the rank
        return _shape_with_unknowns(ev, args.value("shape"), dtype, call)
    inner = _shape_from(shape_value) if shape_value.shape != (0,) else ()
    if inner is None:
        return Value(None, dtype, None, "Input", call)
    batch = _int(ev.sub(args.value("batch_size"))) if args.get("batch_size") is not None else None
    return Value((batch, *inner), dtype, None, "Input", call)


def _shape_with_unknowns(ev: "_Evaluator", node: cst.BaseExpression | None, dtype: str | None,
                         call: cst.Call, batch: bool = True) -> Value:
    """A shape literal whose entries may be ``None``: ``(None, 3)``."""
    if not isinstance(node, (cst.Tuple, cst.List)) or any(isinstance(e, cst.StarredElement) for e in node.elements):
        return Value(None, dtype, None, "Input" if batch else "placeholder", call)
    dims: list[int | None] = []
    for element in node.elements:
        if isinstance(element.value, cst.Name) and element.value.value == "None":
            dims.append(None)
            continue
        dim = _int(ev.sub(element.value))
        if dim is None or dim < 0:
            return Value(None, dtype, None, "Input" if batch else "placeholder", call)
        dims.append(dim)
    return Value((None, *dims) if batch else tuple(dims), dtype, None, "Input" if batch else "placeholder", call)


def _placeholder(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    """``tf.compat.v1.placeholder(tf.float32, shape=[None, 3])``: declared dtype and (partial) shape."""
    dtype = _dtype_argument(ev, args, "tensorflow", None)
    node = args.value("shape")
    if node is None or (isinstance(node, cst.Name) and node.value == "None"):
        return Value(None, dtype, None, "placeholder", call)
    return _shape_with_unknowns(ev, node, dtype, call, batch=False)


def _dense_function(ev: "_Evaluator", call: cst.Call, args: Binding, framework: str) -> Value | None:
    """``tf.compat.v1.layers.dense(inputs, units)``: the TF1 functional dense layer."""
    inputs = ev.sub(args.value("input"))
    units = _int(ev.sub(args.value("units")))
    if inputs is None or inputs.shape is None or not inputs.shape or units is None or units <= 0:
        return None
    return Value((*inputs.shape[:-1], units), inputs.dtype if inputs.is_float else "float32", None, "Dense", call)


_LITERAL = Signature(("value", "dtype", "shape"))
_SHAPED = Signature(("shape", "dtype"))
_SHAPED_KW = Signature(("shape",), keyword_only=("dtype",))  # torch: sizes are *args, dtype keyword-only
_TABLE: dict[str, tuple[Handler, Signature]] = {}


def _register(names: tuple[str, ...], handler: Handler, signature: Signature) -> None:
    for name in names:
        _TABLE[name] = (handler, signature)


_register(("tensorflow.constant", "tensorflow.convert_to_tensor", "numpy.array", "numpy.asarray", "torch.tensor",
           "torch.as_tensor", "jax.numpy.array", "jax.numpy.asarray", "tensorflow.compat.v1.constant",
           "keras.ops.convert_to_tensor"), _literal, _LITERAL)
_register(("tensorflow.Variable",), _literal,
          Signature(("value", "trainable", "validate_shape", "caching_device", "name", "variable_def", "dtype")))
_register(("torch.Tensor", "torch.FloatTensor"), _legacy_tensor("float32"), Signature(("value",)))
_register(("torch.LongTensor",), _legacy_tensor("int64"), Signature(("value",)))
_register(("torch.IntTensor",), _legacy_tensor("int32"), Signature(("value",)))
_register(("torch.DoubleTensor",), _legacy_tensor("float64"), Signature(("value",)))
_register(("torch.BoolTensor",), _legacy_tensor("bool"), Signature(("value",)))
for _dtype in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"):
    _register((f"numpy.{_dtype}", f"jax.numpy.{_dtype}"), _scalar_type(_dtype), Signature(("value",)))
_register(("tensorflow.zeros", "numpy.zeros", "jax.numpy.zeros", "numpy.empty", "jax.numpy.empty"),
          _filled(0.0), _SHAPED)
_register(("torch.zeros", "torch.empty"), _filled(0.0, varargs=True), _SHAPED_KW)
_register(("tensorflow.ones", "numpy.ones", "jax.numpy.ones"), _filled(1.0), _SHAPED)
_register(("torch.ones",), _filled(1.0, varargs=True), _SHAPED_KW)
_register(("tensorflow.fill", "numpy.full", "torch.full", "jax.numpy.full"), _fill,
          Signature(("shape", "value", "dtype")))
_register(("tensorflow.zeros_like", "numpy.zeros_like", "torch.zeros_like", "jax.numpy.zeros_like"),
          _like(0.0), Signature(("input", "dtype")))
_register(("tensorflow.ones_like", "numpy.ones_like", "torch.ones_like", "jax.numpy.ones_like"),
          _like(1.0), Signature(("input", "dtype")))
_register(("torch.rand_like", "torch.randn_like"), _like(None), Signature(("input", "dtype")))
_register(("tensorflow.random.normal", "tensorflow.random.uniform", "tensorflow.random.truncated_normal"),
          _random(False), Signature(("shape", "mean_or_min", "stddev_or_max", "dtype")))
_register(("torch.rand", "torch.randn"), _random(False, varargs=True), _SHAPED_KW)
_register(("numpy.random.rand", "numpy.random.randn"), _random(False, varargs=True), Signature(("shape",)))
_register(("numpy.random.random", "numpy.random.random_sample"), _random(False), Signature(("shape",)))
_register(("numpy.random.normal", "numpy.random.uniform"), _random(False),
          Signature(("mean_or_min", "stddev_or_max", "shape")))
_register(("numpy.random.randint",), _random(True), Signature(("low", "high", "shape", "dtype")))
_register(("torch.randint",), _torch_randint, Signature((), keyword_only=("low", "high", "shape", "dtype")))
_register(("jax.random.normal", "jax.random.uniform"), _random(False), Signature(("key", "shape", "dtype")))
_register(("jax.random.randint",), _random(True), Signature(("key", "shape", "minval", "maxval", "dtype")))
_register(("tensorflow.reshape", "numpy.reshape", "torch.reshape", "jax.numpy.reshape", "keras.ops.reshape"),
          _reshape(), Signature(("input", "shape")))
_register(("tensorflow.expand_dims", "numpy.expand_dims", "torch.unsqueeze", "jax.numpy.expand_dims",
           "keras.ops.expand_dims"), _expand_dims, Signature(("input", "axis")))
_register(("tensorflow.squeeze", "numpy.squeeze", "torch.squeeze", "jax.numpy.squeeze", "keras.ops.squeeze"),
          _squeeze, Signature(("input", "axis")))
_register(("tensorflow.one_hot",), _one_hot("float32"),
          Signature(("input", "depth", "on_value", "off_value", "axis", "dtype")))
_register(("torch.nn.functional.one_hot",), _one_hot("int64"), Signature(("input", "depth")))
_register(("jax.nn.one_hot",), _one_hot("float32"), Signature(("input", "depth", "dtype", "axis")))
_register(("keras.utils.to_categorical",), _one_hot("float32"), Signature(("input", "depth")))
_register(("keras.ops.one_hot",), _one_hot("float32"), Signature(("input", "depth", "axis", "dtype")))
_register(("tensorflow.cast", "tensorflow.dtypes.cast", "keras.ops.cast"), _cast, Signature(("input", "dtype")))
_register(tuple(f"{lib}.{op}" for lib in ("tensorflow", "tensorflow.math") for op in
                ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min")),
          _reduce, Signature(("input", "axis", "keepdims")))
_register(tuple(f"{lib}.{op}" for lib in ("numpy", "jax.numpy") for op in ("sum", "mean", "max", "min")),
          _reduce, Signature(("input", "axis", "dtype", "out", "keepdims")))
_register(tuple(f"torch.{op}" for op in ("sum", "mean")), _reduce, Signature(("input", "axis", "keepdims", "dtype")))
_register(("tensorflow.argmax", "tensorflow.math.argmax", "tensorflow.argmin", "tensorflow.math.argmin"), _argmax,
          Signature(("input", "axis", "output_type")))
_register(("numpy.argmax", "numpy.argmin", "jax.numpy.argmax", "jax.numpy.argmin"), _argmax,
          Signature(("input", "axis", "out"), keyword_only=("keepdims",)))
_register(("torch.argmax", "torch.argmin"), _argmax, Signature(("input", "axis", "keepdims")))
_register(("keras.Input", "keras.layers.Input"), _keras_input,
          Signature(("shape", "batch_size", "dtype", "sparse", "batch_shape", "name", "tensor")))
_register(("tensorflow.compat.v1.layers.dense", "tensorflow.layers.dense"), _dense_function,
          Signature(("input", "units", "activation", "use_bias")))
_register(("tensorflow.compat.v1.placeholder", "tensorflow.placeholder"), _placeholder,
          Signature(("dtype", "shape", "name")))

# Keyword spellings per framework that mean the same parameter.
_KEYWORD_ALIASES = {"dim": "axis", "keepdim": "keepdims", "size": "shape", "dims": "shape", "newshape": "shape",
                    "num_classes": "depth", "data": "value", "initial_value": "value", "object": "value",
                    "a": "input", "x": "input", "tensor": "input", "indices": "input", "fill_value": "value",
                    "minval": "mean_or_min", "maxval": "stddev_or_max", "loc": "mean_or_min",
                    "scale": "stddev_or_max", "low": "mean_or_min", "high": "stddev_or_max", "inputs": "input",
                    "input_tensor": "input"}

# Tensor methods: x.float(), x.long() …
_METHOD_CASTS = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                 "bool": "bool", "bfloat16": "bfloat16", "short": "int16"}
# Methods that return the same tensor (values, shape and dtype) on another device or detached.
_IDENTITY_METHODS = frozenset({"cuda", "cpu", "detach", "contiguous", "clone", "numpy", "requires_grad_"})


def _normalised_binding(call: cst.Call, signature: Signature) -> Binding:
    names = signature.names
    renamed = call.with_changes(args=[
        a.with_changes(keyword=a.keyword.with_changes(value=_KEYWORD_ALIASES.get(a.keyword.value, a.keyword.value)))
        if a.keyword is not None and a.keyword.value not in names else a
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
    names = module.qualified_names(func)
    for name in sorted(names):
        entry = _TABLE.get(name)
        if entry is not None:
            handler, signature = entry
            return handler(ev, call, _normalised_binding(call, signature), _framework(name))
    if names:
        return _function_result(ev, call)  # a function of another module of the project
    if isinstance(func, cst.Attribute):
        return _method(ev, call, func) or _function_result(ev, call)
    if isinstance(func, cst.Call):
        return _layer_output(ev, call, func)
    if isinstance(func, cst.Name):
        layer = _bound_layer(ev, func)
        if layer is not None:
            return _layer_output(ev, call, layer)
        return _function_result(ev, call)
    return None


def _function_result(ev: "_Evaluator", call: cst.Call) -> Value | None:
    """What a function of the project returns, when every ``return`` folds to the same static value — read
    in the function's own module, its parameters being what this call passes (``reach.CallFrame``), so
    ``def weight(scale): return torch.tensor([scale])`` called as ``weight(-2.0)`` folds to ``[-2.0]``."""
    from wce_lint.analysis.callees import callee_of, small_module_function
    from wce_lint.analysis.reach import MAX_FRAMES, CallFrame
    from wce_lint.analysis.values import static_value

    callee = callee_of(ev.module, call, ev.at, ev.depth) or small_module_function(ev.module, call)
    if callee is None:
        return None
    home, function, method = callee
    if not function.returns or (ev.frame is not None and ev.frame.depth >= MAX_FRAMES):
        return None
    frame = CallFrame(function.node, call, ev.module, ev.at, method, ev.frame)
    values = [static_value(home, value, statement, ev.depth + 1, frame) for value, statement in function.returns]
    first = values[0]
    if first is None or any(v is None or (v.shape, v.dtype, v.elements) != (first.shape, first.dtype, first.elements)
                            for v in values[1:]):
        return None
    return replace(first, node=call)  # reported where it is used: the return may be in another file


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
    return _cast_to(value, PY_FLOAT, call) if value is not None and value.is_scalar else None


def _cast_to(value: Value | None, dtype: str | None, node: cst.CSTNode) -> Value | None:
    if value is None:
        # `y.float()`, `y.astype(np.int64)`: the dtype is known even when y is not
        return Value(None, dtype, None, "cast", node) if dtype is not None and dtype not in (PY_FLOAT, PY_INT) else None
    elements = _as_dtype(value.elements, dtype) if dtype is not None else None
    return Value(value.shape, dtype, elements, value.source, node)


_METHODS: dict[str, tuple[Handler, Signature]] = {
    "reshape": (_reshape(varargs=True), Signature(("input", "shape"))),
    "view": (_reshape(varargs=True), Signature(("input", "shape"))),
    "unsqueeze": (_expand_dims, Signature(("input", "axis"))),
    "squeeze": (_squeeze, Signature(("input", "axis"))),
    "sum": (_reduce, Signature(("input", "axis", "keepdims"))),
    "mean": (_reduce, Signature(("input", "axis", "keepdims"))),
    "argmax": (_argmax, Signature(("input", "axis", "keepdims"))),
}


def _method(ev: "_Evaluator", call: cst.Call, func: cst.Attribute) -> Value | None:
    method = func.attr.value
    receiver = func.value
    if method in _METHOD_CASTS and not call.args:
        return _cast_to(ev.sub(receiver), _METHOD_CASTS[method], call)
    if method in _IDENTITY_METHODS and not call.args:
        value = ev.sub(receiver)
        return Value(value.shape, value.dtype, value.elements, value.source, call) if value is not None else None
    if method in ("astype", "type") and call.args:
        dtype = _resolve_dtype(ev, call.args[0].value, "numpy" if method == "astype" else "torch")
        return _cast_to(ev.sub(receiver), dtype, call)
    if method == "to":
        return _to(ev, call, receiver)
    if method not in _METHODS:
        return None
    handler, signature = _METHODS[method]
    as_function = call.with_changes(args=[cst.Arg(receiver), *call.args])
    binding = _normalised_binding(as_function, signature)
    if method in ("reshape", "view"):
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) == 1:
            single = ev.sub(positional[0].value)
            if single is not None and not single.is_scalar:
                return _reshape()(ev, call, binding, "torch")  # x.reshape((2, 3))
    # The receiver is argument 0 of the synthetic call; `call` keeps the real positional shape for varargs.
    return handler(ev, call, binding, "torch")


def _to(ev: "_Evaluator", call: cst.Call, receiver: cst.BaseExpression) -> Value | None:
    """``x.to(torch.float32)`` casts; ``x.to(device)`` keeps everything; ``x.to(other)`` takes other's dtype
    (unknown to us unless it is a known dtype): the shape survives all three."""
    value = ev.sub(receiver)
    if value is None:
        return None
    dtype_node = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "dtype"), None)
    positional = [a.value for a in call.args if a.keyword is None]
    candidates = [dtype_node] if dtype_node is not None else positional
    for node in candidates:
        dtype = _resolve_dtype(ev, node, "torch")
        if dtype is not None:
            return _cast_to(value, dtype, call)
    if dtype_node is None and all(_is_device(ev, node) for node in positional):
        return Value(value.shape, value.dtype, value.elements, value.source, call)
    return Value(value.shape, None, None, value.source, call)


def _is_device(ev: "_Evaluator", node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return True
    if isinstance(node, cst.Call):
        return "torch.device" in ev.module.qualified_names(node.func)
    if isinstance(node, cst.Name):
        from wce_lint.analysis.reach import possible_values

        bounds = possible_values(ev.module, node, ev.at, ev.frame)
        return bool(bounds) and all(b.home is ev.module and _is_device(ev, b.value) for b in bounds)
    return False


_LAYERS = {"keras.layers.Dense": "units", "torch.nn.Linear": "out_features", "torch.nn.LazyLinear": "out_features"}
_LAYER_SIGNATURES = {"units": Signature(("units",)), "out_features": Signature(("in_features", "out_features"))}


def _bound_layer(ev: "_Evaluator", name: cst.Name) -> cst.Call | None:
    """``head = layers.Dense(4)`` … ``head(x)``: the layer construction a name is bound to."""
    from wce_lint.analysis.reach import bound_value

    bound = bound_value(ev.module, name, ev.at)
    value = bound.value if bound is not None else None
    if isinstance(value, cst.Call) and ev.module.qualified_names(value.func) & _LAYERS.keys():
        return value
    return None


def _layer_output(ev: "_Evaluator", call: cst.Call, layer: cst.Call) -> Value | None:
    """``Dense(units)(x)`` / ``nn.Linear(i, o)(x)``: the output keeps x's leading dimensions and ends in
    ``units``."""
    kinds = ev.module.qualified_names(layer.func) & _LAYERS.keys()
    if not kinds or len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    kind = sorted(kinds)[0]
    parameter = _LAYERS[kind]
    # LazyLinear(out_features) takes only the output size
    signature = Signature(("out_features",)) if kind.endswith("LazyLinear") else _LAYER_SIGNATURES[parameter]
    units = _int(ev.sub(bind(signature, layer).value(parameter)))
    inputs = ev.sub(call.args[0].value)
    if units is None or inputs is None or inputs.shape is None or not inputs.shape:
        return None
    dtype = "float32"
    for argument in layer.args:
        if argument.keyword is not None and argument.keyword.value == "dtype":
            dtype = _resolve_dtype(ev, argument.value, "torch" if kind.startswith("torch") else "tensorflow")
    return Value((*inputs.shape[:-1], units), dtype, None, "Dense" if "Dense" in kind else "Linear", call)
