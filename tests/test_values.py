"""Unit tests of the static-value analysis: literal tensors, constructors, shape ops, dtypes per framework."""

from __future__ import annotations

import math

import pytest

from wce_lint.analysis.parse import parse
from wce_lint.analysis.values import Value, broadcast_shapes, static_value

PRELUDE = """\
import jax
import jax.numpy as jnp
import numpy as np
import tensorflow as tf
import torch
import torch.nn.functional as F
from tensorflow import keras
from torch import nn
"""


def value_of(expression: str, setup: str = "") -> Value | None:
    """The static value of ``expression`` read after ``setup`` (module level)."""
    source = PRELUDE + setup + ("\n" if setup and not setup.endswith("\n") else "") + f"probe = {expression}\n"
    module = parse("probe.py", source)
    statement = module.module.body[-1]
    assign = statement.body[0]  # type: ignore[attr-defined]
    return static_value(module, assign.value, module.statement_of(statement))


def shape_dtype(expression: str, setup: str = "") -> tuple:
    value = value_of(expression, setup)
    assert value is not None, f"{expression} should have a static value"
    return value.shape, value.dtype


# -- literals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression, shape, dtype, elements", [
    ("tf.constant([[1, 0], [0, 1]])", (2, 2), "int32", (1, 0, 0, 1)),
    ("tf.constant([1.0, 0.0])", (2,), "float32", (1.0, 0.0)),
    ("tf.constant(3)", (), "int32", (3,)),
    ("np.array([1, 2, 3])", (3,), "int64", (1, 2, 3)),
    ("np.array([1.0, 2])", (2,), "float64", (1.0, 2)),
    ("torch.tensor([1, 2])", (2,), "int64", (1, 2)),
    ("torch.tensor([[0.5], [1.0]])", (2, 1), "float32", (0.5, 1.0)),
    ("jnp.array([1, 2])", (2,), "int32", (1, 2)),
    ("jnp.array([1.0])", (1,), "float32", (1.0,)),
    ("[[1, 0], [0, 1]]", (2, 2), "python int", (1, 0, 0, 1)),
    ("tf.convert_to_tensor([1, 0])", (2,), "int32", (1, 0)),
    ("tf.Variable([1.0, 2.0])", (2,), "float32", (1.0, 2.0)),
    ("torch.LongTensor([1, 2])", (2,), "int64", (1, 2)),
    ("torch.FloatTensor([1, 2])", (2,), "float32", (1, 2)),
    ("np.float32(1.0)", (), "float32", (1.0,)),
])
def test_literal_tensors(expression: str, shape: tuple, dtype: str, elements: tuple) -> None:
    value = value_of(expression)
    assert value is not None
    assert (value.shape, value.dtype, value.elements) == (shape, dtype, elements)


def test_ragged_and_starred_lists_are_unknown() -> None:
    assert value_of("[[1, 0], [1]]") is None
    assert value_of("[*rows]", "rows = [1, 2]") is None


def test_tf_constant_with_shape_fills_or_reshapes() -> None:
    value = value_of("tf.constant(0.5, shape=(2, 3))")
    assert value is not None and value.shape == (2, 3) and value.elements == (0.5,) * 6
    value = value_of("tf.constant([1, 2, 3, 4], shape=(2, 2))")
    assert value is not None and value.shape == (2, 2) and value.elements == (1, 2, 3, 4)


# -- default dtypes per framework and dtype= overrides -------------------------------------------
@pytest.mark.parametrize("expression, dtype", [
    ("tf.constant([1, 0])", "int32"),
    ("tf.constant([1.0, 0.0])", "float32"),
    ("np.array([1, 0])", "int64"),
    ("np.array([1.0, 0.0])", "float64"),
    ("torch.tensor([1, 0])", "int64"),
    ("torch.tensor([1.0, 0.0])", "float32"),
    ("jnp.array([1, 0])", "int32"),
    ("jnp.array([1.0, 0.0])", "float32"),
    ("tf.constant(np.array([1, 0]))", "int64"),  # the NumPy array's dtype survives
    ("tf.constant([True, False])", "bool"),
])
def test_default_dtypes(expression: str, dtype: str) -> None:
    assert shape_dtype(expression)[1] == dtype


@pytest.mark.parametrize("expression, dtype", [
    ("tf.constant([1, 0], dtype=tf.float32)", "float32"),
    ("tf.constant([1, 0], tf.float32)", "float32"),
    ("tf.constant([1.0, 0.0], dtype=tf.int64)", "int64"),
    ("tf.constant([1, 0], dtype='float32')", "float32"),
    ("tf.constant([1, 0], dtype=float)", "float32"),  # TF maps the builtin float to float32
    ("tf.constant([1, 0], dtype=tf.double)", "float64"),
    ("np.array([1, 0], dtype=np.float32)", "float32"),
    ("np.array([1, 0], dtype=float)", "float64"),  # NumPy's float is float64
    ("np.array([1.0, 0.0], dtype=int)", "int64"),
    ("np.array([1, 0], dtype='float')", "float64"),
    ("torch.tensor([1, 0], dtype=torch.float)", "float32"),
    ("torch.tensor([1, 0], dtype=torch.long)", "int64"),
    ("torch.tensor([1, 0], dtype=torch.int)", "int32"),
    ("torch.tensor([1, 0], dtype=float)", "float64"),  # torch maps the builtin float to float64
    ("jnp.array([1, 0], dtype=jnp.float32)", "float32"),
    ("jnp.array([1, 0], dtype=float)", "float32"),
    ("tf.zeros((2, 3), dtype=tf.int32)", "int32"),
    ("tf.zeros((2, 3), tf.int64)", "int64"),
    ("np.zeros((2, 3), dtype=int)", "int64"),
    ("torch.zeros(2, 3, dtype=torch.long)", "int64"),
])
def test_dtype_overrides(expression: str, dtype: str) -> None:
    assert shape_dtype(expression)[1] == dtype


def test_dtype_through_a_name_and_from_another_value() -> None:
    assert shape_dtype("tf.constant([1, 0], dtype=wanted)", "wanted = tf.float32")[1] == "float32"
    assert shape_dtype("tf.cast([1, 0], logits.dtype)", "logits = tf.zeros((2,))")[1] == "float32"


@pytest.mark.parametrize("expression", [
    "tf.constant([1, 0], dtype=self.dtype)",  # a dtype we cannot read is unknown, never the default
    "tf.constant([1, 0], dtype=int)",  # TensorFlow rejects the builtin int
    "tf.zeros((2, 3), dtype=config.dtype)",
    "tf.constant([1, 0], **options)",  # **kwargs may carry a dtype
])
def test_unreadable_dtype_is_unknown(expression: str) -> None:
    value = value_of(expression)
    assert value is not None and value.dtype is None


# -- constructors with literal shapes ------------------------------------------------------------
@pytest.mark.parametrize("expression, shape, dtype", [
    ("tf.zeros((8, 3))", (8, 3), "float32"),
    ("tf.ones([8])", (8,), "float32"),
    ("torch.zeros(8, 3)", (8, 3), "float32"),
    ("torch.zeros((8, 3))", (8, 3), "float32"),
    ("torch.ones(8)", (8,), "float32"),
    ("np.zeros((8, 3))", (8, 3), "float64"),
    ("np.ones(4)", (4,), "float64"),
    ("jnp.zeros((8, 3))", (8, 3), "float32"),
    ("np.random.rand(8, 3)", (8, 3), "float64"),
    ("np.random.rand(8)", (8,), "float64"),
    ("np.random.random((8, 3))", (8, 3), "float64"),
    ("np.random.normal(0.0, 1.0, (8, 3))", (8, 3), "float64"),
    ("np.random.normal(size=(8, 3))", (8, 3), "float64"),
    ("np.random.randint(0, 3, size=8)", (8,), "int64"),
    ("np.random.randint(0, 3, (8, 2))", (8, 2), "int64"),
    ("torch.rand(8, 3)", (8, 3), "float32"),
    ("torch.randn(8, 3, dtype=torch.float64)", (8, 3), "float64"),
    ("torch.randint(0, 3, (8,))", (8,), "int64"),
    ("torch.randint(3, (8,))", (8,), "int64"),
    ("torch.randint(0, 2, size=(8, 3))", (8, 3), "int64"),
    ("tf.random.normal((8, 3))", (8, 3), "float32"),
    ("tf.random.uniform((8,), maxval=3, dtype=tf.int32)", (8,), "int32"),
    ("jax.random.normal(key, (8, 3))", (8, 3), "float32"),
    ("jax.random.randint(key, (8,), 0, 3)", (8,), "int32"),
    ("tf.fill([2, 3], 9)", (2, 3), "int32"),
    ("tf.fill((2, 3), 0.5)", (2, 3), "float32"),
    ("np.full((2, 3), 7)", (2, 3), "int64"),
    ("torch.full((2, 3), 7.0)", (2, 3), "float32"),
    ("tf.zeros_like(tf.ones((8, 3)))", (8, 3), "float32"),
    ("torch.ones_like(torch.zeros(8, 3, dtype=torch.long))", (8, 3), "int64"),
    ("torch.Tensor(8, 3)", (8, 3), "float32"),  # sizes, not data
    ("torch.LongTensor(8)", (8,), "int64"),
])
def test_constructors(expression: str, shape: tuple, dtype: str) -> None:
    assert shape_dtype(expression) == (shape, dtype)


def test_constructor_shapes_through_names() -> None:
    setup = "BATCH = 8\nCLASSES = 3"
    assert shape_dtype("torch.zeros(BATCH, CLASSES)", setup)[0] == (8, 3)
    assert shape_dtype("np.random.rand(BATCH, CLASSES)", setup)[0] == (8, 3)
    assert shape_dtype("tf.zeros((BATCH, CLASSES))", setup)[0] == (8, 3)


def test_filled_constructors_know_their_elements() -> None:
    value = value_of("tf.fill((2, 2), 0.25)")
    assert value is not None and value.elements == (0.25,) * 4
    value = value_of("torch.zeros(3)")
    assert value is not None and value.elements == (0.0, 0.0, 0.0)
    random = value_of("np.random.rand(3)")
    assert random is not None and random.elements is None


def test_unknown_shape_arguments() -> None:
    assert value_of("tf.zeros((batch, 3))") is None
    assert value_of("torch.zeros(n, 3)") is None
    assert value_of("tf.zeros(shape)") is None


# -- shape operations ------------------------------------------------------------------------------
@pytest.mark.parametrize("expression, shape", [
    ("tf.reshape(tf.zeros((8, 3)), [-1])", (24,)),
    ("tf.reshape(tf.zeros((8, 3)), (-1, 1))", (24, 1)),
    ("tf.reshape(tf.zeros((8, 3)), (4, -1))", (4, 6)),
    ("np.reshape(np.zeros(8), (8, 1))", (8, 1)),
    ("torch.zeros(8, 3).view(-1)", (24,)),
    ("torch.zeros(8, 3).view(2, -1)", (2, 12)),
    ("torch.zeros(8, 3).reshape((24,))", (24,)),
    ("torch.zeros(8).reshape(-1, 1)", (8, 1)),
    ("tf.expand_dims(tf.zeros(8), -1)", (8, 1)),
    ("tf.expand_dims(tf.zeros(8), axis=0)", (1, 8)),
    ("np.expand_dims(np.zeros((8, 3)), 1)", (8, 1, 3)),
    ("torch.zeros(8).unsqueeze(1)", (8, 1)),
    ("torch.unsqueeze(torch.zeros(8), dim=-1)", (8, 1)),
    ("tf.squeeze(tf.zeros((8, 1)), axis=-1)", (8,)),
    ("tf.squeeze(tf.zeros((8, 1)))", (8,)),
    ("tf.squeeze(tf.zeros((1, 8, 1)), [0])", (8, 1)),
    ("torch.zeros(8, 1).squeeze(1)", (8,)),
    ("torch.zeros(8, 1).squeeze()", (8,)),
    ("torch.zeros(8, 3).squeeze(1)", (8, 3)),  # torch leaves a dimension that is not 1 alone
    ("tf.zeros(8)[:, None]", (8, 1)),
    ("tf.zeros(8)[..., None]", (8, 1)),
    ("tf.zeros((8, 3))[None]", (1, 8, 3)),
    ("tf.zeros((8, 3))[:, 0]", (8,)),
    ("tf.zeros((8, 3))[..., -1]", (8,)),
])
def test_shape_operations(expression: str, shape: tuple) -> None:
    assert shape_dtype(expression)[0] == shape


@pytest.mark.parametrize("expression", [
    "tf.reshape(tf.zeros((8, 3)), (5, 5))",  # does not fit: raises at run time
    "tf.reshape(tf.zeros((8, 3)), (-1, -1))",
    "tf.reshape(x, (-1, 1))",  # unknown input
    "tf.squeeze(tf.zeros((8, 3)), axis=1)",  # TF raises on a dimension that is not 1
    "tf.expand_dims(tf.zeros(8), axis=k)",
    "tf.zeros((8, 3))[1:]",  # slices with bounds are not followed
    "tf.zeros((8, 3))[:, 5]",  # out of range
])
def test_shape_operations_that_stay_unknown(expression: str) -> None:
    assert value_of(expression) is None


def test_insertions_keep_elements() -> None:
    value = value_of("tf.constant([1.0, 0.0])[:, None]")
    assert value is not None and value.shape == (2, 1) and value.elements == (1.0, 0.0)
    value = value_of("tf.expand_dims(tf.constant([1.0, 0.0]), -1)")
    assert value is not None and value.elements == (1.0, 0.0)


# -- one_hot, cast, argmax, reductions -------------------------------------------------------------
def test_one_hot_with_depth() -> None:
    value = value_of("tf.one_hot([0, 2], depth=3)")
    assert value is not None
    assert (value.shape, value.dtype, value.source) == ((2, 3), "float32", "one_hot")
    assert value.elements == (1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    assert shape_dtype("tf.one_hot([0, 2], 3)") == ((2, 3), "float32")
    assert shape_dtype("F.one_hot(torch.tensor([0, 2]), num_classes=3)") == ((2, 3), "int64")
    assert shape_dtype("jax.nn.one_hot(jnp.array([0, 2]), 3)") == ((2, 3), "float32")
    assert shape_dtype("keras.utils.to_categorical([0, 2], num_classes=3)") == ((2, 3), "float32")


def test_one_hot_options() -> None:
    assert shape_dtype("tf.one_hot([0, 2], 3, axis=0)") == ((3, 2), "float32")
    assert shape_dtype("tf.one_hot([0, 2], 3, on_value=1, off_value=0)") == ((2, 3), "int32")
    assert shape_dtype("tf.one_hot([0, 2], 3, dtype=tf.int64)") == ((2, 3), "int64")
    smoothed = value_of("tf.one_hot([1], 2, on_value=0.9, off_value=0.1)")
    assert smoothed is not None and smoothed.elements == (0.1, 0.9)


def test_one_hot_of_unknown_indices_is_still_one_hot() -> None:
    value = value_of("tf.one_hot(y, 10)")
    assert value is not None and value.shape is None and value.source == "one_hot" and value.dtype == "float32"


@pytest.mark.parametrize("expression, shape, dtype", [
    ("tf.cast([1, 2], tf.float32)", (2,), "float32"),
    ("tf.cast(tf.constant([1.5, 2.0]), tf.int64)", (2,), "int64"),
    ("tf.cast(y, tf.int64)", None, "int64"),  # the dtype of a cast is known even when its input is not
    ("torch.tensor([1, 0]).float()", (2,), "float32"),
    ("torch.tensor([1.0, 0.0]).long()", (2,), "int64"),
    ("target.long()", None, "int64"),
    ("np.array([1, 0]).astype(np.float32)", (2,), "float32"),
    ("np.array([1, 0]).astype('float32')", (2,), "float32"),
    ("torch.tensor([1, 0]).to(torch.float32)", (2,), "float32"),
    ("torch.tensor([1, 0]).type(torch.float32)", (2,), "float32"),
    ("torch.tensor([1, 0]).to('cuda')", (2,), "int64"),  # a device keeps the dtype
    ("torch.tensor([1, 0]).cuda()", (2,), "int64"),
    ("torch.tensor([1, 0]).to(device, dtype=torch.float32)", (2,), "float32"),
])
def test_casts(expression: str, shape: tuple | None, dtype: str) -> None:
    assert shape_dtype(expression) == (shape, dtype)


def test_cast_to_integer_truncates_elements() -> None:
    value = value_of("tf.cast(tf.constant([1.5, -0.5]), tf.int32)")
    assert value is not None and value.elements == (1.0, 0.0)


def test_to_an_unknown_argument_keeps_the_shape_but_not_the_dtype() -> None:
    value = value_of("torch.tensor([1, 0]).to(other)")
    assert value is not None and value.shape == (2,) and value.dtype is None
    device = value_of("torch.tensor([1, 0]).to(device)", "device = torch.device('cuda')")
    assert device is not None and device.dtype == "int64"


@pytest.mark.parametrize("expression, shape, dtype", [
    ("tf.reduce_sum(tf.zeros((8, 3)), axis=-1)", (8,), "float32"),
    ("tf.reduce_mean(tf.zeros((8, 3)), axis=1, keepdims=True)", (8, 1), "float32"),
    ("tf.reduce_sum(tf.zeros((8, 3)))", (), "float32"),
    ("tf.reduce_max(tf.zeros((8, 3)), 0)", (3,), "float32"),
    ("np.sum(np.zeros((8, 3)), axis=0)", (3,), "float64"),
    ("np.mean(np.array([1, 2]))", (), "float64"),
    ("torch.sum(torch.zeros(8, 3), dim=1)", (8,), "float32"),
    ("torch.zeros(8, 3).sum(dim=1)", (8,), "float32"),
    ("torch.zeros(8, 3).mean(1, keepdim=True)", (8, 1), "float32"),
    ("tf.argmax(tf.zeros((8, 3)), axis=-1)", (8,), "int64"),
    ("tf.argmax(tf.zeros((8, 3)))", (3,), "int64"),  # TF reduces axis 0 by default
    ("tf.argmax(tf.zeros((8, 3)), -1, output_type=tf.int32)", (8,), "int32"),
    ("torch.argmax(torch.zeros(8, 3), dim=1)", (8,), "int64"),
    ("torch.zeros(8, 3).argmax(1)", (8,), "int64"),
    ("np.argmax(np.zeros((8, 3)), axis=1)", (8,), "int64"),
    ("jnp.argmax(jnp.zeros((8, 3)), axis=-1)", (8,), "int32"),
])
def test_reductions(expression: str, shape: tuple, dtype: str) -> None:
    assert shape_dtype(expression) == (shape, dtype)


def test_reduction_with_an_unknown_axis_is_unknown() -> None:
    assert value_of("tf.reduce_sum(tf.zeros((8, 3)), axis=k)") is None


def test_argmax_of_unknown_input_is_integer_class_ids() -> None:
    value = value_of("tf.argmax(probabilities, axis=-1)")
    assert value is not None and value.shape is None and value.dtype == "int64" and value.source == "argmax"


# -- layers and symbolic inputs -------------------------------------------------------------------
@pytest.mark.parametrize("setup, expression, shape", [
    ("", "keras.layers.Dense(4)(tf.zeros((8, 16)))", (8, 4)),
    ("x = tf.zeros((8, 16))", "keras.layers.Dense(units=4)(x)", (8, 4)),
    ("", "tf.keras.layers.Dense(4, activation='relu')(tf.zeros((8, 16)))", (8, 4)),
    ("head = keras.layers.Dense(3)", "head(tf.random.normal((8, 16)))", (8, 3)),
    ("", "nn.Linear(16, 4)(torch.zeros(8, 16))", (8, 4)),
    ("inputs = keras.Input(shape=(16,))\nhidden = keras.layers.Dense(64)(inputs)",
     "keras.layers.Dense(1)(hidden)", (None, 1)),
    ("", "keras.Input(shape=(16,))", (None, 16)),
    ("", "keras.Input(shape=(16,), batch_size=32)", (32, 16)),
    ("", "keras.Input(shape=(None, 16))", (None, None, 16)),
    ("", "tf.compat.v1.placeholder(tf.float32, shape=[None, 3])", (None, 3)),
    ("", "tf.compat.v1.placeholder(tf.int32, [None])", (None,)),
    ("x = tf.compat.v1.placeholder(tf.float32, [None, 20])", "tf.compat.v1.layers.dense(x, 1)", (None, 1)),
])
def test_layers_and_inputs(setup: str, expression: str, shape: tuple) -> None:
    value = value_of(expression, setup)
    assert value is not None and value.shape == shape


def test_placeholder_without_shape_knows_only_its_dtype() -> None:
    value = value_of("tf.compat.v1.placeholder(tf.int32)")
    assert value is not None and value.shape is None and value.dtype == "int32"


def test_keras_input_dtype() -> None:
    assert shape_dtype("keras.Input(shape=(), dtype='int32')") == ((None,), "int32")


def test_dense_of_unknown_input_is_unknown() -> None:
    assert value_of("keras.layers.Dense(4)(features)") is None


# -- constants and arithmetic ---------------------------------------------------------------------
def test_constant_folding() -> None:
    assert value_of("-scale", "scale = 3.0").scalar == -3.0  # type: ignore[union-attr]
    assert math.isinf(value_of("float('inf')").scalar)  # type: ignore[union-attr,arg-type]
    assert math.isnan(value_of("np.nan").scalar)  # type: ignore[union-attr,arg-type]
    assert math.isinf(value_of("1 / 0").scalar)  # type: ignore[union-attr,arg-type]
    assert value_of("2 ** 3").scalar == 8.0  # type: ignore[union-attr]


def test_arithmetic_keeps_tensor_dtypes() -> None:
    assert shape_dtype("tf.constant([1, 0]) + 1") == ((2,), "int32")
    assert shape_dtype("np.array([1.0, 0.0]) * 2") == ((2,), "float64")
    # an int tensor with a float scalar, or divided: the result's dtype depends on the framework
    assert shape_dtype("np.array([1, 0]) * 0.5")[1] is None
    assert shape_dtype("np.array([1, 0]) / 2")[1] is None


def test_flow_sensitive_names() -> None:
    setup = "labels = tf.constant([1, 0])\nlabels = tf.cast(labels, tf.float32)"
    assert shape_dtype("labels", setup) == ((2,), "float32")
    assert shape_dtype("x", "x = 1\nx = x + 1")[1] == "python int"


def test_branches_that_disagree_are_unknown() -> None:
    setup = "if flag:\n    labels = tf.zeros((4,))\nelse:\n    labels = tf.zeros((4, 1))"
    assert value_of("labels", setup) is None


def test_function_parameters_are_unknown() -> None:
    source = PRELUDE + "def f(labels):\n    return labels\n"
    module = parse("probe.py", source)
    function = module.module.body[-1]
    returned = function.body.body[0]  # type: ignore[attr-defined]
    assert static_value(module, returned.body[0].value, module.statement_of(returned)) is None


def test_broadcast_shapes() -> None:
    assert broadcast_shapes((32,), (32, 1)) == (32, 32)
    assert broadcast_shapes((3,), (8, 3)) == (8, 3)
    assert broadcast_shapes((None, 1), (None, 3)) == (None, 3)
    with pytest.raises(ValueError):
        broadcast_shapes((3,), (8, 2))
