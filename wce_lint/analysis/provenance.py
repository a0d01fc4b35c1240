"""Where a value came from: an activation, a clip, a one-hot, a model or layer, a loss object — the value
analysis every rule asks (see docs/analysis.md).

Flow-sensitive through assignments in the same scope (see ``dataflow``), tuple unpacking (each element
separately), functions' and methods' ``return``s (each tuple element separately, parameters substituted by
the call's arguments), lambdas, ``self.x`` attributes assigned anywhere in a class (tuple targets too),
instances of the module's classes called as functions (their ``forward``/``call``), the project's own
modules (``analysis.project``), and shape-only operations (reshape, squeeze, cast, indexing) that keep what a
value *is*. A value that is a function's parameter is a ``PARAMETER`` origin: the callers' summaries
(``analysis.summaries``) substitute what each call passes. Where the possibilities disagree, the answer is
None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst

from wce_lint.analysis.apis import LossAPI, loss_api
from wce_lint.analysis.classes import (
    attribute_assignments, called_method, context_free, context_key, has_framework_base, method_of, receiving,
    self_class, super_method,
)
from wce_lint.analysis.dataflow import reaching_definitions
from wce_lint.analysis.module import ClassInfo, Definition, FunctionInfo, ModuleContext, StatementInfo
from wce_lint.rule import TraceStep

ACTIVATION = "activation"  # sigmoid / softmax / log_softmax / log_sigmoid output
CLIP = "clip"
ONE_HOT = "one_hot"
MODEL = "model"  # a model or layer object (calling it gives MODEL_OUTPUT)
MODEL_OUTPUT = "model_output"
LOSS_OBJECT = "loss_object"
TUPLE = "tuple"  # a tuple of values, each with its own origin (``return validity, label``)
MAPPING = "mapping"  # a dict literal with string keys, each value with its own origin (``{"probs": p}``)
PARAMETER = "parameter"  # a parameter of the function being analysed: known only at its call sites
INSTANCE = "instance"  # an object of a class of the project (its methods and forward/call are followed)

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
# Methods of a model that return the model itself.
MODEL_RETURNING_METHODS = frozenset({"eval", "train", "requires_grad_", "share_memory"})
# Tensor activation methods and how many arguments they take (`x.sigmoid()`, `x.softmax(1)`).
_ACTIVATION_METHOD_ARGUMENTS = {"sigmoid": 0, "sigmoid_": 0, "softmax": 1, "log_softmax": 1}
# Of those, the ones that keep the shape (the width of the last axis) too.
WIDTH_KEEPING_FUNCTIONS = frozenset({"tensorflow.cast", "tensorflow.identity", "tensorflow.convert_to_tensor",
                                     "tensorflow.stop_gradient"})
FUNCTION = "function"  # a lambda (calling it gives what its body produces)
TRANSPARENT_METHODS = frozenset({"reshape", "view", "squeeze", "unsqueeze", "flatten", "float", "double",
                                 "half", "to", "type", "contiguous", "view_as", "reshape_as", "detach", "cpu",
                                 "cuda", "astype"})
WIDTH_KEEPING_METHODS = frozenset({"float", "double", "half", "to", "type", "contiguous", "detach", "cpu", "cuda",
                                   "astype"})


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
    elements: tuple["Origin | None", ...] = ()  # for TUPLE and MAPPING
    keys: tuple[str, ...] = ()  # for MAPPING: the key of each element
    path: tuple[int | str, ...] = ()  # for PARAMETER: `p[0]` is element 0 of what the caller passes
    called: bool = False  # for PARAMETER: the result of calling what the caller passes (`model(x)`)
    # For MODEL, MODEL_OUTPUT and ACTIVATION: the width of the last axis of the output (`Dense(3)`,
    # `nn.Linear(64, 1)`), where it is written; None when not known.
    units: int | None = None
    units_node: cst.CSTNode | None = field(default=None, compare=False)
    # For PARAMETER, the function declaring it; for INSTANCE (and subclassed MODELs) the class and its module.
    function: cst.FunctionDef | None = field(default=None, compare=False)
    cls: ClassInfo | None = field(default=None, compare=False)
    home: ModuleContext | None = field(default=None, compare=False)

    @property
    def is_probability(self) -> bool:
        return self.kind in (ACTIVATION, MODEL_OUTPUT) and self.activation in PROBABILITY_ACTIVATIONS

    @property
    def is_model_with_probabilities(self) -> bool:
        return self.kind == MODEL and self.activation in PROBABILITY_ACTIVATIONS

    @property
    def is_plain_parameter(self) -> bool:
        """A parameter as the caller passes it: not an element of it, not the result of calling it."""
        return self.kind == PARAMETER and not self.path and not self.called

    def via(self, message: str, node: cst.CSTNode) -> "Origin":
        return replace(self, trace=(TraceStep(message, node), *self.trace))


def bindings(module: ModuleContext, name: str, at: StatementInfo) -> list[Definition] | None:
    """The bindings of ``name`` that may reach statement ``at`` — the one place every analysis asks (it is
    the only caller of ``dataflow.reaching_definitions``). Unpacking a literal tuple (``a, b = 0.5, -1.0``)
    binds each name to its element, so every follower sees it; other unpacking keeps ``value`` None (only
    ``origin_of`` follows it). None when the set is open (unknown)."""
    key = ("bindings", name, at.order, id(at.scope))
    cached = module.cache.get(key, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]
    found = reaching_definitions(module, name, at)
    if found:
        found = [_with_literal_element(d) for d in found]
    module.cache[key] = found
    return found


_MISSING = object()


def _with_literal_element(definition: Definition) -> Definition:
    if definition.value is not None or definition.unpacked is None:
        return definition
    value, path = definition.unpacked
    for index in path:
        if not isinstance(value, (cst.Tuple, cst.List)) or any(
                isinstance(e, cst.StarredElement) for e in value.elements):
            return definition
        if not -len(value.elements) <= index < len(value.elements):
            return definition
        value = value.elements[index].value
    return replace(definition, value=value)


def origin_of(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo | None,
              depth: int = 0) -> Origin | None:
    """What produced ``node`` as read at statement ``at``; None when unknown."""
    if node is None or at is None or depth > MAX_DEPTH:
        return None
    key = ("origin", id(node), at.order, context_key(module, at))
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    module.cache[key] = None  # guards against cycles
    if _IN_PROGRESS:
        _JOURNAL.append((module.cache, key))
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
            return self.subscript(node)
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node)
        if isinstance(node, cst.Await):
            return self.sub(node.expression)
        if isinstance(node, (cst.Tuple, cst.List)) and node.elements:  # `return [validity, label]` too
            if any(isinstance(e, cst.StarredElement) for e in node.elements):
                return None
            return Origin(TUPLE, node, elements=tuple(self.sub(e.value) for e in node.elements))
        if isinstance(node, cst.Lambda):
            return Origin(FUNCTION, node, api="lambda")
        if isinstance(node, cst.Dict) and node.elements:
            return self.mapping(node)
        return None

    def mapping(self, node: cst.Dict) -> Origin | None:
        """``{"logits": z, "probs": torch.sigmoid(z)}``: each value by its key (string keys only, no ``**``)."""
        keys = []
        for item in node.elements:
            if not isinstance(item, cst.DictElement) or not isinstance(item.key, cst.SimpleString) \
                    or not isinstance(item.key.evaluated_value, str):
                return None
            keys.append(item.key.evaluated_value)
        if len(set(keys)) != len(keys):
            return None
        return Origin(MAPPING, node, elements=tuple(self.sub(item.value) for item in node.elements),  # type: ignore[union-attr]
                      keys=tuple(keys))

    # -- names and attributes ----------------------------------------------------------------
    def name(self, node: cst.Name) -> Origin | None:
        definitions = bindings(self.module, node.value, self.at)
        if not definitions:
            return None
        origins = []
        for definition in definitions:
            if definition.value is None:
                origin = self._unbound(definition)
                if origin is not None and origin.kind == PARAMETER:
                    origins.append(origin)
                    continue
            elif isinstance(definition.value, cst.Dict):
                origin = self._written_dict(node.value, definition)
            elif isinstance(definition.value, cst.List) and self._changed(node.value, definition):
                origin = None  # `outs = [a, b]; outs[0] = …` or `outs.append(…)`: its elements are unknown
            else:
                origin = self.sub(definition.value, definition.statement)
                if origin is not None and origin.kind == MODEL:
                    origin = self._with_added_layers(origin, node.value, definition)
            if origin is None:
                return None
            origins.append(origin.via(f"`{node.value}` is assigned here", definition.target))
        return agree(origins)

    def _written_dict(self, name: str, definition) -> Origin | None:  # type: ignore[no-untyped-def]
        """``out = {}; out["probs"] = torch.sigmoid(z)``: a dict literal and the keys written into it before the
        read, in order. Only writes of literal keys in the same block as the binding (no branch, no loop of their
        own) and before the read are followed; any other change of the dict (a method, ``del``, a computed key)
        or a second binding of the name makes it unknown."""
        statement = definition.statement
        writes = self._writes(name, definition)
        literal = self.sub(definition.value, statement) if definition.value.elements else \
            Origin(MAPPING, definition.value)
        if not writes:
            return literal
        if literal is None or len(self.module.definitions(statement.scope, name)) != 1 \
                or self.at.scope is not statement.scope:
            return None
        keys, elements = list(literal.keys), list(literal.elements)
        if any(w.key is None or w.statement.scope is not statement.scope or w.statement.blocks != statement.blocks
               or w.statement.loops != statement.loops for w in writes):
            return None  # a change we cannot order (a branch, a loop, a method, a computed key)
        for write in writes:
            if not statement.order < write.statement.order < self.at.order:
                continue
            value = self.sub(write.value, write.statement)
            if write.key in keys:
                elements[keys.index(write.key)] = value
            else:
                keys.append(write.key)
                elements.append(value)
        return replace(literal, keys=tuple(keys), elements=tuple(elements))

    def _changed(self, name: str, definition) -> bool:  # type: ignore[no-untyped-def]
        return bool(self._writes(name, definition))

    def _writes(self, name: str, definition) -> list:  # type: ignore[type-arg, no-untyped-def]
        """The changes of the dict or list bound to ``name``: in its scope, or in a function inside it that does
        not bind the name itself (a module-level dict written in a function)."""
        from wce_lint.analysis.dataflow import key_writes

        home = definition.statement.scope
        found = []
        for write in key_writes(self.module, name, None):
            scope = write.statement.scope
            while scope is not home and scope is not None and not self.module.definitions(scope, name):
                scope = self.module.enclosing_scope(scope)
            if scope is home:
                found.append(write)
        return found

    def _unbound(self, definition) -> Origin | None:  # type: ignore[no-untyped-def]
        """A name bound without a plain value: an element of an unpacked tuple, or a parameter."""
        if definition.unpacked is not None:
            value, path = definition.unpacked
            return element(self.sub(value, definition.statement), path)
        target, scope = definition.target, definition.statement.scope
        if isinstance(target, cst.Param) and isinstance(scope, (cst.FunctionDef, cst.Lambda)):
            return Origin(PARAMETER, target, api=target.name.value, function=scope)
        if isinstance(target, cst.ImportFrom):
            return self.imported_value(definition.name)
        return None

    def imported_value(self, name: str | frozenset[str]) -> Origin | None:
        """A module-level value of another module of the project (``from models import D``, or ``models.D``
        given by its qualified names), bound once there."""
        from wce_lint.analysis.project import resolve_value

        names = self.module.imports.resolve_dotted(name) if isinstance(name, str) else name
        found = resolve_value(self.module, names)
        if found is None:
            return None
        home, definition = found
        origin = origin_of(home, definition.value, definition.statement, self.depth + 1)
        return origin.via(f"`{definition.name}` is assigned here", definition.target) if origin is not None else None

    def _with_added_layers(self, model: Origin, name: str, definition) -> Origin | None:  # type: ignore[no-untyped-def]
        """``model = Sequential(); model.add(Dense(1, activation="sigmoid"))``, ``model.append(nn.Sigmoid())``,
        ``model.add_module("act", nn.Sigmoid())``: the last layer added before the read wins. Any other change
        of its layers (``insert``, ``pop``, ``model[1] = …``, ``del``), or one in a branch, a loop of its own or
        another function, makes it unknown."""
        from wce_lint.analysis.dataflow import APPENDING_METHODS
        from wce_lint.analysis.keras_models import last_layer, last_width

        statement = definition.statement
        changes = [w for w in self._writes(name, definition) if w.changes_layers]
        if not changes:
            return model
        layers = []
        for change in changes:
            if change.method not in APPENDING_METHODS or change.call is None \
                    or change.statement.scope is not statement.scope or change.statement.blocks != statement.blocks \
                    or change.statement.loops != statement.loops:
                return None
            if not statement.order < change.statement.order < self.at.order:
                continue
            position = 1 if change.method in ("add_module", "register_module") else 0
            arguments = [a for a in change.call.args if a.keyword is None and not a.star]
            if len(arguments) <= position or len(arguments) != len(change.call.args):
                return None
            layers.append(arguments[position].value)
        if not layers:
            return model
        last = last_layer(self.module, layers, self.at, self.depth)
        if last is None or last.kind != MODEL:
            return None
        units, units_node = last_width(self.module, layers, self.at, self.depth)
        return replace(model, activation=last.activation, trace=last.trace, units=units, units_node=units_node)

    def attribute(self, node: cst.Attribute) -> Origin | None:
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            return self.self_attribute(node.attr.value, node)
        names = self.module.qualified_names(node)  # `losses.bce_logits` with `from trainer import losses`
        return self.imported_value(names) if names else None

    def self_attribute(self, attribute: str, node: cst.CSTNode) -> Origin | None:
        """``self.x``: every assignment to it anywhere in the class must agree (which one holds when the
        attribute is read is not known)."""
        owner = self_class(self.module, self.at)  # a subclass's, while one of its inherited methods is followed
        if owner is None:
            return None
        return class_attribute(owner[0], owner[1], attribute, self.depth)

    def subscript(self, node: cst.Subscript) -> Origin | None:
        inner = self.sub(node.value)
        if inner is None:
            return None
        index = _literal_index(node)
        if inner.kind in (TUPLE, MAPPING):
            return element(inner, (index,)) if index is not None else None
        if inner.kind == PARAMETER:
            # `outputs[0]` of a parameter: element 0 when the caller passes a tuple
            return replace(inner, path=(*inner.path, index)) if index is not None and not inner.called else None
        if isinstance(index, str):
            return None  # a key of something that is not a dict we know
        return without_units(inner)  # indexing a tensor keeps what its values are (not its shape)

    def binary(self, node: cst.BinaryOperation) -> Origin | None:
        # `1 - sigmoid(x)` is still a probability (of the other class).
        if isinstance(node.operator, cst.Subtract) and _is_one(node.left):
            inner = self.sub(node.right)
            if inner is not None and inner.kind in (ACTIVATION, MODEL_OUTPUT) and inner.activation == SIGMOID:
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
                return with_units_of(Origin(ACTIVATION, node, ACTIVATION_FUNCTIONS[name], api_text),
                                     self.first_argument(node))
            if name in INVERSE_ACTIVATIONS:  # logits back from probabilities
                return with_units_of(Origin(ACTIVATION, node, LINEAR, api_text), self.first_argument(node))
            if name in DENSE_FUNCTIONS:
                return self.dense_function(node, name, api_text)
            if name in CLIP_FUNCTIONS:
                inner = self.sub(node.args[0].value) if node.args else None
                return Origin(CLIP, node, None, api_text, inner=inner)
            if name in ONE_HOT_FUNCTIONS:
                return Origin(ONE_HOT, node, None, api_text)
            if name in MODEL_WRAPPERS:  # `nn.DataParallel(net)`, `torch.compile(net)`: calling it calls `net`
                inner = self.first_argument(node)
                return inner if inner is not None and inner.kind in (MODEL, INSTANCE) else None
            if name in TRANSPARENT_FUNCTIONS:
                inner = self.first_argument(node)
                return inner if name in WIDTH_KEEPING_FUNCTIONS else without_units(inner)
        if names:
            api = loss_api(names)
            if api is not None and api.is_class:
                return Origin(LOSS_OBJECT, node, None, api_text, loss=api)
            from wce_lint.analysis.keras_models import model_from_constructor

            model = model_from_constructor(module, node, self.at, self.depth)
            if model is not None:
                return model
            result = self.project_call(node, names)
            if result is None and isinstance(func, cst.Name):  # `D(x)` with `from models import D`
                result = self.called(self.sub(func), node, api_text)
            return result
        if isinstance(func, cst.Attribute):
            return self.method_call(node, func)
        if isinstance(func, cst.Call):
            # `nn.Sigmoid()(x)`, `Dense(1, activation="sigmoid")(x)`, `Model(...)(x)`
            return self.called(self.sub(func), node, api_text)
        if isinstance(func, cst.Name):
            if func.value == "self":  # `self(x)` in a method (a LightningModule's training_step): its forward
                owner = self_class(module, self.at)
                found = called_method(*owner) if owner is not None else None
                if found is not None:
                    return self.function_result(*found, node, method=True, receiver=owner)
                return None
            function = self._local_function(func.value)
            if function is not None:
                return self.function_result(module, function, node)
            from wce_lint.analysis.keras_models import model_from_constructor

            model = model_from_constructor(module, node, self.at, self.depth)
            if model is not None:
                return model
            return self.called(self.sub(func), node, api_text)
        return None

    def first_argument(self, node: cst.Call) -> Origin | None:
        first = node.args[0] if node.args else None
        return self.sub(first.value) if first is not None and first.keyword is None and not first.star else None

    def dense_function(self, node: cst.Call, name: str, api_text: str) -> Origin | None:
        """``tf.layers.dense(x, units, activation)``, ``slim.fully_connected(x, n, activation_fn)``: a tensor
        whose values are what the activation makes them (the TF1 layer functions return outputs, not layers)."""
        from wce_lint.analysis.apis import Signature
        from wce_lint.analysis.calls import bind
        from wce_lint.analysis.keras_models import activation_named

        keyword, default = DENSE_FUNCTIONS[name]
        binding = bind(Signature(("inputs", "units", keyword)), node)
        if binding.open:
            return None
        argument = binding.value(keyword)
        if argument is None:
            kind: str | None = default
        else:
            kind = activation_named(self.module, argument)
        if not kind:
            return None
        from wce_lint.analysis.keras_models import static_units

        units = static_units(self.module, binding.value("units"), self.at)
        return Origin(MODEL_OUTPUT, node, kind, api_text, units=units, units_node=node if units is not None else None)

    def _local_function(self, name: str) -> FunctionInfo | None:
        """The function a plain name calls, when every binding reaching the call is that one ``def``."""
        definitions = bindings(self.module, name, self.at)
        if not definitions or len(definitions) != 1:
            return None
        if isinstance(definitions[0].value, cst.Lambda):  # `bce = lambda p, y: …`
            return self.module.functions.get(id(definitions[0].value))
        if not isinstance(definitions[0].target, cst.FunctionDef):
            return None
        return self.module.functions.get(id(definitions[0].target))

    def project_call(self, node: cst.Call, names: frozenset[str]) -> Origin | None:
        """A function or class imported from another module of the project."""
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(self.module, names)
        if symbol is None:
            return None
        home, definition = symbol
        if isinstance(definition, FunctionInfo):
            return self.function_result(home, definition, node)
        from wce_lint.analysis.keras_models import subclassed

        return subclassed(home, definition, node, self.depth)

    def method_call(self, node: cst.Call, func: cst.Attribute) -> Origin | None:
        method = func.attr.value
        api_text = self.module.code(func)
        is_self = isinstance(func.value, cst.Name) and func.value.value == "self"
        if is_self:
            callee = self.self_attribute(method, func)  # self.head(x) where self.head = Dense(...)
            if callee is not None:
                return self.called(callee, node, api_text)
        # `x.sigmoid()`, `x.softmax(1)`: tensor methods (`self.sigmoid(x)` is an attribute or a method, above)
        if method in ACTIVATION_METHODS and len(node.args) <= _ACTIVATION_METHOD_ARGUMENTS[method] and not is_self:
            return with_units_of(Origin(ACTIVATION, node, ACTIVATION_METHODS[method], f".{method}()"),
                                 self.sub(func.value))
        if method in CLIP_METHODS:
            return Origin(CLIP, node, None, f".{method}()", inner=self.sub(func.value))
        if method in TRANSPARENT_METHODS:
            inner = self.sub(func.value)
            return inner if method in WIDTH_KEEPING_METHODS else without_units(inner)
        if isinstance(func.value, cst.Call):
            parent = super_method(self.module, func.value, self.at, method)  # super().forward(x)
            if parent is not None:
                return self.function_result(parent[0], parent[1], node, method=True, receiver=parent[2])
        receiver = self.sub(func.value)
        if method == "apply" and receiver is not None and receiver.cls is not None and receiver.home is not None \
                and has_framework_base(receiver.home, receiver.cls, "flax.linen.Module"):
            return self.flax_apply(receiver, node)
        found = method_of(receiver.home, receiver.cls, method) if receiver is not None and receiver.kind in (
            MODEL, INSTANCE) and receiver.cls is not None and receiver.home is not None else None
        if found is not None:
            return self.function_result(*found, node, method=True, receiver=(receiver.home, receiver.cls))
        if receiver is not None and receiver.kind == MODEL and method in ("predict", "predict_on_batch", "forward",
                                                                            "__call__", "call"):
            return self.called(receiver, node, api_text)
        if receiver is not None and receiver.kind in (MODEL, INSTANCE) and method in MODEL_RETURNING_METHODS:
            return receiver  # `model.eval()`, `model.train()` return the model itself
        if receiver is not None and receiver.kind == PARAMETER and not receiver.called and method in (
                "forward", "__call__", "call", "predict"):
            return replace(receiver, called=True)
        if is_self:
            owner = self_class(self.module, self.at)
            found = method_of(*owner, method) if owner is not None else None
            if found is not None:
                return self.function_result(*found, node, method=True, receiver=owner)
        return None

    def flax_apply(self, receiver: Origin, node: cst.Call) -> Origin | None:
        """``model.apply(variables, x)`` of a Flax module: what its ``__call__`` returns, when that does not
        depend on the arguments (they are shifted by the variables); ``method=`` runs another method and
        ``mutable=`` returns (output, state): both unknown."""
        if any(a.keyword is not None and a.keyword.value in ("method", "mutable") for a in node.args):
            return None
        found = method_of(receiver.home, receiver.cls, "__call__")  # type: ignore[arg-type]
        if found is None:
            return None
        with receiving((receiver.home, receiver.cls)):  # type: ignore[arg-type]
            result = self.returned(found[0], found[1])
        if result is None or not _parameter_free(result):
            return None
        return result.via(f"`{self.module.code(node.func)}` runs `{receiver.api}.__call__`", node)

    def called(self, callee: Origin | None, node: cst.Call, api_text: str) -> Origin | None:
        """Calling a model, a layer, an instance of the project's classes, a lambda or a parameter."""
        if callee is None:
            return None
        if callee.cls is not None and callee.home is not None:
            forward = called_method(callee.home, callee.cls)  # its own or inherited forward/call/__call__
            if forward is not None:
                result = self.function_result(*forward, node, method=True, receiver=(callee.home, callee.cls))
                if result is not None:
                    return result
        if callee.kind == MODEL:
            return Origin(MODEL_OUTPUT, node, callee.activation, callee.api, trace=callee.trace, units=callee.units,
                          units_node=callee.units_node)
        if callee.kind == PARAMETER and not callee.called and not callee.path:
            return replace(callee, called=True)
        if callee.kind == FUNCTION and isinstance(callee.node, cst.Lambda):
            body = callee.node.body
            at = self.module.statement_of(body)
            produced = origin_of(self.module, body, at, self.depth + 1) if at is not None else None
            # Only what the body produces itself (an activation call), never a name that may be a parameter.
            if produced is not None and produced.node is body and produced.kind in (ACTIVATION, MODEL_OUTPUT):
                return produced.via("returned by the lambda", node)
        return None

    def function_result(self, home: ModuleContext, function: FunctionInfo, node: cst.Call,
                        method: bool = False,
                        receiver: "tuple[ModuleContext, ClassInfo] | None" = None) -> Origin | None:
        """What a call of ``function`` (defined in ``home``) returns: every ``return`` must agree; parameters
        are replaced by what this call passes. ``receiver``: the class of the instance a method is called on
        (its ``self.x`` are read there, also in a method it inherits)."""
        if not function.returns or self.depth > MAX_DEPTH:
            return None
        with receiving(receiver):  # only the callee's own code: the arguments are read in the caller's
            first = self.returned(home, function)
        if first is None:
            return None
        result = self.substitute(first, function.node, node, method)
        name = function.name
        return result.via(f"returned by `{name}`", node) if result is not None else None

    def returned(self, home: ModuleContext, function: FunctionInfo) -> Origin | None:
        """What every ``return`` of ``function`` agrees on, in terms of its parameters — a fixed point when the
        function is reached again while its returns are evaluated (``return f(x, n - 1)``, or ``f`` returning
        ``g(…)`` that returns ``f(…)``): the returns known without the cycle are taken as a guess, and every
        return is evaluated again with the function's calls giving that guess; it holds only if they all
        agree with it (``x`` passed on as ``x``, a sigmoid staying a sigmoid), else the result is unknown."""
        identity = id(function.node)
        if identity in _ASSUMED:
            return _ASSUMED[identity]
        if identity in _IN_PROGRESS:
            _REACHED_AGAIN.add(identity)
            return _PENDING  # nothing known yet: the other returns decide the guess
        start = len(_JOURNAL)
        _IN_PROGRESS.append(identity)
        try:
            found = self._returns(home, function)
            if identity in _REACHED_AGAIN:
                _REACHED_AGAIN.discard(identity)
                known = [origin for origin in found if origin is not None and origin.kind != PENDING]
                guess = agree(known) if known else None
                _forget(start)  # what was computed while the cycle gave nothing
                found = [None]
                if guess is not None:
                    _ASSUMED[identity] = guess
                    try:
                        found = self._returns(home, function)
                    finally:
                        del _ASSUMED[identity]
                    if any(_key(origin) != _key(guess) for origin in found):
                        found = [None]
                _CYCLE_SEEN.append(True)
        finally:
            _IN_PROGRESS.pop()
            if not _IN_PROGRESS:
                if _CYCLE_SEEN:  # values computed under a guess, or while a cycle gave nothing: not final
                    _forget(start)
                    _CYCLE_SEEN.clear()
                _JOURNAL.clear()
        return agree(found)

    def _returns(self, home: ModuleContext, function: FunctionInfo) -> list[Origin | None]:
        return [origin_of(home, value, statement, self.depth + 1) for value, statement in function.returns]

    def substitute(self, origin: Origin | None, function: cst.FunctionDef, call: cst.Call,
                   method: bool) -> Origin | None:
        """``origin`` as seen by the caller: the callee's parameters replaced by this call's arguments."""
        if origin is None:
            return None
        if origin.kind == PARAMETER:
            if origin.function is not function:
                return None  # a parameter of a function enclosing the callee
            argument = argument_for(function, origin.node, call, method)  # type: ignore[arg-type]
            if argument is None:
                return None
            value = self.sub(argument.value)
            if value is not None and origin.path:
                value = element(value, origin.path) if value.kind in (TUPLE, MAPPING, PARAMETER) else value
            if value is not None and origin.called:
                value = self.called(value, call, self.module.code(call.func))
            return value
        if origin.kind in (TUPLE, MAPPING):
            return replace(origin, elements=tuple(self.substitute(e, function, call, method) for e in origin.elements))
        if origin.kind == CLIP and origin.inner is not None and origin.inner.kind in (PARAMETER, TUPLE):
            return replace(origin, inner=self.substitute(origin.inner, function, call, method))
        return origin


# The fixed point of returns: functions whose returns are being evaluated, those reached again meanwhile,
# the guesses their calls give while they are checked, and the memo entries made meanwhile (to forget them).
PENDING = "pending"  # what a call of a function gives while that function's returns are being evaluated
_PENDING = Origin(PENDING, cst.Name("pending"))
_IN_PROGRESS: list[int] = []
_REACHED_AGAIN: set[int] = set()
_ASSUMED: dict[int, Origin] = {}
_JOURNAL: list[tuple[dict, object]] = []
_CYCLE_SEEN: list[bool] = []


def _forget(start: int) -> None:
    for cache, key in _JOURNAL[start:]:
        cache.pop(key, None)
    del _JOURNAL[start:]


def class_attribute(module: ModuleContext, owner: ClassInfo, attribute: str, depth: int) -> Origin | None:
    """``self.<attribute>`` of a class: the agreed origin of every assignment to it in the class and its
    project bases."""
    origins = []
    assignments = attribute_assignments(module, owner, attribute)
    if any(_layers_changed(home, f"self.{attribute}") for home in {id(h): h for h, _, _, _ in assignments}.values()):
        return None  # `self.net.append(nn.Sigmoid())`, `self.net[-1] = …`: which layers it holds is not known
    for home, value, statement, path in assignments:
        origin = origin_of(home, value, statement, depth + 1)
        if path is not None:
            origin = element(origin, path)
        origins.append(origin.via(f"`self.{attribute}` is assigned here", value) if origin else None)
    if not origins or any(o is not None and o.kind == PARAMETER for o in origins):
        return None  # a constructor's parameter: which value depends on the instance
    return agree(origins)


def function_referenced(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo | None
                        ) -> tuple[ModuleContext, FunctionInfo] | None:
    """The project function a name refers to (not a call of it): a ``def`` of this module every binding
    reaching ``at`` agrees on, or one imported from another module of the project."""
    if at is None:
        return None
    names = module.qualified_names(node)
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        return symbol if symbol is not None and isinstance(symbol[1], FunctionInfo) else None  # type: ignore[return-value]
    if isinstance(node, cst.Name):
        function = _Tracer(module, at, 0)._local_function(node.value)
        return (module, function) if function is not None else None
    return None


def _parameter_free(origin: Origin | None) -> bool:
    if origin is None or origin.kind in (PARAMETER, PENDING):
        return False
    return all(_parameter_free(e) for e in origin.elements if e is not None) and (
        origin.inner is None or _parameter_free(origin.inner))


def called_result(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo | None) -> Origin | None:
    """What calling the value of ``node`` gives, whatever it is called with: the output of a model or layer
    with a known last activation (``Net()`` whose ``forward`` ends in a sigmoid); None otherwise."""
    callee = origin_of(module, node, at)
    if callee is None or callee.kind != MODEL:
        return None
    return Origin(MODEL_OUTPUT, node, callee.activation, callee.api, trace=callee.trace, units=callee.units,
                  units_node=callee.units_node)


def _layers_changed(module: ModuleContext, receiver: str) -> bool:
    from wce_lint.analysis.dataflow import key_writes

    return any(w.changes_layers for w in key_writes(module, receiver, None))


def argument_for(function: cst.FunctionDef, param: cst.Param, call: cst.Call,
                 method: bool) -> cst.Arg | None:
    """The argument ``call`` passes for ``param`` of ``function`` (``self`` skipped for methods); None when
    unknown (``*args``/``**kwargs`` at the call, a star parameter, the default)."""
    from wce_lint.analysis.apis import Signature
    from wce_lint.analysis.calls import bind

    params = function.params
    if param is params.star_arg or param is params.star_kwarg:
        return None
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if method and positional:
        positional = positional[1:]
    signature = Signature(tuple(positional), tuple(p.name.value for p in params.kwonly_params))
    return bind(signature, call).get(param.name.value)


# Decorators that return the function they decorate, or one that computes the same values.
TRANSPARENT_DECORATORS = frozenset({
    "tensorflow.function", "torch.no_grad", "torch.inference_mode", "torch.jit.script", "jax.jit",
    "functools.wraps", "staticmethod", "classmethod", "property", "torch.compile",
})


def is_followable(module: ModuleContext, function: FunctionInfo) -> tuple[bool, bool]:
    """(whether calls of ``function`` may be followed into it, whether it is called without ``self``):
    a decorator we do not know may replace it with anything."""
    static = False
    for decorator in getattr(function.node, "decorators", ()):  # a lambda has none
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        names = module.qualified_names(expression)
        if isinstance(expression, cst.Name) and expression.value in ("staticmethod", "classmethod", "property"):
            static = static or expression.value == "staticmethod"
            continue
        if not names & TRANSPARENT_DECORATORS:
            return False, False
    return True, static


def callee_of(module: ModuleContext, call: cst.Call, at: StatementInfo | None,
              depth: int = 0) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    """The function of the project a call runs — (its module, its info, whether ``self`` is bound) — for a
    plain or imported function, ``self.method(…)``, ``obj.method(…)`` on an instance of a project class,
    and an instance called as a function (its ``forward``/``call``); None for anything else."""
    if at is None or depth > MAX_DEPTH:
        return None
    # asked for every call by the summaries of loss slots and of logs
    key = ("callee", id(call), context_key(module, at))
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    module.cache[key] = None
    found = _callee(module, call, at, depth)
    result = None
    if found is not None:
        home, function, method = found
        followable, static = is_followable(home, function)
        if followable:
            result = home, function, method and not static
    module.cache[key] = result
    return result


def initializer_of(module: ModuleContext, call: cst.Call, at: StatementInfo | None
                   ) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    """The ``__init__`` (own or inherited from a project base) that building an instance of a project class
    runs — ``Wrapper(w)`` — as (its module, its info, True: ``self`` is bound); None for anything else."""
    if at is None:
        return None
    key = ("initializer", id(call), context_key(module, at))
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    found = None
    names = module.qualified_names(call.func)
    owner: "tuple[ModuleContext, ClassInfo] | None" = None
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        if symbol is not None and isinstance(symbol[1], ClassInfo):
            owner = symbol  # type: ignore[assignment]
    elif isinstance(call.func, cst.Name):
        cls = module.classes.get(call.func.value)
        definitions = bindings(module, call.func.value, at)
        if cls is not None and definitions and all(d.target is cls.node for d in definitions):
            owner = (module, cls)
    if owner is not None:
        method = context_free(owner[0], owner[1], method_of(owner[0], owner[1], "__init__"))
        if method is not None and is_followable(method[0], method[1])[0]:
            found = method[0], method[1], True
    module.cache[key] = found
    return found


def _callee(module: ModuleContext, call: cst.Call, at: StatementInfo,
            depth: int) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    func = call.func
    names = module.qualified_names(func)
    tracer = _Tracer(module, at, depth)
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        if symbol is not None and isinstance(symbol[1], FunctionInfo):
            return symbol[0], symbol[1], False
        return None
    if isinstance(func, cst.Name):
        function = tracer._local_function(func.value)
        if function is not None:
            return module, function, False
    if isinstance(func, cst.Attribute):
        if isinstance(func.value, cst.Name) and func.value.value == "self":
            owner = self_class(module, at)
            found = method_of(*owner, func.attr.value) if owner is not None else None
            if found is not None:
                return (*found, True)
        if isinstance(func.value, cst.Call):
            parent = super_method(module, func.value, at, func.attr.value)
            if parent is not None:
                return parent[0], parent[1], True
        receiver = tracer.sub(func.value)
        if receiver is not None and receiver.cls is not None and receiver.home is not None:
            method = context_free(receiver.home, receiver.cls, method_of(receiver.home, receiver.cls, func.attr.value))
            if method is not None:
                return method[0], method[1], True
            if func.attr.value not in ("forward", "call", "__call__"):
                return None
        elif receiver is not None:
            return None
    if isinstance(func, (cst.Name, cst.Attribute, cst.Call)):
        callee = tracer.sub(func)
        if callee is not None and callee.cls is not None and callee.home is not None:
            forward = context_free(callee.home, callee.cls, called_method(callee.home, callee.cls))
            if forward is not None:
                return forward[0], forward[1], True
    return None


def agree(origins: "list[Origin | None]") -> Origin | None:
    """The common origin of several possibilities, or None when any is unknown or they disagree. A pending
    possibility (a function's result while it is being computed) adds nothing yet."""
    if not origins or any(o is None for o in origins):
        return None
    known = [o for o in origins if o.kind != PENDING]  # type: ignore[union-attr]
    if not known:
        return origins[0]
    origins = known
    first = origins[0]
    key = _key(first)
    if not all(_key(o) == key for o in origins[1:]):
        return None
    # Paths agreeing on what the values are but not on their width: the width is unknown.
    return first if all(o.units == first.units for o in origins[1:]) else without_units(first)  # type: ignore[union-attr]


def without_units(origin: Origin | None) -> Origin | None:
    """``origin`` once the shape may have changed (``x.view(-1)``, ``out[:, 0]``): the width is unknown."""
    if origin is None or origin.units is None:
        return origin
    return replace(origin, units=None, units_node=None)


def with_units_of(origin: Origin, source: Origin | None) -> Origin:
    """``origin`` (an activation of ``source``, or a model calling a layer) with ``source``'s width."""
    if source is None or source.units is None or source.kind not in (MODEL, MODEL_OUTPUT, ACTIVATION):
        return origin
    return replace(origin, units=source.units, units_node=source.units_node)


def _key(origin: Origin | None) -> object:
    if origin is None:
        return None
    return (origin.kind, origin.activation, origin.complement, origin.path, origin.called,
            id(origin.node) if origin.kind == PARAMETER else None,
            id(origin.cls.node) if origin.cls is not None else None,
            tuple(_key(e) for e in origin.elements), origin.keys)


def element(origin: Origin | None, path: tuple[int | str, ...]) -> Origin | None:
    """Element ``path`` of a TUPLE origin (by position) or a MAPPING origin (by key); of what a parameter
    receives, for a PARAMETER."""
    for index in path:
        if origin is None:
            return None
        if origin.kind == PARAMETER:
            return replace(origin, path=(*origin.path, index)) if not origin.called else None
        if origin.kind == MAPPING and isinstance(index, str):
            origin = origin.elements[origin.keys.index(index)] if index in origin.keys else None
            continue
        if origin.kind != TUPLE or not isinstance(index, int) or not -len(origin.elements) <= index < len(origin.elements):
            return None
        origin = origin.elements[index]
    return origin


def _literal_index(node: cst.Subscript) -> int | str | None:
    """``t[0]``, ``t[-1]``, ``outputs["probs"]``: the literal index or key; None otherwise."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return value.evaluated_value
    if isinstance(value, cst.Integer):
        return int(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) \
            and isinstance(value.expression, cst.Integer):
        return -int(value.expression.value)
    return None


def _is_one(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Integer) and node.value == "1") or (
        isinstance(node, cst.Float) and float(node.value) == 1.0)
