"""The last activation of models and layers built in the module.

Covers Keras ``Sequential([...])`` and ``.add(...)``, functional ``Model(inputs, outputs)`` (following the
output tensor back through layer calls), ``Dense(..., activation=...)``, ``Activation(...)``, ``Softmax()``,
subclassed models whose ``call``/``forward`` returns a layer's output, and the PyTorch equivalents
(``nn.Sequential``, ``nn.Linear``, ``nn.Sigmoid``), since the question — "does this model end in a
sigmoid?" — is the same.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from wce_lint.analysis.calls import bind
from wce_lint.analysis.apis import Signature
from wce_lint.analysis.module import ClassInfo, ModuleContext, StatementInfo
from wce_lint.rule import TraceStep
from wce_lint.analysis.provenance import (
    ACTIVATION, ACTIVATION_FUNCTIONS, ACTIVATION_LAYERS, INSTANCE, LINEAR, MODEL, MODEL_OUTPUT, Origin, origin_of,
)

def _integer(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo) -> int | None:
    from wce_lint.analysis.evaluator import value_of  # (this module is loaded by the evaluator's origin domain)

    return value_of(module, node, at).integer


OTHER = "other"  # an activation we do not know: neither probabilities nor raw logits we can vouch for
# Activations whose outputs cannot be probabilities (unbounded, or negative): kept by name, for WCE102.
NON_PROBABILITY_ACTIVATIONS = frozenset({"relu", "relu6", "leaky_relu", "elu", "selu", "softplus", "exponential",
                                         "tanh", "swish", "silu", "gelu"})

SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential", "torch.nn.Sequential"})
FUNCTIONAL = frozenset({"keras.Model", "keras.models.Model"})
# Layers that pass their input's meaning through unchanged.
PASS_THROUGH_LAYERS = frozenset({"Dropout", "Flatten", "Reshape", "Identity", "GaussianNoise", "AlphaDropout",
                                 "SpatialDropout1D", "SpatialDropout2D", "ActivityRegularization"})
# Activation modules whose outputs cannot be probabilities, by the activation's name (WCE102).
NON_PROBABILITY_LAYERS = {"torch.nn.ReLU": "relu", "torch.nn.ReLU6": "relu6", "torch.nn.LeakyReLU": "leaky_relu",
                          "torch.nn.ELU": "elu", "torch.nn.SELU": "selu", "torch.nn.Softplus": "softplus",
                          "torch.nn.Tanh": "tanh", "torch.nn.SiLU": "silu", "torch.nn.GELU": "gelu",
                          "keras.layers.ReLU": "relu", "keras.layers.LeakyReLU": "leaky_relu", "keras.layers.ELU": "elu"}
LINEAR_LAYERS = frozenset({"torch.nn.Linear", "torch.nn.LazyLinear", "torch.nn.Bilinear"})
# Layers that keep the width of what they receive (activations, dropout, normalisation), by short name.
WIDTH_KEEPING_LAYERS = frozenset({
    "Activation", "Softmax", "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "Identity",
    "ActivityRegularization", "BatchNormalization", "LayerNormalization", "Sigmoid", "LogSoftmax", "ReLU",
    "LeakyReLU", "Tanh", "Softmax2d", "LogSigmoid", "Dropout1d", "ReLU6", "ELU", "SELU", "GELU", "SiLU",
    "Softplus", "BatchNorm1d", "LayerNorm",
})
# Where a layer's output width is written: (parameters by position, the width's parameter).
_WIDTH_PARAMETERS = {"keras.layers.Dense": (("units",), "units"),
                     "torch.nn.Linear": (("in_features", "out_features"), "out_features"),
                     "torch.nn.LazyLinear": (("out_features",), "out_features"),
                     "torch.nn.Bilinear": (("in1_features", "in2_features", "out_features"), "out_features")}


def activation_named(module: ModuleContext, value: cst.BaseExpression | None) -> str | None:
    """``"sigmoid"``, ``tf.nn.sigmoid``, ``keras.activations.softmax``, ``None`` → an activation kind."""
    if value is None:
        return LINEAR
    if isinstance(value, cst.Name) and value.value == "None":
        return LINEAR
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        text = value.evaluated_value.lower()
        known = {"sigmoid": "sigmoid", "softmax": "softmax", "linear": LINEAR, "log_softmax": "log_softmax"}
        return known.get(text, text if text in NON_PROBABILITY_ACTIVATIONS else OTHER)
    for name in module.qualified_names(value):
        if name in ACTIVATION_FUNCTIONS:
            return ACTIVATION_FUNCTIONS[name]
        if name.startswith(("keras.activations.", "tensorflow.nn.", "tensorflow.math.")):
            short = name.rpartition(".")[2]
            return LINEAR if short == "linear" else short if short in NON_PROBABILITY_ACTIVATIONS else OTHER
    return None


def _layer_units(module: ModuleContext, call: cst.Call, name: str, at: StatementInfo
                 ) -> tuple[int | None, cst.CSTNode | None]:
    if name not in _WIDTH_PARAMETERS:
        return None, None
    parameters, width = _WIDTH_PARAMETERS[name]
    node = bind(Signature(parameters), call).value(width)
    units = _integer(module, node, at)
    return (units, call) if units is not None else (None, None)  # the layer, for traces


def keeps_width(module: ModuleContext, layer: cst.BaseExpression) -> bool:
    """``Dropout(0.2)``, ``nn.Sigmoid()``, ``layers.Activation("softmax")``: the output is as wide as the input."""
    return isinstance(layer, cst.Call) and any(
        n.rpartition(".")[2] in WIDTH_KEEPING_LAYERS and n.startswith(("keras.layers.", "torch.nn."))
        for n in module.qualified_names(layer.func))


def last_width(module: ModuleContext, layers: list[cst.BaseExpression], at: StatementInfo,
               depth: int) -> tuple[int | None, cst.CSTNode | None]:
    """The output width of a stack of layers: the last one that sets a width (activations and dropout keep it)."""
    for layer in reversed(layers):
        if keeps_width(module, layer):
            continue
        origin = origin_of(module, layer, at, depth + 1)
        if origin is None or origin.kind != MODEL:
            return None, None
        return origin.units, origin.units_node
    return None, None


def model_from_constructor(module: ModuleContext, call: cst.Call, at: StatementInfo, depth: int) -> Origin | None:
    """A MODEL origin for a call that builds a model or layer, else None."""
    names = module.qualified_names(call.func)
    api_text = module.code(call.func)
    for name in names:
        if name in SEQUENTIAL:
            return _sequential(module, call, at, depth, api_text, torch=name.startswith("torch"))
        if name in FUNCTIONAL:
            return _functional(module, call, at, depth, api_text)
        if name in ACTIVATION_LAYERS:
            return Origin(MODEL, call, ACTIVATION_LAYERS[name], api_text)
        if name in LINEAR_LAYERS:
            units, units_node = _layer_units(module, call, name, at)
            return Origin(MODEL, call, LINEAR, api_text, units=units, units_node=units_node)
        if name in NON_PROBABILITY_LAYERS:
            return Origin(MODEL, call, NON_PROBABILITY_LAYERS[name], api_text)
        if name.startswith("keras.applications."):
            return _keras_application(module, call, name, at, api_text)
        if name.startswith("torchvision.models.") and name.count(".") == 2:
            return _torchvision_classifier(module, call, name, at, api_text)
        if name.startswith("keras.layers."):
            layer = _keras_layer(module, call, name.rpartition(".")[2], api_text)
            if layer is not None and name in _WIDTH_PARAMETERS:
                units, units_node = _layer_units(module, call, name, at)
                layer = replace(layer, units=units, units_node=units_node)
            return layer
    if not names and isinstance(call.func, cst.Name):
        owner = module.classes.get(call.func.value)
        if owner is not None and _is_this_class(module, call, owner, at):
            from wce_lint.analysis.provenance import _Tracer

            record = _Tracer(module, at, depth).dataclass_record(module, owner, call)
            return record if record is not None else subclassed(module, owner, call, depth)
    return None


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    return next((a.value for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _keras_application(module: ModuleContext, call: cst.Call, name: str, at: StatementInfo,
                       api_text: str) -> Origin | None:
    """``keras.applications.ResNet50(…)``: with its top (``include_top=True``, the default) it ends in
    ``classifier_activation`` — ``"softmax"`` unless given — over ``classes`` units (1000 by default)."""
    constructor = name.rpartition(".")[2]
    if not constructor[:1].isupper() or any(a.star for a in call.args):
        return None  # `preprocess_input`, `decode_predictions` …: functions, not models
    include_top = _keyword(call, "include_top")
    if include_top is None and any(a.keyword is None for a in call.args):
        return None  # `ResNet50(False)`: positional arguments differ between the applications
    if include_top is not None and not (isinstance(include_top, cst.Name) and include_top.value == "True"):
        return None  # without its top (or unknown): feature maps, not a classifier
    activation = _keyword(call, "classifier_activation")
    kind = "softmax" if activation is None else activation_named(module, activation)
    if kind is None:
        return None
    classes = _keyword(call, "classes")
    units = 1000 if classes is None else _integer(module, classes, at)
    return Origin(MODEL, call, kind, api_text, units=units, units_node=call if units is not None else None)


# torchvision's classification builders end in a linear layer of `num_classes` (1000) units; those returning
# auxiliary outputs in training (GoogLeNet, Inception v3) and `get_model` (any model) are left out.
_TORCHVISION_OTHERS = frozenset({"googlenet", "inception_v3", "get_model", "get_weight", "get_model_weights",
                                 "list_models", "get_model_builder"})


def _torchvision_classifier(module: ModuleContext, call: cst.Call, name: str, at: StatementInfo,
                            api_text: str) -> Origin | None:
    builder = name.rpartition(".")[2]
    if not builder[:1].islower() or builder in _TORCHVISION_OTHERS or any(a.star for a in call.args):
        return None
    classes = _keyword(call, "num_classes")
    units = 1000 if classes is None else _integer(module, classes, at)
    return Origin(MODEL, call, LINEAR, api_text, units=units, units_node=call if units is not None else None)


def _is_this_class(module: ModuleContext, call: cst.Call, owner: ClassInfo, at: StatementInfo) -> bool:
    """The name called is bound to the module-level class (not rebound to something else in between)."""
    from wce_lint.analysis.provenance import bindings

    definitions = bindings(module, call.func.value, at)  # type: ignore[attr-defined]
    return definitions is None or not definitions or all(d.target is owner.node for d in definitions)


def _keras_layer(module: ModuleContext, call: cst.Call, layer: str, api_text: str) -> Origin | None:
    if layer == "Activation":
        value = call.args[0].value if call.args else None
        kind = activation_named(module, value)
        return Origin(MODEL, call, kind, api_text) if kind else None
    if layer in ("Softmax",):
        return Origin(MODEL, call, "softmax", api_text)
    if layer in PASS_THROUGH_LAYERS:
        return None
    activation = next((a.value for a in call.args if a.keyword and a.keyword.value == "activation"), None)
    if layer == "Dense" and activation is None:
        # Dense(units, activation) — the activation may also be passed by position
        activation = bind(Signature(("units", "activation")), call).value("activation")
    kind = activation_named(module, activation) if activation is not None or layer == "Dense" else None
    return Origin(MODEL, call, kind, api_text) if kind else None


def last_layer(module: ModuleContext, layers: list[cst.BaseExpression], at: StatementInfo,
                depth: int) -> Origin | None:
    for layer in reversed(layers):
        if isinstance(layer, cst.Call):
            names = module.qualified_names(layer.func)
            if any(n.rpartition(".")[2] in PASS_THROUGH_LAYERS for n in names):
                continue
        return origin_of(module, layer, at, depth + 1)
    return None


def _sequential(module: ModuleContext, call: cst.Call, at: StatementInfo, depth: int, api_text: str,
                torch: bool) -> Origin | None:
    positional = [a for a in call.args if a.keyword is None]
    if torch and positional and positional[-1].star == "*" or not torch and len(positional) == 1:
        # `nn.Sequential(*make_layers())`, `keras.Sequential(make_layers())`: the list a helper returns ends it
        returned = returned_layers(module, positional[-1].value, at)
        if returned is not None:
            return _ending_in(returned[0], call, returned[1], returned[2], depth, api_text)
    if torch:
        # `nn.Sequential(nn.Linear(4, 1), *extra)`: what follows the last starred list we cannot read is known;
        # `nn.Sequential(*layers)` with `layers = [...]; layers.append(...)` is read
        layers = _known_tail(module, [(a.value, bool(a.star)) for a in positional], at)
        named = _ordered_dict_layers(module, call)
        if named is not None:  # `nn.Sequential(OrderedDict([("fc", nn.Linear(8, 1)), ("act", nn.Sigmoid())]))`
            layers = named
    else:
        first = call.args[0].value if call.args and call.args[0].keyword is None else next(
            (a.value for a in call.args if a.keyword and a.keyword.value == "layers"), None)
        if first is None:
            return Origin(MODEL, call, None, api_text)  # layers come from .add(...)
        if isinstance(first, (cst.List, cst.Tuple)):
            layers = _known_tail(module, [(e.value, isinstance(e, cst.StarredElement)) for e in first.elements], at)
        else:  # `keras.Sequential(layers)` with a list built before
            listed = list_layers(module, first, at)
            if listed is None:
                return None
            layers = listed[0]
    return _ending_in(module, call, layers, at, depth, api_text)


def _ending_in(module: ModuleContext, call: cst.Call, layers: list[cst.BaseExpression], at: StatementInfo,
               depth: int, api_text: str) -> Origin | None:
    """The container model ``call`` builds, whose last layers are ``layers`` (read in ``module`` at ``at``)."""
    last = last_layer(module, layers, at, depth)
    if last is None or last.kind != MODEL:
        return None
    units, units_node = last_width(module, layers, at, depth)
    return Origin(MODEL, call, last.activation, api_text, trace=(*last.trace, _last_layer_step(module, last)),
                  units=units, units_node=units_node)


def returned_layers(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                    ) -> tuple[ModuleContext, list[cst.BaseExpression], StatementInfo] | None:
    """The whole list of layers a project function returns (``def make_layers(): return [nn.Linear(8, 1),
    nn.Sigmoid()]``, or a list it builds with ``append`` before its one ``return``), as (its module, the
    layers, the ``return`` statement); None for anything else — a starred or partly known list, several
    returns, a call we cannot follow."""
    from wce_lint.analysis.reach import step_out

    returned = step_out(module, node, at) if isinstance(node, cst.Call) else None
    if returned is None:
        return None
    home, value, statement = returned.home, returned.value, returned.statement
    if isinstance(value, cst.List):
        if any(isinstance(e, cst.StarredElement) for e in value.elements) or not value.elements:
            return None
        return home, [e.value for e in value.elements], statement
    listed = list_layers(home, value, statement)
    if listed is None or not listed[1] or not listed[0]:
        return None
    return home, listed[0], statement


def _known_tail(module: ModuleContext, items: list[tuple[cst.BaseExpression, bool]],
                at: StatementInfo) -> list[cst.BaseExpression]:
    """The layers at the end of ``items`` (expression, starred) that are known: a starred list variable is
    read (``list_layers``); anything before a starred value we cannot read is dropped."""
    layers: list[cst.BaseExpression] = []
    for value, starred in items:
        if not starred:
            layers.append(value)
            continue
        listed = list_layers(module, value, at)
        if listed is None:
            layers = []
            continue
        tail, complete = listed
        layers = [*layers, *tail] if complete else list(tail)
    return layers


def list_layers(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo
                ) -> tuple[list[cst.BaseExpression], bool] | None:
    """What a list variable holds at ``at`` — ``layers = [nn.Linear(8, 16)]; …; layers.append(nn.Sigmoid())``
    — as (the known tail, whether the whole list is known). An ``append`` of one layer in the binding's own
    block extends it; any other change (a loop, a branch, ``extend``, ``+=``, an index) leaves only what is
    appended after it known. None when the name is not one list literal bound in this scope."""
    from wce_lint.analysis.dataflow import key_writes
    from wce_lint.analysis.provenance import bindings

    if not isinstance(node, cst.Name) or at.loops:
        return None
    definitions = bindings(module, node.value, at)
    if not definitions or len(definitions) != 1 or not isinstance(definitions[0].value, cst.List):
        return None
    binding = definitions[0].statement
    literal = definitions[0].value.elements
    layers = [e.value for e in literal if not isinstance(e, cst.StarredElement)]
    complete = len(layers) == len(literal)
    for write in key_writes(module, node.value, None):
        if write.statement.scope is not binding.scope:
            if _sees(module, write.statement.scope, binding.scope, node.value):
                return None  # changed in a function inside this scope: when is not known
            continue  # another function's own `layers`
        if not binding.order < write.statement.order < at.order:
            continue
        call = write.call
        if write.method == "append" and call is not None and len(call.args) == 1 and not call.args[0].star \
                and call.args[0].keyword is None and write.statement.blocks == binding.blocks \
                and write.statement.loops == binding.loops:
            layers.append(call.args[0].value)
        else:
            layers, complete = [], False
    return layers, complete


def _sees(module: ModuleContext, scope, home, name: str) -> bool:  # type: ignore[no-untyped-def]
    """``scope`` is nested in ``home`` and reads ``name`` from it (does not bind it itself)."""
    while scope is not None and scope is not home and not module.definitions(scope, name):
        scope = module.enclosing_scope(scope)
    return scope is home


def _ordered_dict_layers(module: ModuleContext, call: cst.Call) -> list[cst.BaseExpression] | None:
    """The layers of ``nn.Sequential(OrderedDict([(name, layer), …]))``, in order; None for any other form."""
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    inner = call.args[0].value
    if not isinstance(inner, cst.Call) or not module.qualified_names(inner.func) & {"collections.OrderedDict"} \
            or len(inner.args) != 1 or not isinstance(inner.args[0].value, (cst.List, cst.Tuple)):
        return None
    layers = []
    for element in inner.args[0].value.elements:
        pair = element.value
        if isinstance(element, cst.StarredElement) or not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
            return None
        layers.append(pair.elements[1].value)
    return layers


def _last_layer_step(module: ModuleContext, layer: Origin) -> TraceStep:
    return TraceStep(f"the last layer is `{module.code(layer.node.func) if isinstance(layer.node, cst.Call) else layer.api}`"
                     f" ({layer.activation} activation)", layer.node)


def _functional(module: ModuleContext, call: cst.Call, at: StatementInfo, depth: int, api_text: str) -> Origin | None:
    outputs = bind(Signature(("inputs", "outputs", "name")), call).value("outputs")
    if outputs is None:
        return None
    produced = origin_of(module, outputs, at, depth + 1)
    if produced is None:
        return None
    if produced.kind in (MODEL_OUTPUT, ACTIVATION):
        return Origin(MODEL, call, produced.activation, api_text, trace=produced.trace, units=produced.units,
                      units_node=produced.units_node)
    return None


def subclassed(module: ModuleContext, owner: ClassInfo, call: cst.Call, depth: int) -> Origin:
    """An instance of a class of the project (``module`` defines it). When its ``call``/``forward`` returns
    the output of an activation or of a layer with a known activation, it is a MODEL with that last
    activation; otherwise an INSTANCE, whose methods and ``forward`` the provenance still follows."""
    from wce_lint.analysis.classes import called_method, receiving

    name = owner.node.name.value
    instance = Origin(INSTANCE, call, None, name, cls=owner, home=module)
    found = called_method(module, owner, ("call", "forward"))  # its own, or inherited from a project base
    if found is None or not found[1].returns:
        return instance
    home, method = found
    kinds = []
    for value, statement in method.returns:
        with receiving((module, owner)):  # `self.head` in an inherited `forward` is this class's
            produced = origin_of(home, value, statement, depth + 1)
        if produced is None or produced.kind not in (MODEL_OUTPUT, ACTIVATION):
            return instance
        kinds.append(produced)
    first = kinds[0]
    if any(k.activation != first.activation for k in kinds[1:]):
        return instance
    same_width = all(k.units == first.units for k in kinds[1:])
    return Origin(MODEL, call, first.activation, name, trace=first.trace, cls=owner, home=module,
                  units=first.units if same_width else None, units_node=first.units_node if same_width else None)
