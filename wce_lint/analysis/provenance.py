"""Where a value came from: an activation, a clip, a one-hot, a model or layer, a loss object.

Flow-sensitive through assignments in the same scope (see ``dataflow``), through module-level functions'
``return``s, ``self.x`` attributes bound once in a class, and through shape-only operations (reshape,
squeeze, cast, indexing) that keep what a value *is*. Where the possibilities disagree, the answer is None.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from wce_lint.analysis.apis import LossAPI, loss_api
from wce_lint.analysis.dataflow import reaching_definitions
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.rule import TraceStep

ACTIVATION = "activation"  # sigmoid / softmax / log_softmax / log_sigmoid output
CLIP = "clip"
ONE_HOT = "one_hot"
MODEL = "model"  # a model or layer object (calling it gives MODEL_OUTPUT)
MODEL_OUTPUT = "model_output"
LOSS_OBJECT = "loss_object"

SIGMOID, SOFTMAX, LOG_SOFTMAX, LOG_SIGMOID, LINEAR = "sigmoid", "softmax", "log_softmax", "log_sigmoid", "linear"
PROBABILITY_ACTIVATIONS = frozenset({SIGMOID, SOFTMAX})

MAX_DEPTH = 12

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
TRANSPARENT_METHODS = frozenset({"reshape", "view", "squeeze", "unsqueeze", "flatten", "float", "double",
                                 "half", "to", "type", "contiguous", "view_as", "reshape_as", "detach", "cpu",
                                 "cuda", "astype"})


@dataclass(frozen=True)
class Origin:
    kind: str
    node: cst.CSTNode  # the expression that produced the value (or the model/loss object's creation)
    activation: str | None = None  # for ACTIVATION, MODEL and MODEL_OUTPUT: what the values are
    api: str = ""  # the producing API as the user wrote it, e.g. "tf.math.sigmoid"
    loss: LossAPI | None = None  # for LOSS_OBJECT
    inner: "Origin | None" = None  # for CLIP: what was clipped
    complement: bool = False  # `1 - sigmoid(x)`
    trace: tuple[TraceStep, ...] = ()

    @property
    def is_probability(self) -> bool:
        return self.kind in (ACTIVATION, MODEL_OUTPUT) and self.activation in PROBABILITY_ACTIVATIONS

    @property
    def is_model_with_probabilities(self) -> bool:
        return self.kind == MODEL and self.activation in PROBABILITY_ACTIVATIONS

    def via(self, message: str, node: cst.CSTNode) -> "Origin":
        return replace(self, trace=(TraceStep(message, node), *self.trace))


def origin_of(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo | None,
              depth: int = 0) -> Origin | None:
    """What produced ``node`` as read at statement ``at``; None when unknown."""
    if node is None or at is None or depth > MAX_DEPTH:
        return None
    key = ("origin", id(node), at.order)
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    module.cache[key] = None  # guards against cycles
    try:
        result = _Tracer(module, at, depth).origin(node)
    except RecursionError:
        result = None
    module.cache[key] = result
    return result


class _Tracer:
    def __init__(self, module: ModuleContext, at: StatementInfo, depth: int) -> None:
        self.module = module
        self.at = at
        self.depth = depth

    def sub(self, node: cst.BaseExpression | None, at: StatementInfo | None = None) -> Origin | None:
        return origin_of(self.module, node, at or self.at, self.depth + 1)

    def origin(self, node: cst.BaseExpression) -> Origin | None:
        if isinstance(node, cst.Name):
            return self.name(node)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Attribute):
            return self.attribute(node)
        if isinstance(node, cst.Subscript):
            return self.sub(node.value)  # indexing keeps what the values are
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node)
        if isinstance(node, cst.Await):
            return self.sub(node.expression)
        return None

    # -- names and attributes ----------------------------------------------------------------
    def name(self, node: cst.Name) -> Origin | None:
        definitions = reaching_definitions(self.module, node.value, self.at)
        if not definitions:
            return None
        origins = []
        for definition in definitions:
            if definition.value is None:
                return None
            origin = self.sub(definition.value, definition.statement)
            if origin is not None and origin.kind == MODEL:
                origin = self._with_added_layers(origin, node.value, definition)
            if origin is None:
                return None
            origins.append(origin.via(f"`{node.value}` is assigned here", definition.target))
        first = origins[0]
        if any((o.kind, o.activation, o.complement) != (first.kind, first.activation, first.complement)
               for o in origins[1:]):
            return None  # branches disagree: stay silent
        return first

    def _with_added_layers(self, model: Origin, name: str, definition) -> Origin | None:  # type: ignore[no-untyped-def]
        """``model = Sequential(); model.add(Dense(1, activation="sigmoid"))``: the last added layer wins."""
        from wce_lint.analysis.keras_models import last_layer, added_layers

        layers = added_layers(self.module, name, self.at.scope, definition.statement.order, self.at.order)
        if not layers:
            return model
        last = last_layer(self.module, layers, self.at, self.depth)
        if last is None or last.kind != MODEL:
            return None
        return replace(model, activation=last.activation, trace=last.trace)

    def attribute(self, node: cst.Attribute) -> Origin | None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            return self.self_attribute(node.attr.value, node)
        return None

    def self_attribute(self, attribute: str, node: cst.CSTNode) -> Origin | None:
        owner = self._enclosing_class()
        if owner is None:
            return None
        bound = owner.attributes.get(attribute, [])
        if len(bound) != 1:
            return None  # assigned in several places: which one holds at the call is unknown
        value, statement = bound[0]
        origin = self.sub(value, statement)
        return origin.via(f"`self.{attribute}` is assigned here", value) if origin else None

    def _enclosing_class(self):  # type: ignore[no-untyped-def]
        scope = self.at.scope
        while scope is not None and not isinstance(scope, cst.Module):
            if isinstance(scope, cst.ClassDef):
                return self.module.classes.get(scope.name.value)
            scope = self.module.enclosing_scope(scope)
        return None

    def binary(self, node: cst.BinaryOperation) -> Origin | None:
        # `1 - sigmoid(x)` is still a probability (of the other class).
        if isinstance(node.operator, cst.Subtract) and _is_one(node.left):
            inner = self.sub(node.right)
            if inner is not None and inner.kind == ACTIVATION and inner.activation == SIGMOID:
                return replace(inner, node=node, complement=not inner.complement)
        return None

    # -- calls ---------------------------------------------------------------------------------
    def call(self, node: cst.Call) -> Origin | None:
        module = self.module
        func = node.func
        names = module.qualified_names(func)
        api_text = module.code(func)
        for name in names:
            if name in ACTIVATION_FUNCTIONS:
                return Origin(ACTIVATION, node, ACTIVATION_FUNCTIONS[name], api_text)
            if name in CLIP_FUNCTIONS:
                inner = self.sub(node.args[0].value) if node.args else None
                return Origin(CLIP, node, None, api_text, inner=inner)
            if name in ONE_HOT_FUNCTIONS:
                return Origin(ONE_HOT, node, None, api_text)
            if name in TRANSPARENT_FUNCTIONS:
                return self.sub(node.args[0].value) if node.args and not node.args[0].star else None
        if names:
            api = loss_api(names)
            if api is not None and api.is_class:
                return Origin(LOSS_OBJECT, node, None, api_text, loss=api)
            from wce_lint.analysis.keras_models import model_from_constructor

            return model_from_constructor(module, node, self.at, self.depth)
        if isinstance(func, cst.Attribute):
            return self.method_call(node, func)
        if isinstance(func, cst.Call):
            # `nn.Sigmoid()(x)`, `Dense(1, activation="sigmoid")(x)`, `Model(...)(x)`
            callee = self.sub(func)
            return _called(callee, node, api_text)
        if isinstance(func, cst.Name):
            function = module.module_functions.get(func.value)
            if function is not None and self._is_module_level(func.value):
                return self.function_result(function, node)
            from wce_lint.analysis.keras_models import model_from_constructor

            model = model_from_constructor(module, node, self.at, self.depth)
            if model is not None:
                return model
            return _called(self.sub(func), node, api_text)
        return None

    def _is_module_level(self, name: str) -> bool:
        definitions = reaching_definitions(self.module, name, self.at)
        return bool(definitions) and all(isinstance(d.target, cst.FunctionDef) for d in definitions)

    def method_call(self, node: cst.Call, func: cst.Attribute) -> Origin | None:
        method = func.attr.value
        api_text = self.module.code(func)
        if method in ACTIVATION_METHODS and len(node.args) <= 1:
            return Origin(ACTIVATION, node, ACTIVATION_METHODS[method], f".{method}()")
        if method in CLIP_METHODS:
            return Origin(CLIP, node, None, f".{method}()", inner=self.sub(func.value))
        if method in TRANSPARENT_METHODS:
            return self.sub(func.value)
        if isinstance(func.value, cst.Name) and func.value.value == "self":
            callee = self.self_attribute(method, func)  # self.head(x) where self.head = Dense(...)
            if callee is not None:
                return _called(callee, node, api_text)
        receiver = self.sub(func.value)
        if receiver is not None and receiver.kind == MODEL and method in ("predict", "predict_on_batch", "forward",
                                                                            "__call__", "call"):
            return _called(receiver, node, api_text)
        if isinstance(func.value, cst.Name) and func.value.value == "self":
            owner = self._enclosing_class()
            if owner is not None and method in owner.methods:
                return self.function_result(owner.methods[method], node)
        return None

    def function_result(self, function, node: cst.Call) -> Origin | None:  # type: ignore[no-untyped-def]
        """A function of this module whose every ``return`` has the same origin."""
        if not function.returns:
            return None
        origins = [self.sub(value, statement) for value, statement in function.returns]
        if any(o is None for o in origins):
            return None
        first = origins[0]
        if any((o.kind, o.activation) != (first.kind, first.activation) for o in origins[1:]):  # type: ignore[union-attr]
            return None
        return first.via(f"returned by `{function.node.name.value}`", node)  # type: ignore[union-attr]


def _called(callee: Origin | None, node: cst.Call, api_text: str) -> Origin | None:
    """Calling a model or layer gives its output; calling an activation module applies it."""
    if callee is None:
        return None
    if callee.kind == MODEL:
        if callee.activation in (SIGMOID, SOFTMAX, LOG_SOFTMAX, LOG_SIGMOID):
            return Origin(MODEL_OUTPUT, node, callee.activation, callee.api, trace=callee.trace)
        return Origin(MODEL_OUTPUT, node, callee.activation, callee.api, trace=callee.trace)
    return None


def _is_one(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Integer) and node.value == "1") or (
        isinstance(node, cst.Float) and float(node.value) == 1.0)
