"""What produces values the rules judge, by canonical qualified name: activations (functions, tensor
methods, layers), clips, one-hot encoders, shape-only operations, inverse activations, the TF1 layer
functions, model wrappers — data the value evaluator (``provenance``) reads, extended by the user's
``[tool.wce-lint.producers]`` table."""

from __future__ import annotations

SIGMOID, SOFTMAX, LOG_SOFTMAX, LOG_SIGMOID, LINEAR = "sigmoid", "softmax", "log_softmax", "log_sigmoid", "linear"
PROBABILITY_ACTIVATIONS = frozenset({SIGMOID, SOFTMAX})

# Activation functions by canonical qualified name.
ACTIVATION_FUNCTIONS: dict[str, str] = {}
for _prefix in ("tensorflow.math", "tensorflow.nn", "tensorflow", "keras.activations", "keras.ops",
                "keras.backend", "torch", "torch.nn.functional", "torch.special", "jax.nn", "jax.numpy",
                "flax.linen", "scipy.special", "tensorflow.compat.v1.nn", "tensorflow.compat.v1",
                "tensorflow.compat.v1.math"):
    for _name, _kind in (("sigmoid", SIGMOID), ("softmax", SOFTMAX), ("log_softmax", LOG_SOFTMAX),
                         ("log_sigmoid", LOG_SIGMOID), ("logsigmoid", LOG_SIGMOID), ("expit", SIGMOID)):
        ACTIVATION_FUNCTIONS[f"{_prefix}.{_name}"] = _kind
# Tensor methods (torch): x.sigmoid(), x.softmax(dim), x.log_softmax(dim).
ACTIVATION_METHODS = {"sigmoid": SIGMOID, "sigmoid_": SIGMOID, "softmax": SOFTMAX, "log_softmax": LOG_SOFTMAX}
# Activation modules/layers: nn.Sigmoid()(x), layers.Softmax()(x).
ACTIVATION_LAYERS = {"torch.nn.Sigmoid": SIGMOID, "torch.nn.Softmax": SOFTMAX, "torch.nn.LogSoftmax": LOG_SOFTMAX,
                     "torch.nn.LogSigmoid": LOG_SIGMOID, "keras.layers.Softmax": SOFTMAX}
# The built-in producer tables, kept apart from the run's own entries (``[tool.wce-lint.producers]``).
_BUILTIN_ACTIVATION_FUNCTIONS = dict(ACTIVATION_FUNCTIONS)
_BUILTIN_ACTIVATION_LAYERS = dict(ACTIVATION_LAYERS)
PRODUCER_ACTIVATIONS = (SIGMOID, SOFTMAX, LOG_SOFTMAX, LOG_SIGMOID, LINEAR)
PRODUCER_KINDS = ("function", "layer")
_ACTIVE_PRODUCERS: tuple[tuple[str, str, str], ...] = ()


def producers_from_table(table: object) -> tuple[tuple[str, str, str], ...]:
    """``{"mylib.hard_sigmoid": {"activation": "sigmoid", "kind": "function"}}`` → validated entries
    (qualified name, activation, kind); ``ValueError("key: message")`` names the bad key."""
    from wce_lint.analysis.names import canonical

    if not isinstance(table, dict):
        raise ValueError(': expected a table of [producers."qualified.name"] tables')
    entries = []
    for name, entry in table.items():
        where = f'"{name}"'
        if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")) or "." not in name:
            raise ValueError(f"{where}: expected a qualified name such as \"mylib.ops.hard_sigmoid\"")
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a table with `activation` (and `kind`)")
        unknown = sorted(set(entry) - {"activation", "kind"})
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown key (allowed: activation, kind)")
        activation = entry.get("activation")
        if activation not in PRODUCER_ACTIVATIONS:
            raise ValueError(f"{where}.activation: expected one of {', '.join(PRODUCER_ACTIVATIONS)}, got {activation!r}")
        kind = entry.get("kind", "function")
        if kind not in PRODUCER_KINDS:
            raise ValueError(f"{where}.kind: expected one of {', '.join(PRODUCER_KINDS)}, got {kind!r}")
        entries.append((canonical(name), activation, kind))
    return tuple(entries)


def use_user_producers(entries: tuple[tuple[str, str, str], ...]) -> None:
    """Install the run's own producers: the tables are updated in place, so every module holding them sees it."""
    global _ACTIVE_PRODUCERS
    if entries == _ACTIVE_PRODUCERS:
        return
    _ACTIVE_PRODUCERS = entries
    ACTIVATION_FUNCTIONS.clear()
    ACTIVATION_FUNCTIONS.update(_BUILTIN_ACTIVATION_FUNCTIONS)
    ACTIVATION_LAYERS.clear()
    ACTIVATION_LAYERS.update(_BUILTIN_ACTIVATION_LAYERS)
    for name, activation, kind in entries:
        (ACTIVATION_FUNCTIONS if kind == "function" else ACTIVATION_LAYERS)[name] = activation


CLIP_FUNCTIONS = frozenset({"tensorflow.clip_by_value", "tensorflow.math.clip_by_value", "torch.clamp",
                            "torch.clip", "jax.numpy.clip", "numpy.clip", "keras.ops.clip",
                            "tensorflow.experimental.numpy.clip"})
CLIP_METHODS = frozenset({"clamp", "clip", "clamp_", "clip_"})
ONE_HOT_FUNCTIONS = frozenset({"tensorflow.one_hot", "torch.nn.functional.one_hot", "jax.nn.one_hot",
                               "keras.utils.to_categorical", "keras.ops.one_hot"})
# Operations that change a tensor's shape or dtype but not what its values mean.
TRANSPARENT_FUNCTIONS = frozenset({
    "tensorflow.reshape", "tensorflow.squeeze", "tensorflow.expand_dims", "tensorflow.cast",
    "tensorflow.identity", "tensorflow.convert_to_tensor", "torch.reshape", "torch.squeeze", "torch.unsqueeze",
    "torch.flatten", "jax.numpy.reshape", "jax.numpy.squeeze", "numpy.squeeze", "numpy.reshape",
    "tensorflow.stop_gradient", "keras.ops.reshape", "keras.ops.squeeze",
})
# Inverse activations give logits back: torch.logit(p) / scipy's logit are raw scores, not probabilities.
INVERSE_ACTIVATIONS = frozenset({"torch.logit", "torch.special.logit", "scipy.special.logit", "jax.scipy.special.logit"})
# TF1-era layer *functions* return the layer's output tensor: (activation parameter, activation when absent).
# `activation` is the third parameter of tf.layers.dense; fully_connected defaults to ReLU.
DENSE_FUNCTIONS: dict[str, tuple[str, str | None]] = {
    "tensorflow.layers.dense": ("activation", LINEAR),
    "tensorflow.compat.v1.layers.dense": ("activation", LINEAR),
    "tensorflow.contrib.layers.fully_connected": ("activation_fn", "other"),
    "tensorflow.contrib.slim.fully_connected": ("activation_fn", "other"),
    "tf_slim.fully_connected": ("activation_fn", "other"),
    "tf_slim.layers.fully_connected": ("activation_fn", "other"),
}
# Calls that wrap a model and call it when called (the wrapper's outputs are the model's).
MODEL_WRAPPERS = frozenset({"torch.nn.DataParallel", "torch.nn.parallel.DataParallel",
                            "torch.nn.parallel.DistributedDataParallel", "torch.compile", "torch.jit.script"})
# Containers of layers indexed like the dict or list literal they are built from.
MODULE_CONTAINERS = frozenset({"torch.nn.ModuleDict", "torch.nn.ModuleList"})
# Methods of a model that return the model itself.
MODEL_RETURNING_METHODS = frozenset({"eval", "train", "requires_grad_", "share_memory"})
# Tensor activation methods and how many arguments they take (`x.sigmoid()`, `x.softmax(1)`).
_ACTIVATION_METHOD_ARGUMENTS = {"sigmoid": 0, "sigmoid_": 0, "softmax": 1, "log_softmax": 1}
# Of those, the ones that keep the shape (the width of the last axis) too.
WIDTH_KEEPING_FUNCTIONS = frozenset({"tensorflow.cast", "tensorflow.identity", "tensorflow.convert_to_tensor",
                                     "tensorflow.stop_gradient"})
TRANSPARENT_METHODS = frozenset({"reshape", "view", "squeeze", "unsqueeze", "flatten", "float", "double",
                                 "half", "to", "type", "contiguous", "view_as", "reshape_as", "detach", "cpu",
                                 "cuda", "astype"})
WIDTH_KEEPING_METHODS = frozenset({"float", "double", "half", "to", "type", "contiguous", "detach", "cpu", "cuda",
                                   "astype"})
