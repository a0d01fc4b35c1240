"""Questions rules ask about a loss call: is its prediction slot a logits slot, what reaches it, and which
Keras ``compile(loss=…)`` calls hand a loss to a model built here."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.apis import FROM_LOGITS, LOGITS, PROBABILITIES, LossAPI
from wce_lint.analysis.calls import LossCall, bind, compile_string_api, loss_calls
from wce_lint.analysis.apis import Signature
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.evaluator import value_of
from wce_lint.analysis.provenance import LOSS_OBJECT, MODEL, Origin


def from_logits(module: ModuleContext, loss: LossCall) -> bool | None:
    """The static value of a loss's ``from_logits`` (the API's default when not passed — False for Keras,
    True for segmentation_models_pytorch); None when unknown."""
    if loss.is_call_site:
        return loss.fixed_from_logits
    argument = loss.option("from_logits")
    if argument is None:
        binding = loss.constructor_arguments if loss.api.is_class else loss.arguments
        return None if binding is None or binding.open else loss.api.from_logits_default
    statement = loss.statement
    value = value_of(module, argument.value, statement).static
    if value is None or value.scalar is None:
        return None
    return bool(value.scalar)


def flag_value(module: ModuleContext, loss: LossCall, parameter: str, default: bool = False) -> bool | None:
    """The static truth of a boolean option (``log_target``); ``default`` when not passed; None when unknown."""
    argument = loss.option(parameter)
    if argument is None:
        binding = loss.constructor_arguments if loss.api.is_class else loss.arguments
        return None if binding is None or binding.open else default
    value = value_of(module, argument.value, loss.statement).static
    if value is None or value.scalar is None:
        return None
    return bool(value.scalar)


def expects(module: ModuleContext, loss: LossCall) -> str | None:
    """LOGITS, PROBABILITIES or LOG_PROBABILITIES for this call's prediction slot; None when it depends on an
    unknown."""
    if loss.is_call_site:
        return loss.fixed_expects
    if loss.api.expects != FROM_LOGITS:
        return loss.api.expects
    flag = from_logits(module, loss)
    if flag is None:
        return None
    return LOGITS if flag else PROBABILITIES


@dataclass(frozen=True)
class PredictionInput:
    loss: LossCall
    argument: cst.Arg
    origin: Origin
    called: bool = False  # the helper the argument goes to calls it: the prediction is the argument's output


def predictions(module: ModuleContext) -> list[PredictionInput]:
    """Every loss invocation whose prediction argument has a known origin (memoised: three rules ask)."""
    cached = module.cache.get("predictions")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found = []
    for loss in loss_calls(module):
        if loss.call is None or loss.arguments is None:
            continue
        argument = loss.arguments.get(loss.api.logits)
        if argument is None:
            continue
        called = loss.api.logits in loss.called_slots  # the helper calls what it is given: `train(Net(), loader)`
        if called:
            origin = value_of(module, argument.value, loss.statement).called
        else:
            origin = value_of(module, argument.value, loss.statement).origin
        if origin is not None:
            found.append(PredictionInput(loss, argument, origin, called))
    module.cache["predictions"] = found
    return found


@dataclass(frozen=True)
class CompiledLoss:
    """``model.compile(loss=…)`` where ``model`` is built in this module."""

    call: cst.Call
    model: Origin
    argument: cst.Arg  # the loss= argument
    api: LossAPI
    loss: LossCall | None  # the constructor's LossCall when the loss is a loss object
    from_logits: bool | None
    # A loss function of the project (`compile(loss=weighted_bce)`): how `y_pred` reaches the loss it wraps.
    via: str | None = None
    via_trace: tuple = ()


_COMPILE = Signature(("optimizer", "loss", "metrics", "loss_weights"))


def compiled_losses(module: ModuleContext) -> list[CompiledLoss]:
    cached = module.cache.get("compiled_losses")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[CompiledLoss] = []
    constructions = {id(l.constructor): l for l in loss_calls(module) if l.constructor is not None and l.call is None}
    for site in module.calls:
        func = site.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "compile"):
            continue
        model = value_of(module, func.value, site.statement).origin
        if model is None or model.kind != MODEL:
            continue
        argument = bind(_COMPILE, site.node).get("loss")
        if argument is None:
            continue
        compiled = _compiled(module, site.node, model, argument, site.statement, constructions)
        if compiled is not None:
            found.append(compiled)
    module.cache["compiled_losses"] = found
    return found


def _compiled(module: ModuleContext, call: cst.Call, model: Origin, argument: cst.Arg, statement: StatementInfo,
              constructions: dict[int, LossCall]) -> CompiledLoss | None:
    value = argument.value
    api = compile_string_api(value)
    if api is not None:
        return CompiledLoss(call, model, argument, api, None, False)
    # a loss function passed by reference: keras.losses.binary_crossentropy (from_logits=False)
    from wce_lint.analysis.apis import loss_api

    api = loss_api(module.qualified_names(value))
    if api is not None and not api.is_class:
        return CompiledLoss(call, model, argument, api, None, False)
    wrapped = _loss_function(module, call, model, argument, statement)
    if wrapped is not None:
        return wrapped
    origin = value_of(module, value, statement).origin
    if origin is None or origin.kind != LOSS_OBJECT or origin.loss is None:
        return None
    construction = constructions.get(id(origin.node))
    flag = from_logits(module, construction) if construction is not None else None
    return CompiledLoss(call, model, argument, origin.loss, construction, flag)


def _loss_function(module: ModuleContext, call: cst.Call, model: Origin, argument: cst.Arg,
                   statement: StatementInfo) -> CompiledLoss | None:
    """``compile(loss=weighted_bce)`` with ``def weighted_bce(y_true, y_pred)`` of the project: Keras calls it
    with the model's output second, so the loss ``y_pred`` reaches (by the function's summary) is the one
    compiled — what it expects is decided where it is written."""
    from wce_lint.analysis.apis import LOGITS, PROBABILITIES
    from wce_lint.analysis.provenance import function_referenced
    from wce_lint.analysis.summaries import function_sinks

    found = function_referenced(module, argument.value, statement) or _returned_function(
        module, argument.value, statement)
    offset = 0
    if found is None:
        found, offset = _loss_class_call(module, argument.value, statement), 1
    if found is None:
        return None
    home, function = found
    params = function.node.params.params
    if len(params) < 2 + offset or function.node.params.posonly_params:
        return None
    y_pred = params[1 + offset]
    sinks = [sink for sink in function_sinks(home, function)
             if sink.parameter is y_pred and not sink.called and not sink.constructor
             and sink.slot == sink.loss.api.logits]
    if not sinks or any(sink.loss.anchor is not sinks[0].loss.anchor for sink in sinks[1:]):
        return None  # no loss, or several: which one decides is not known
    sink = sinks[0]
    expected = expects(sink.home, sink.loss)
    flag = True if expected == LOGITS else False if expected == PROBABILITIES else None
    if flag is None:
        return None
    written = sink.home.code((sink.loss.constructor or sink.loss.anchor).func)
    if not isinstance(argument.value, cst.Call):
        named = f"`{function.name}`"
    elif offset:
        named = f"`{module.code(argument.value)}` (its `{function.name}`)"
    else:
        named = f"`{module.code(argument.value)}` (the `{function.name}` it returns)"
    via = f"{named} passes `{y_pred.name.value}` to `{written}`"
    return CompiledLoss(call, model, argument, sink.loss.api, None, flag, via, sink.trace)


def _loss_class_call(module: ModuleContext, value: cst.BaseExpression, statement: StatementInfo):  # type: ignore[no-untyped-def]
    """``compile(loss=FocalLoss(gamma=2.0))`` with a ``keras.losses.Loss`` subclass of the project: Keras calls
    its ``call(self, y_true, y_pred)`` (own or inherited)."""
    from wce_lint.analysis.classes import has_framework_base, method_of
    from wce_lint.analysis.provenance import INSTANCE

    origin = value_of(module, value, statement).origin
    if origin is None or origin.kind not in (INSTANCE, MODEL) or origin.cls is None or origin.home is None:
        return None
    if not any(has_framework_base(origin.home, origin.cls, base) for base in KERAS_LOSS_BASES):
        return None
    return method_of(origin.home, origin.cls, "call")


KERAS_LOSS_BASES = ("keras.losses.Loss", "keras.Loss")


def _returned_function(module: ModuleContext, value: cst.BaseExpression, statement: StatementInfo):  # type: ignore[no-untyped-def]
    """``compile(loss=weighted_bce(2.0))``: the function a loss factory of the project returns (its one
    ``return`` names a function, usually the closure it defines)."""
    from wce_lint.analysis.provenance import callee_of, function_referenced

    callee = callee_of(module, value, statement) if isinstance(value, cst.Call) else None
    if callee is None or len(callee[1].returns) != 1:
        return None
    home, function, _ = callee
    returned, at = function.returns[0]
    return function_referenced(home, returned, at)


@dataclass(frozen=True)
class CompiledMetric:
    """One entry of ``model.compile(metrics=[…])`` that is a crossentropy (a metric or loss object, a function
    or its string), on a model built in this module."""

    call: cst.Call
    model: Origin
    node: cst.BaseExpression  # the list element
    api: LossAPI
    loss: LossCall | None  # the constructor's LossCall for an object
    from_logits: bool | None


def compiled_metrics(module: ModuleContext) -> list[CompiledMetric]:
    cached = module.cache.get("compiled_metrics")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[CompiledMetric] = []
    constructions = {id(l.constructor): l for l in loss_calls(module) if l.constructor is not None and l.call is None}
    for site in module.calls:
        func = site.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "compile"):
            continue
        argument = bind(_COMPILE, site.node).get("metrics")
        if argument is None or not isinstance(argument.value, (cst.List, cst.Tuple)):
            continue
        model = value_of(module, func.value, site.statement).origin
        if model is None or model.kind != MODEL:
            continue
        for element in argument.value.elements:
            if isinstance(element, cst.StarredElement):
                continue
            as_argument = cst.Arg(element.value)
            compiled = _compiled(module, site.node, model, as_argument, site.statement, constructions)
            if compiled is not None:
                found.append(CompiledMetric(site.node, model, element.value, compiled.api, compiled.loss,
                                            compiled.from_logits))
    module.cache["compiled_metrics"] = found
    return found


# -- what a value looks like: a prediction or a target ----------------------------------------------
_CONSTANT_LIKE = frozenset({
    f"{lib}.{fn}" for lib in ("tensorflow", "torch", "numpy", "jax.numpy", "keras.ops")
    for fn in ("ones_like", "zeros_like", "ones", "zeros")
})


def is_prediction(origin: Origin | None) -> bool:
    """A model's output or an activation's: what goes into the prediction slot."""
    from wce_lint.analysis.provenance import ACTIVATION, CLIP, MODEL_OUTPUT

    if origin is None:
        return False
    if origin.kind == CLIP:
        return is_prediction(origin.inner)
    return origin.kind in (MODEL_OUTPUT, ACTIVATION)


def is_target(module: ModuleContext, value: cst.BaseExpression, at: StatementInfo | None) -> bool:
    """A one-hot, a literal tensor of 0s and 1s, or an all-ones/all-zeros target (GAN real/fake labels)."""
    if isinstance(value, cst.Call) and module.qualified_names(value.func) & _CONSTANT_LIKE:
        return True
    return value_of(module, value, at).binary_targets
