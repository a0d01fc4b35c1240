"""Run a user's loss function in the framework it is written in: TensorFlow, JAX or NumPy.

``compare_to_reference`` always computes the expected values with TensorFlow; the user's function runs on
inputs converted to its own framework's arrays (of the case's dtype):

* TensorFlow: eager ``tf.Tensor``s; the gradient w.r.t. the second argument by ``tf.GradientTape``;
* JAX: ``jax.numpy`` arrays; the gradient by ``jax.vjp`` (= ``jax.grad`` of the summed loss, as
  ``tape.gradient`` of a non-scalar loss is); float64 cases run under ``jax.enable_x64()``;
* NumPy: ``numpy`` arrays; values only — NumPy has no autodiff, and finite differences cannot reach the
  float64 tolerances, so gradients are not checked (the report says so).

Which framework a function uses is read from the names its code refers to (globals and closure variables,
also inside helper functions of the same module): TensorFlow or Keras first, then JAX, then NumPy;
TensorFlow when nothing tells. Nothing is imported to find out, and JAX is imported only to run a JAX
function.
"""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any, Callable, Literal

import numpy as np

from wce_lint.runtime._tensors import tensorflow

Framework = Literal["tensorflow", "jax", "numpy"]
FRAMEWORKS: tuple[str, ...] = ("tensorflow", "jax", "numpy")
_ROOTS = {"tensorflow": "tensorflow", "keras": "tensorflow", "tf_keras": "tensorflow", "jax": "jax",
          "jaxlib": "jax", "optax": "jax", "flax": "jax", "numpy": "numpy", "scipy": "numpy"}


class NoGradient(Exception):
    """The loss gave no gradient w.r.t. its predictions (it left the framework's autodiff)."""


def _root_of(value: Any) -> str | None:
    """The framework a module, function, class or array belongs to (by its module's top-level name)."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
    elif isinstance(value, type) or callable(value):
        module = getattr(value, "__module__", None) or type(value).__module__
    else:  # a constant: a NumPy array, a jax.Array, a tf.Tensor
        module = type(value).__module__
    return _ROOTS.get(str(module).split(".", 1)[0])


def _unwrap(fn: Any) -> Any:
    for _ in range(16):
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif inspect.ismethod(fn):
            fn = fn.__func__
        elif getattr(fn, "__wrapped__", None) is not None:
            fn = fn.__wrapped__
        else:
            break
    return fn


def _referenced_roots(fn: Any, seen: set[int], depth: int) -> set[str]:
    roots: set[str] = set()
    if id(fn) in seen or depth > 3:
        return roots
    seen.add(id(fn))
    own = _root_of(fn)  # jitted JAX functions, tf.function objects, the framework's own functions
    if own is not None and not inspect.isfunction(fn):
        return {own}
    fn = _unwrap(fn)
    if not inspect.isfunction(fn):
        call = getattr(type(fn), "__call__", None)  # a callable object: look at its __call__
        if call is None or not inspect.isfunction(call):
            return {own} if own else roots
        fn = call
    if _root_of(fn) is not None:
        return {_root_of(fn)}  # type: ignore[set-item]
    values: list[Any] = []
    codes = [fn.__code__]
    while codes:  # nested functions and lambdas inside the loss refer to names too
        code = codes.pop()
        for name in code.co_names:
            if name in fn.__globals__:
                values.append(fn.__globals__[name])
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    for cell in fn.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    for value in values:
        root = _root_of(value)
        if root is not None:
            roots.add(root)
        elif inspect.isfunction(value) or isinstance(value, functools.partial):
            roots |= _referenced_roots(value, seen, depth + 1)  # a helper of the user's own
    return roots


def detect_framework(fn: Callable[..., Any]) -> Framework:
    """The framework ``fn`` computes with (see the module docstring); never imports anything."""
    roots = _referenced_roots(fn, set(), 0)
    for framework in ("tensorflow", "jax", "numpy"):
        if framework in roots:
            return framework  # type: ignore[return-value]
    return "tensorflow"


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def run_tensorflow(fn: Callable[..., Any], labels: np.ndarray, predictions: np.ndarray, pos_weight: Any,
                   dtype: str, sparse: bool, want_gradient: bool) -> tuple[np.ndarray, np.ndarray | None]:
    tf = tensorflow()
    label_tensor = tf.constant(labels, dtype=tf.int32 if sparse else dtype)
    prediction_tensor = tf.constant(predictions, dtype=dtype)
    arguments = [label_tensor, prediction_tensor]
    if pos_weight is not None:
        arguments.append(tf.constant(pos_weight, dtype=dtype))
    with tf.GradientTape() as tape:
        tape.watch(prediction_tensor)
        output = fn(*arguments)
    gradient = None
    if want_gradient:
        raw_gradient = tape.gradient(output, prediction_tensor)
        if raw_gradient is None:
            raise NoGradient()
        gradient = _to_numpy(raw_gradient)
    return _to_numpy(output), gradient


def run_jax(fn: Callable[..., Any], labels: np.ndarray, predictions: np.ndarray, pos_weight: Any,
            dtype: str, sparse: bool, want_gradient: bool) -> tuple[np.ndarray, np.ndarray | None]:
    import jax
    import jax.numpy as jnp

    # Without x64 JAX silently computes float64 inputs in float32.
    with jax.enable_x64(dtype == "float64"):
        label_array = jnp.asarray(labels, dtype=jnp.int32 if sparse else dtype)
        prediction_array = jnp.asarray(predictions, dtype=dtype)
        extra = () if pos_weight is None else (jnp.asarray(pos_weight, dtype=dtype),)

        def loss_of(x: Any) -> Any:
            return fn(label_array, x, *extra)

        if not want_gradient:
            return _to_numpy(np.asarray(loss_of(prediction_array))), None
        output, pullback = jax.vjp(loss_of, prediction_array)
        (gradient,) = pullback(jnp.ones_like(output))
        return _to_numpy(np.asarray(output)), _to_numpy(np.asarray(gradient))


def run_numpy(fn: Callable[..., Any], labels: np.ndarray, predictions: np.ndarray, pos_weight: Any,
              dtype: str, sparse: bool, want_gradient: bool) -> tuple[np.ndarray, np.ndarray | None]:
    label_array = labels.astype(np.int32) if sparse else labels.astype(dtype)
    extra = () if pos_weight is None else (np.asarray(pos_weight).astype(dtype),)
    # log(0) and overflow warnings are the very failures the report shows; they need not print too.
    with np.errstate(all="ignore"):
        output = fn(label_array, predictions.astype(dtype), *extra)
    return _to_numpy(output), None


RUNNERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray | None]]] = {
    "tensorflow": run_tensorflow, "jax": run_jax, "numpy": run_numpy,
}
# Whether the framework gives gradients (NumPy does not).
DIFFERENTIABLE = {"tensorflow": True, "jax": True, "numpy": False}
