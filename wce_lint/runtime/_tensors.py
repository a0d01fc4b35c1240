"""One view of whatever the user passed as labels, logits or a weight.

The runtime checker accepts ``tf.Tensor`` (eager or graph), ``tf.Variable``, Keras symbolic tensors,
NumPy arrays, Python lists and scalars. ``TensorView`` reduces them to what a check can use: the static
shape and dtype, the concrete values when they exist (eagerly, or a graph constant that folds), and — for
graph tensors — the op that produced the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Ops that change neither the values' meaning nor their range: a Sigmoid output reshaped, squeezed or cast
# is still a probability (the spec's list).
_PASS_THROUGH_OPS = frozenset({"Identity", "Reshape", "Squeeze", "ExpandDims", "Cast"})
_ACTIVATION_OPS = frozenset({"Sigmoid", "Softmax"})
_ONE_HOT_OPS = frozenset({"OneHot"})


def tensorflow() -> Any:
    """TensorFlow, imported on first use (the CLI and ``import wce_lint`` never pay for it)."""
    import tensorflow as tf

    return tf


@dataclass
class TensorView:
    argument: str
    # None: unknown rank; a None dimension: unknown size (graph tensors).
    shape: tuple[int | None, ...] | None
    dtype: str | None
    # Concrete values: eager tensors, variables outside tf.function, NumPy/Python data, graph constants.
    values: np.ndarray | None
    symbolic: bool
    # The original object, kept for graph-mode assertions.
    tensor: Any = None
    # Graph tensors: the Sigmoid/Softmax op reached through pass-through ops, as "Sigmoid (name)".
    activation_op: str | None = None
    activation_kind: str | None = None  # "sigmoid" / "softmax"
    # Keras marks the outputs of its sigmoid/softmax with ``_keras_logits`` (keras/src/backend/tensorflow/
    # nn.py), eagerly and in graphs: certain evidence that the tensor holds probabilities.
    keras_activation: bool = False
    # Graph tensors: the size of the axis the Softmax op normalised (its input's last axis), when static;
    # 1 means the output is exactly 1.0 everywhere (WCE306).
    softmax_axis_size: int | None = None
    # Graph tensors made by a OneHot op (through pass-through ops): one-hot labels (WCE305).
    one_hot_op: bool = False

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def is_integer(self) -> bool:
        return self.dtype is not None and (self.dtype.startswith(("int", "uint")) or self.dtype == "bool")

    @property
    def is_float(self) -> bool:
        return self.dtype is not None and ("float" in self.dtype)

    def finite_values(self) -> np.ndarray | None:
        if self.values is None:
            return None
        values = self.values
        if values.dtype.kind in "fc":
            return values[np.isfinite(values)]
        return values


def format_shape(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "<unknown rank>"
    inner = ", ".join("None" if dim is None else str(dim) for dim in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def range_text(values: np.ndarray) -> str:
    low, high = values.min(), values.max()
    return number_text(low) if low == high else f"min {number_text(low)}, max {number_text(high)}"


def number_text(value: Any) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"


def _python_dtype(array: np.ndarray) -> str:
    # tf.convert_to_tensor turns Python floats into float32 and ints into int32, unlike NumPy's 64-bit
    # defaults; a list of ints passed as labels therefore reaches the op as int32 (and fails there).
    kind = array.dtype.kind
    if kind == "f":
        return "float32"
    if kind in "iu":
        return "int32"
    if kind == "b":
        return "bool"
    return array.dtype.name


def _tensor_shape(shape: Any) -> tuple[int | None, ...] | None:
    try:
        if getattr(shape, "rank", 0) is None:  # tf.TensorShape of unknown rank
            return None
        dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    except (TypeError, ValueError):
        return None
    return tuple(None if dim is None else int(dim) for dim in dims)


def _dtype_name(dtype: Any) -> str | None:
    if dtype is None:
        return None
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def _producer(tensor: Any, types: frozenset[str]) -> Any:
    """The op of one of ``types`` behind a graph tensor, looking through reshapes and casts."""
    seen = 0
    while seen < 64:  # a bound, not a limit anyone reaches: graphs can be cyclic through while loops
        op = getattr(tensor, "op", None)
        if op is None:
            return None
        if op.type in types:
            return op
        if op.type not in _PASS_THROUGH_OPS or not op.inputs:
            return None
        tensor = op.inputs[0]
        seen += 1
    return None


def _softmax_axis_size(op: Any) -> int | None:
    if op is None or op.type != "Softmax" or not op.inputs:
        return None
    shape = _tensor_shape(op.inputs[0].shape)
    return shape[-1] if shape else None


def view(value: Any, argument: str) -> TensorView | None:
    """Describe ``value``; ``None`` stays ``None`` (an omitted optional argument)."""
    if value is None:
        return None
    tf = tensorflow()
    if isinstance(value, tf.Variable):
        shape, dtype = _tensor_shape(value.shape), value.dtype.name
        if tf.executing_eagerly():
            return TensorView(argument, shape, dtype, np.asarray(value.numpy()), False, value)
        # Inside tf.function a variable's value at trace time is not its value when the graph runs.
        return TensorView(argument, shape, dtype, None, True, value)
    if isinstance(value, tf.Tensor):
        shape, dtype = _tensor_shape(value.shape), value.dtype.name
        keras_activation = hasattr(value, "_keras_logits")
        if isinstance(value, tf.__internal__.EagerTensor):
            return TensorView(argument, shape, dtype, np.asarray(value.numpy()), False, value,
                              keras_activation=keras_activation)
        try:
            # Folds tf.constant and converted NumPy/Python data; anything computed at run time is None.
            static = tf.get_static_value(value)
        except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - defensive
            static = None
        producer = _producer(value, _ACTIVATION_OPS)
        return TensorView(
            argument, shape, dtype, None if static is None else np.asarray(static), True, value,
            activation_op=None if producer is None else f"{producer.type} op `{producer.name}`",
            activation_kind=None if producer is None else producer.type.lower(),
            keras_activation=keras_activation,
            softmax_axis_size=_softmax_axis_size(producer),
            one_hot_op=_producer(value, _ONE_HOT_OPS) is not None,
        )
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        return TensorView(argument, tuple(array.shape), array.dtype.name, array, False, value)
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (list, tuple)):
        # Keras symbolic tensors (KerasTensor) and other array-likes without values.
        to_numpy = getattr(value, "numpy", None)
        values = None
        if callable(to_numpy):
            try:
                values = np.asarray(to_numpy())
            except Exception:  # noqa: BLE001 - a symbolic object refusing .numpy() just has no values
                values = None
            if values is not None and values.dtype == object:  # ragged rows: no rectangular values
                values = None
        return TensorView(argument, _tensor_shape(value.shape), _dtype_name(value.dtype), values,
                          values is None, value, keras_activation=hasattr(value, "_keras_logits"))
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return TensorView(argument, None, None, None, False, value)
    if array.dtype == object:  # ragged nested lists: TensorFlow rejects them with its own error
        return TensorView(argument, None, None, None, False, value)
    return TensorView(argument, tuple(array.shape), _python_dtype(array), array, False, value)
