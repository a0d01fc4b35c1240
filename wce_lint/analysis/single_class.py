"""Softmax over a single class (WCE306), shared with WCE102, which stands down where this fires.

A softmax over an axis of size 1 is identically 1.0, and a softmax cross-entropy over one output is
identically 0 (``log_softmax`` of a single score is 0): nothing trains. The evidence is structural: a layer's
literal width (``Dense(1, activation="softmax")``, ``nn.Linear(h, 1)`` followed by ``nn.Softmax(dim=1)``), a
static shape whose softmax axis is 1, or a model of one output unit compiled with a categorical loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.apis import SOFTMAX, SPARSE, Signature
from wce_lint.analysis.calls import bind
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.evaluator import value_of

_DENSE_LAYERS = {"keras.layers.Dense": Signature(("units", "activation")),
                 "tensorflow.layers.dense": Signature(("inputs", "units", "activation")),
                 "tensorflow.compat.v1.layers.dense": Signature(("inputs", "units", "activation"))}
_SOFTMAX_LAYERS = frozenset({"keras.layers.Softmax", "torch.nn.Softmax"})
_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential", "torch.nn.Sequential"})
# The softmax's axis parameter and its default (None: no default we can vouch for — torch's implicit dim).
_AXIS = {"torch": ("dim", None), "tensorflow": ("axis", -1), "keras": ("axis", -1), "jax": ("axis", -1),
         "flax": ("axis", -1), "scipy": ("axis", None)}


@dataclass(frozen=True)
class SingleClass:
    node: cst.CSTNode  # where it is reported: the softmax, or the loss when there is none
    kind: str  # "softmax" (always 1.0) | "loss" (always 0)
    what: str  # the user's code, for the message
    width_node: cst.CSTNode | None = None  # the layer of one unit, when elsewhere
    covers: cst.CSTNode | None = None  # the loss argument WCE102 must not report again


def single_class_sites(module: ModuleContext) -> list[SingleClass]:
    cached = module.cache.get("single_class")
    if cached is None:
        cached = module.cache["single_class"] = list(_find(module))
    return cached  # type: ignore[return-value]


def covered_by_single_class(module: ModuleContext, node: cst.CSTNode) -> bool:
    return any(site.covers is node or site.node is node for site in single_class_sites(module))


def _find(module: ModuleContext):  # type: ignore[no-untyped-def]
    for site in module.calls:
        call, at = site.node, site.statement
        names = module.qualified_names(call.func)
        for name in names:
            if name in _DENSE_LAYERS:
                found = _dense(module, call, at, _DENSE_LAYERS[name])
                if found is not None:
                    yield found
            elif name in _SEQUENTIAL:
                yield from _sequential(module, call, at, torch=name.startswith("torch"))
        found = _softmax_call(module, call, at, names)
        if found is not None:
            yield found
    yield from _losses(module)


def _is_softmax(module: ModuleContext, value: cst.BaseExpression | None) -> bool:
    from wce_lint.analysis.keras_models import activation_named

    return value is not None and activation_named(module, value) == "softmax"


def _dense(module: ModuleContext, call: cst.Call, at: StatementInfo, signature: Signature) -> SingleClass | None:
    binding = bind(signature, call)
    activation = binding.value("activation")
    if not _is_softmax(module, activation) or value_of(module, binding.value("units"), at).integer != 1:
        return None
    return SingleClass(activation, "softmax", module.code(call))  # type: ignore[arg-type]


def _softmax_layer(module: ModuleContext, layer: cst.BaseExpression, torch: bool) -> bool:
    if not isinstance(layer, cst.Call):
        return False
    names = module.qualified_names(layer.func)
    if "keras.layers.Activation" in names:
        return _is_softmax(module, layer.args[0].value if layer.args else None)
    if "keras.layers.Softmax" in names:
        axis = bind(Signature(("axis",)), layer).value("axis")
        return axis is None or module.code(axis) == "-1"
    if torch and "torch.nn.Softmax" in names:
        dim = bind(Signature(("dim",)), layer).value("dim")
        return dim is not None and module.code(dim) in ("1", "-1")
    return False


def _sequential(module: ModuleContext, call: cst.Call, at: StatementInfo, torch: bool):  # type: ignore[no-untyped-def]
    if torch:
        layers = [a.value for a in call.args if not a.star and a.keyword is None]
    else:
        first = bind(Signature(("layers", "name")), call).value("layers")
        if not isinstance(first, (cst.List, cst.Tuple)):
            return
        layers = [e.value for e in first.elements]
    from wce_lint.analysis.provenance import LINEAR, MODEL

    for previous, layer in zip(layers, layers[1:]):
        if not _softmax_layer(module, layer, torch):
            continue
        width = value_of(module, previous, at).origin  # `Dense(1)`, `nn.Linear(8, 1)`: one raw output
        if width is not None and width.kind == MODEL and width.activation == LINEAR and width.units == 1:
            yield SingleClass(layer, "softmax", module.code(layer), width_node=previous)


def _softmax_call(module: ModuleContext, call: cst.Call, at: StatementInfo, names: frozenset[str]) -> SingleClass | None:
    from wce_lint.analysis.provenance import ACTIVATION_FUNCTIONS, SOFTMAX as SOFTMAX_ACTIVATION

    func = call.func
    if any(ACTIVATION_FUNCTIONS.get(n) == SOFTMAX_ACTIVATION for n in names):
        framework = next(iter(names)).split(".")[0]
        parameter, default = _AXIS.get(framework, ("axis", None))
        binding = bind(Signature(("input" if framework == "torch" else "x", parameter)), call)
        values = call.args[0].value if call.args and call.args[0].keyword is None and not call.args[0].star else None
        axis_node = binding.value(parameter)
    elif isinstance(func, cst.Attribute) and func.attr.value == "softmax" and not names:
        values, default = func.value, None  # x.softmax(dim)
        axis_node = bind(Signature(("dim",)), call).value("dim")
    else:
        return None
    if binding_open(call) or values is None:
        return None
    axis = default if axis_node is None else value_of(module, axis_node, at).integer
    if axis is None:
        return None
    value = value_of(module, values, at).static
    if value is None or value.shape is None or not -len(value.shape) <= axis < len(value.shape):
        return None
    if value.shape[axis] != 1:
        return None
    return SingleClass(call, "softmax", module.code(call))


def _rank(module: ModuleContext, node: cst.BaseExpression | None, at: StatementInfo) -> int | None:
    value = value_of(module, node, at).static if node is not None else None
    return len(value.shape) if value is not None and value.shape is not None else None


def binding_open(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def _losses(module: ModuleContext):  # type: ignore[no-untyped-def]
    """Softmax cross-entropy over one output: a compiled model of width 1, or logits of static width 1."""
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.losses import compiled_losses
    from wce_lint.analysis.provenance import LINEAR, MODEL_OUTPUT
    from wce_lint.analysis.weights import model_info

    for compiled in compiled_losses(module):
        if compiled.api.family not in (SOFTMAX, SPARSE) or compiled.model.activation != LINEAR:
            continue  # a softmax of one unit is reported at the softmax itself
        func = compiled.call.func
        statement = module.statement_of(compiled.call)
        if not isinstance(func, cst.Attribute) or statement is None:
            continue
        model = model_info(module, func.value, statement)
        if model is None or model.units != 1:
            continue
        yield SingleClass(compiled.argument.value, "loss", module.code(compiled.argument.value),
                          width_node=model.units_node, covers=compiled.argument.value)
    for loss in loss_calls(module):
        if loss.call is None or loss.arguments is None or loss.api.family not in (SOFTMAX, SPARSE):
            continue
        if loss.api.framework not in ("tensorflow", "keras", "optax", "torch"):
            continue
        argument = loss.arguments.get(loss.api.logits)
        if argument is None:
            continue
        if loss.option("axis") is not None or loss.option("dim") is not None:
            continue
        value = value_of(module, argument.value, loss.statement).static
        if value is not None and value.shape is not None and len(value.shape) >= 2:
            axis = 1 if loss.api.framework == "torch" else -1  # the class axis (defaults)
            if value.shape[axis] == 1:
                yield SingleClass(argument.value, "loss", module.code(argument.value), covers=argument.value)
            continue
        # The output of a model or layer one unit wide (`nn.Linear(64, 1)` as the last layer), wherever the
        # model is defined; its raw scores (a model ending in an activation is another rule's business). The
        # width is the last axis: TensorFlow's class axis. torch's is axis 1, the same only for [N, C] outputs,
        # which class-id targets of rank 1 prove (a [N, T, 1] output scores T positions: not one class).
        origin = value_of(module, argument.value, loss.statement).origin
        if origin is not None and origin.kind == MODEL_OUTPUT and origin.activation == LINEAR \
                and origin.units == 1 and not origin.complement \
                and (loss.api.framework != "torch" or _rank(module, loss.arguments.value(loss.api.labels),
                                                                loss.statement) == 1):
            yield SingleClass(argument.value, "loss", module.code(argument.value), width_node=origin.units_node,
                              covers=argument.value)
