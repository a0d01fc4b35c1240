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
    attribute_assignments, called_method, context_key, has_framework_base, method_of, receiving, self_class,
    super_method,
)
from wce_lint.analysis.dataflow import reaching_definitions
from wce_lint.analysis.producers import (  # the producer tables, also asked of the evaluator by its clients
    ACTIVATION_FUNCTIONS, ACTIVATION_LAYERS, ACTIVATION_METHODS, CLIP_FUNCTIONS, CLIP_METHODS, DENSE_FUNCTIONS,
    INVERSE_ACTIVATIONS, LINEAR, LOG_SIGMOID, LOG_SOFTMAX, MODEL_RETURNING_METHODS, MODEL_WRAPPERS, MODULE_CONTAINERS,
    ONE_HOT_FUNCTIONS, PROBABILITY_ACTIVATIONS, SIGMOID, SOFTMAX, TRANSPARENT_FUNCTIONS, TRANSPARENT_METHODS,
    WIDTH_KEEPING_FUNCTIONS, WIDTH_KEEPING_METHODS, _ACTIVATION_METHOD_ARGUMENTS,
)
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
FUNCTION = "function"  # a lambda (calling it gives what its body produces)

MAX_DEPTH = 12

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
        return found + handed_to_changers(self.module, name, home)

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
        loop = definition.statement.node
        if isinstance(loop, cst.For) and loop.target is target:
            # `for net in (G, D):` / `for m in models:` — every element of a literal list or tuple agrees
            items = self.sub(loop.iter, definition.statement)
            if items is not None and items.kind == TUPLE and items.elements and None not in items.elements:
                return agree(list(items.elements))
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
        return self.imported_value(names) if names else (self.record_field(node) or self.instance_attribute(node))

    def record_field(self, node: cst.Attribute) -> Origin | None:
        """``out.probs`` of a dataclass record built in the project (``dataclass_record``), unless the code
        around changes the record (``out.probs = …``, ``out`` handed to a function that may change it)."""
        if not isinstance(node.value, cst.Name):
            return None
        record = self.sub(node.value)
        if record is None or record.kind != MAPPING or not record.api.startswith("dataclass ") \
                or node.attr.value not in record.keys or not self._unchanged_object(node.value.value):
            return None
        return element(record, (node.attr.value,))

    def _unchanged_object(self, name: str) -> bool:
        """The object bound once to ``name`` keeps its attributes: nothing around sets one (``name.x = …``),
        changes its layers, or hands it to a function that may (its own methods are the class's business)."""
        definitions = bindings(self.module, name, self.at)
        return len(definitions) == 1 and not any(
            write.method in (None, "call", "__setattr__") or write.changes_layers
            for write in self._writes(name, definitions[0]))

    def instance_attribute(self, node: cst.Attribute) -> Origin | None:
        """``w.model`` with ``w = Wrapper()``, an instance of a project class: what every ``self.model = …`` of
        the class (and its project bases) agrees on — unless the code around changes it (``w.model = …``,
        ``w.model.append(…)``, ``w`` handed to a function that may change it) or it is the constructor's
        parameter, which this read cannot substitute."""
        if not isinstance(node.value, cst.Name):
            return None
        receiver = self.sub(node.value)
        if receiver is None or receiver.kind not in (INSTANCE, MODEL) or receiver.cls is None \
                or receiver.home is None:
            return None
        name = node.value.value
        if not self._unchanged_object(name):
            return None
        origin = class_attribute(receiver.home, receiver.cls, node.attr.value, self.depth)
        if not _parameter_free(origin):
            return None
        return origin.via(f"`{name}.{node.attr.value}` is an attribute of `{receiver.cls.node.name.value}`",  # type: ignore[union-attr]
                          node)

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
            if name == "functools.partial":  # `partial(F.binary_cross_entropy_with_logits, pos_weight=w)`
                from wce_lint.analysis.calls import partial_loss

                partial = partial_loss(module, node, self.at)
                return Origin(LOSS_OBJECT, node, None, api_text, loss=partial.api) if partial is not None else None
            if name in MODULE_CONTAINERS:  # `nn.ModuleDict({"cls": head})["cls"]`, `nn.ModuleList([a, b])[1]`
                inner = self.first_argument(node)
                return inner if inner is not None and inner.kind in (MAPPING, TUPLE) else None
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
        if isinstance(func, (cst.Call, cst.Subscript)):
            # `nn.Sigmoid()(x)`, `Dense(1, activation="sigmoid")(x)`, `Model(...)(x)`, `self.heads["cls"](x)`
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
        from wce_lint.analysis.evaluator import value_of

        units = value_of(self.module, binding.value("units"), self.at).integer
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
        record = self.dataclass_record(home, definition, node)
        if record is not None:
            return record
        from wce_lint.analysis.keras_models import subclassed

        return subclassed(home, definition, node, self.depth)

    def dataclass_record(self, home: ModuleContext, owner: ClassInfo, node: cst.Call) -> Origin | None:
        """``Output(logits=z, probs=torch.sigmoid(z))`` of a plain dataclass of the project: each field with
        the origin of what this call gives it (by keyword, or by position in field order), read as
        ``out.probs``; None for any other class."""
        from wce_lint.analysis.classes import dataclass_fields

        fields = dataclass_fields(home, owner)
        if fields is None or any(a.star for a in node.args):
            return None
        given: dict[str, cst.BaseExpression] = {}
        for position, argument in enumerate(node.args):
            name = argument.keyword.value if argument.keyword is not None else (
                fields[position] if position < len(fields) else None)
            if name is None or name not in fields or name in given:
                return None  # what Python itself refuses
            given[name] = argument.value
        return Origin(MAPPING, node, api=f"dataclass {owner.node.name.value}", keys=tuple(fields),
                      elements=tuple(self.sub(given[f]) if f in given else None for f in fields))

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
        if receiver is not None and receiver.kind in (MODEL, INSTANCE) and receiver.cls is not None:
            attribute = self.instance_attribute(func)  # `w.model(x)`: a model kept as an attribute of `w`
            if attribute is not None:
                return self.called(attribute, node, api_text)
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


def in_progress() -> bool:
    """Whether some function's returns are being evaluated: what is computed now may be forgotten."""
    return bool(_IN_PROGRESS)


# Library functions that change a list in place.
IN_PLACE_FUNCTIONS = frozenset({"random.shuffle", "numpy.random.shuffle"})


def handed_to_changers(module: ModuleContext, name: str, home: object) -> list:  # type: ignore[type-arg]
    """The calls in ``home`` (or a function inside it that does not bind ``name``) that hand the dict or list
    bound to ``name`` to a function of the project that changes its parameter (``strip(out)`` with
    ``out["scores"] = …`` in ``strip``; through ``*args``/``**kwargs`` it may), or to an in-place library
    function (``random.shuffle``): changes of unknown keys, and of a model's layers when the callee changes
    those (``add_head(net)`` running ``net.append(nn.Sigmoid())``; memoised). One call deep."""
    from wce_lint.analysis.dataflow import KeyWrite, key_writes

    cache_key = ("handed_to_changers", name, id(home))
    cached = module.cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    found = []
    for site in module.calls:
        passed = [a for a in site.node.args if isinstance(a.value, cst.Name) and a.value.value == name]
        if not passed:
            continue
        scope = site.statement.scope
        while scope is not home and scope is not None and not module.definitions(scope, name):
            scope = module.enclosing_scope(scope)
        if scope is not home:
            continue
        changes = layers = bool(module.qualified_names(site.node.func) & IN_PLACE_FUNCTIONS)
        callee = None if changes else callee_of(module, site.node, site.statement)
        if callee is not None:
            callee_home, function, method = callee
            params = function.node.params
            for argument in passed:
                param = next((p for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                              if argument_for(function.node, p, site.node, method) is argument), None)
                writes = key_writes(callee_home, param.name.value, function.node) if param is not None else None
                if writes is None or writes:  # (a star argument, or one landing in `*args`: may be changed)
                    changes = True
                    layers = layers or writes is None or any(w.changes_layers for w in writes)
        if changes:  # (`method=None` changes a model's layers too; "call" only a dict's or a list's items)
            found.append(KeyWrite(None, None, site.statement, None if layers else "call", site.node))
    module.cache[cache_key] = found
    return found


def _forget(start: int) -> None:
    for cache, key in _JOURNAL[start:]:
        cache.pop(key, None)
    del _JOURNAL[start:]


def class_attribute(module: ModuleContext, owner: ClassInfo, attribute: str, depth: int) -> Origin | None:
    """``self.<attribute>`` of a class: the agreed origin of every assignment to it in the class and its
    project bases."""
    origins = []
    assignments = attribute_assignments(module, owner, attribute)
    if _layers_changed(module, owner, f"self.{attribute}"):
        return None  # `self.net.append(nn.Sigmoid())`, `self.net[-1] = …`: which layers it holds is not known
    for home, value, statement, path in assignments:
        origin = origin_of(home, value, statement, depth + 1)
        if path is not None:
            origin = element(origin, path)
        origins.append(origin.via(f"`self.{attribute}` is assigned here", value) if origin else None)
    if not origins:
        return None
    if any(o is not None and o.kind == PARAMETER for o in origins):
        # A constructor's parameter: which value depends on the instance. Kept as that parameter when it is the
        # one assignment, in the class's own `__init__` (`self.model = model`), so that a summary of
        # `__init__` sees it reach a loss in another method; no caller can substitute it (it is not theirs).
        return origins[0] if len(origins) == 1 and constructor_parameter(module, owner, origins[0]) else None
    return agree(origins)


def constructor_parameter(module: ModuleContext, owner: ClassInfo, origin: Origin | None) -> bool:
    """``origin`` is a plain parameter of ``owner``'s own ``__init__`` (in ``module``)."""
    initializer = owner.methods.get("__init__")
    return (origin is not None and origin.is_plain_parameter and initializer is not None
            and origin.function is initializer.node and module.classes.get(owner.node.name.value) is owner)


def _parameter_free(origin: Origin | None) -> bool:
    if origin is None or origin.kind in (PARAMETER, PENDING):
        return False
    return all(_parameter_free(e) for e in origin.elements if e is not None) and (
        origin.inner is None or _parameter_free(origin.inner))


def _layers_changed(module: ModuleContext, owner: ClassInfo, receiver: str) -> bool:
    """Whether a method of ``owner`` or of one of its project bases changes the layers ``self.<x>`` holds."""
    from wce_lint.analysis.classes import enclosing_class, linearization
    from wce_lint.analysis.dataflow import key_writes

    for home, entry in linearization(module, owner):
        if home is None or not isinstance(entry, ClassInfo):
            continue
        if any(w.changes_layers and enclosing_class(home, w.statement) is entry
               for w in key_writes(home, receiver, None)):
            return True
    return False


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


# Call resolution lives in `callees`; these names are asked of the evaluator by its clients too.
from wce_lint.analysis.callees import (  # noqa: E402 — after the evaluator, which `callees` imports lazily
    TRANSPARENT_DECORATORS, argument_for, callee_of, function_referenced, initializer_of, is_followable,
)
