"""Logarithms of sigmoid and softmax outputs, and the stable operation that replaces them.

A *log call* is ``tf.math.log``/``tf.log``, ``keras.ops.log``/``keras.backend.log``, ``torch.log``, the torch
tensor method ``.log()``, ``np.log``, ``jnp.log`` — or their ``log1p`` applied to a negated value
(``log1p(-p)`` is ``log(1 - p)``). Its argument is traced back to a sigmoid or softmax (see ``provenance``)
through assignments, through ``1 - p`` (the complement of a sigmoid), and through the guards people add to
silence the NaN: ``p + eps``, a clip (``clip_by_value``, ``clamp``, ``clip``) or a ``maximum(p, eps)``.

An *epsilon* is recognised by value, never by name: a constant in (0, 0.1], a parameter whose default is one,
``self.eps`` bound once to one, ``keras.backend.epsilon()``, ``finfo(...).eps``/``.tiny``.

``stable_replacement`` builds the text that replaces a *direct* ``log(sigmoid(x))`` /
``log(1 - sigmoid(x))`` / ``log(softmax(x, axis))`` in the same framework, and the import it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple, Sequence

import libcst as cst

from wce_lint.analysis.provenance import bindings
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.provenance import (
    ACTIVATION, CLIP, CLIP_FUNCTIONS, MODEL_OUTPUT, PARAMETER, SIGMOID, SOFTMAX, Origin, argument_for,
)
from wce_lint.analysis.evaluator import value_of
from wce_lint.diagnostics import Edit
from wce_lint.rule import TraceStep

MAX_DEPTH = 12

TENSORFLOW, KERAS, KERAS_BACKEND, TORCH, NUMPY, JAX = "tensorflow", "keras", "keras_backend", "torch", "numpy", "jax"

# Log functions by canonical qualified name → the framework whose stable op replaces them.
LOG_FUNCTIONS: dict[str, str] = {
    "tensorflow.math.log": TENSORFLOW, "tensorflow.log": TENSORFLOW, "tensorflow.compat.v1.log": TENSORFLOW,
    "tensorflow.compat.v1.math.log": TENSORFLOW, "keras.ops.log": KERAS, "keras.backend.log": KERAS_BACKEND,
    "torch.log": TORCH, "numpy.log": NUMPY, "jax.numpy.log": JAX,
}
LOG1P_FUNCTIONS: dict[str, str] = {
    "tensorflow.math.log1p": TENSORFLOW, "tensorflow.compat.v1.math.log1p": TENSORFLOW,
    "tensorflow.compat.v1.log1p": TENSORFLOW, "keras.ops.log1p": KERAS, "torch.log1p": TORCH,
    "numpy.log1p": NUMPY, "jax.numpy.log1p": JAX,
}
LOG_METHODS = {"log": TORCH}
LOG1P_METHODS = {"log1p": TORCH}

GUARD_CLIP_FUNCTIONS = CLIP_FUNCTIONS | {"keras.backend.clip", "tensorflow.compat.v1.clip_by_value"}
GUARD_CLIP_METHODS = frozenset({"clamp", "clip", "clamp_min", "clip_min"})
MAXIMUM_FUNCTIONS = frozenset({
    "tensorflow.maximum", "tensorflow.math.maximum", "tensorflow.compat.v1.maximum", "keras.ops.maximum",
    "keras.backend.maximum", "torch.maximum", "torch.max", "torch.clamp_min", "torch.fmax", "numpy.maximum",
    "numpy.fmax", "jax.numpy.maximum", "jax.numpy.fmax",
})
MAXIMUM_METHODS = frozenset({"maximum", "fmax"})
EPSILON_FUNCTIONS = frozenset({"keras.backend.epsilon", "keras.config.epsilon"})
FINFO_FUNCTIONS = frozenset({"torch.finfo", "numpy.finfo", "jax.numpy.finfo", "tensorflow.experimental.numpy.finfo"})
EPSILON_ATTRIBUTES = frozenset({"eps", "tiny", "smallest_normal"})
MAX_EPSILON = 0.1

EPSILON, CLIPPED, MAXIMUM = "epsilon", "clip", "maximum"
_GUARD_WORDS = {EPSILON: "an epsilon", CLIPPED: "a clip", MAXIMUM: "a maximum"}


@dataclass(frozen=True)
class Guard:
    kind: str  # EPSILON, CLIPPED or MAXIMUM
    node: cst.CSTNode

    @property
    def description(self) -> str:
        return _GUARD_WORDS[self.kind]


@dataclass(frozen=True)
class LogOfActivation:
    """``log(sigmoid(x))``, ``log(1 - sigmoid(x))`` or ``log(softmax(x))``, possibly through names and
    guards."""

    log: cst.Call
    argument: cst.BaseExpression  # what the log is applied to (the receiver of ``.log()``)
    log_api: str  # as written: ``tf.math.log``, ``.log()``, ``torch.log1p``
    framework: str  # of the log: TENSORFLOW, KERAS, KERAS_BACKEND, TORCH, NUMPY or JAX
    activation: Origin  # kind ACTIVATION; ``node`` is the sigmoid/softmax call
    complement: bool  # log(1 - sigmoid(x))
    guards: tuple[Guard, ...]
    trace: tuple[TraceStep, ...]
    direct: bool  # written in one expression, no names, no guards: the fix applies
    statement: StatementInfo
    # For a call of a helper that takes the log of its parameter: how the helper is reached, e.g.
    # "`probs` reaches `torch.log(probs)` in `nll` (losses.py:9)"; ``log`` is then the helper's log call.
    via: str = ""
    called: bool = False  # the helper calls what this call passes (`argument` is a model) and logs its output

    @property
    def kind(self) -> str:
        return self.activation.activation or ""


@dataclass(frozen=True)
class _Found:
    activation: Origin
    complement: bool
    guards: tuple[Guard, ...]
    trace: tuple[TraceStep, ...]


def logs_of_activations(module: ModuleContext) -> list[LogOfActivation]:
    """Every log of a sigmoid/softmax output in the module, in source order, then the calls of helpers that
    take the log of a parameter given one (memoised)."""
    cached = module.cache.get("logs_of_activations")
    if cached is None:
        found = (_log_of_activation(module, site.node, site.statement) for site in module.calls)
        cached = [item for item in found if item is not None and item.activation.kind != PARAMETER]
        cached.extend(_call_site_logs(module))
        module.cache["logs_of_activations"] = cached
    return cached  # type: ignore[return-value]


class LogSink(NamedTuple):
    """Parameter ``parameter`` of a function reaches ``log`` (its ``activation`` the PARAMETER origin)."""

    parameter: cst.Param
    log: "LogOfActivation"
    # Reached through `self.x` in another method of the class whose `__init__` this is (`summaries._applying`).
    in_method: bool = False


def log_sinks(home: ModuleContext, function, chain: int = 0) -> list[LogSink]:  # type: ignore[no-untyped-def]
    """The parameters of ``function`` whose log it takes (directly or through helpers it calls), each with the
    log found, its ``activation`` being the PARAMETER origin (memoised as ``summaries.memoised_summary``)."""
    return _log_sinks(home, function, chain)[0]


def _log_sinks(home: ModuleContext, function, chain: int):  # type: ignore[no-untyped-def]
    from wce_lint.analysis.summaries import memoised_summary

    return memoised_summary(home, ("log_sinks", id(function.node)), chain,
                            lambda depth: _compute_log_sinks(home, function, depth),
                            lambda sink: (id(sink.parameter), id(sink.log.log)))


def _compute_log_sinks(home: ModuleContext, function, chain: int):  # type: ignore[no-untyped-def]
    from wce_lint.analysis.summaries import other_methods, passed_on

    sinks: list[LogSink] = []
    methods = {id(m.node): m for m in other_methods(home, function)}  # an `__init__`'s `self.model = model`
    for site in home.calls:
        method = methods.get(id(site.statement.scope))
        if site.statement.scope is not function.node and method is None:
            continue
        found = _log_of_activation(home, site.node, site.statement)
        if found is not None and _is_parameter(found.activation) and found.activation.function is function.node:
            where = f"{home.short_path()}:{home.line(site.node)}"
            what = f"`{found.activation.api}(…)`" if found.activation.called else f"`{found.activation.api}`"
            via = f"{what} reaches `{_short(home, site.node)}` in `{(method or function).name}` ({where})"
            sinks.append(LogSink(found.activation.node, replace(found, via=via), method is not None))  # type: ignore[arg-type]
    passed, complete = passed_on(home, function, chain, _log_sinks, lambda sink: sink.parameter,
                                 calls_allowed=lambda sink: not sink.log.activation.called)
    for _site, callee_function, inner, param, argument, called in passed:
        name = param.name.value
        via = f"`{name}{'(…)' if called else ''}` is passed to `{callee_function.name}`: {inner.log.via}"
        activation = replace(inner.log.activation, called=True) if called else inner.log.activation
        sinks.append(LogSink(param, replace(inner.log, via=via, activation=activation)))  # (class checked)
    return sinks, complete


def _short(module: ModuleContext, node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(module.code(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _call_site_logs(module: ModuleContext) -> list[LogOfActivation]:
    """Calls of helpers that take the log of a parameter, given a sigmoid/softmax output for it: found at
    the argument, where the misuse becomes certain."""
    found_logs: list[LogOfActivation] = []
    from wce_lint.analysis.summaries import applying, called_at

    for site in module.calls:
        callee, built, site = called_at(module, site)  # (`partial(nll, SoftmaxNet())`: the call it amounts to)
        if callee is None or site.statement.scope is callee[1].node:
            continue
        home, function, method = callee
        for param, sink, _ in applying(module, site, function, built, log_sinks(home, function)):
            argument = argument_for(function.node, param, site.node, method)
            if argument is None:
                continue
            if sink.activation.called:  # `evaluate(Net(), x)` where `evaluate` takes `torch.log(model(x))`
                output = value_of(module, argument.value, site.statement).called
                found = _Found(output, output.complement, (), output.trace) if output is not None and \
                    output.activation in (SIGMOID, SOFTMAX) else None
            else:
                found = _resolve(module, argument.value, site.statement, 0)
            if found is None or found.activation.kind == PARAMETER:
                continue
            complement = found.complement ^ sink.complement
            if complement and found.activation.activation != SIGMOID:
                continue
            found_logs.append(LogOfActivation(
                sink.log, argument.value, sink.log_api, sink.framework, found.activation, complement,
                (*found.guards, *sink.guards), found.trace, False, site.statement, sink.via, sink.activation.called,
            ))
    return found_logs


def _log_call(module: ModuleContext, call: cst.Call) -> tuple[cst.BaseExpression, str, bool] | None:
    """(argument, framework, is_log1p) when ``call`` is a log call."""
    func = call.func
    names = module.qualified_names(func)
    for name in names:
        for table, is_log1p in ((LOG_FUNCTIONS, False), (LOG1P_FUNCTIONS, True)):
            if name in table:
                argument = _first_argument(call, ("x", "input", "a"))
                return (argument, table[name], is_log1p) if argument is not None else None
    if not names and isinstance(func, cst.Attribute) and not call.args:
        method = func.attr.value
        if method in LOG_METHODS:
            return func.value, LOG_METHODS[method], False
        if method in LOG1P_METHODS:
            return func.value, LOG1P_METHODS[method], True
    return None


def _first_argument(call: cst.Call, keywords: Sequence[str]) -> cst.BaseExpression | None:
    for argument in call.args:
        if argument.star:
            return None
        if argument.keyword is None or argument.keyword.value in keywords:
            return argument.value
    return None


def _log_of_activation(module: ModuleContext, call: cst.Call, at: StatementInfo) -> LogOfActivation | None:
    recognised = _log_call(module, call)
    if recognised is None:
        return None
    argument, framework, is_log1p = recognised
    inner = argument
    if is_log1p:
        # log1p(-p) is log(1 - p); log1p of anything else is not our pattern
        if not (isinstance(argument, cst.UnaryOperation) and isinstance(argument.operator, cst.Minus)):
            return None
        inner = argument.expression
    found = _resolve(module, inner, at, 0)
    if found is None:
        return None
    complement = found.complement ^ is_log1p
    if complement and found.activation.activation != SIGMOID and found.activation.kind != PARAMETER:
        return None
    activation_call = found.activation.node
    direct = not found.guards and (
        inner is activation_call
        or (not is_log1p and _one_minus(inner) is activation_call)
    )
    if isinstance(call.func, cst.Attribute) and not module.qualified_names(call.func):
        log_api = f".{call.func.attr.value}()"
    else:
        log_api = module.code(call.func)
    return LogOfActivation(call, argument, log_api, framework, found.activation, complement, found.guards,
                           found.trace, direct, at)


# -- tracing the argument back to the activation ----------------------------------------------------
def _resolve(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo, depth: int) -> _Found | None:
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, cst.BinaryOperation):
        return _binary(module, node, at, depth)
    if isinstance(node, cst.Call):
        guarded = _guarded_call(module, node, at, depth)
        if guarded is not None:
            return guarded if guarded is not _NOT_FOUND else None
    origin = value_of(module, node, at).origin
    if origin is not None:
        # A model's output counts like the activation it ends in: `torch.log(D(x))`.
        if origin.kind in (ACTIVATION, MODEL_OUTPUT) and origin.activation in (SIGMOID, SOFTMAX):
            return _Found(origin, origin.complement, (), origin.trace)
        if _is_parameter(origin):
            return _Found(origin, False, (), ())  # known at the call sites only (``log_sinks``)
        inner = origin.inner
        if origin.kind == CLIP and inner is not None and inner.kind in (ACTIVATION, MODEL_OUTPUT) \
                and inner.activation in (SIGMOID, SOFTMAX):
            return _Found(inner, inner.complement, (Guard(CLIPPED, origin.node),), (*origin.trace, *inner.trace))
        if origin.kind == CLIP and inner is not None and _is_parameter(inner):
            return _Found(inner, False, (Guard(CLIPPED, origin.node),), ())
    if isinstance(node, cst.Name):
        return _through_assignments(module, node, at, depth)
    return None


_NOT_FOUND = _Found(Origin(ACTIVATION, cst.Name("_")), False, (), ())  # a guard whose inner value is unknown


def _is_parameter(origin: Origin) -> bool:
    """A parameter as the caller passes it, or what calling it gives (``torch.log(model(x))``)."""
    return origin.kind == PARAMETER and not origin.path


def _binary(module: ModuleContext, node: cst.BinaryOperation, at: StatementInfo, depth: int) -> _Found | None:
    if isinstance(node.operator, cst.Add):
        for inner, other in ((node.left, node.right), (node.right, node.left)):
            if is_epsilon(module, other, at):
                found = _resolve(module, inner, at, depth + 1)
                return _guard(found, Guard(EPSILON, node))
        return None
    operand = _one_minus(node)
    if operand is not None:
        found = _resolve(module, operand, at, depth + 1)
        if found is None or (found.activation.activation != SIGMOID and found.activation.kind != PARAMETER):
            return None
        return replace(found, complement=not found.complement)
    return None


def _guarded_call(module: ModuleContext, call: cst.Call, at: StatementInfo, depth: int) -> _Found | None:
    """``clip(p, lo, hi)``, ``maximum(p, eps)``, ``p.clamp(min=eps)``: what ``p`` is, with the guard noted.
    None when ``call`` is not a guard; ``_NOT_FOUND`` when it is one around something else."""
    names = module.qualified_names(call.func)
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if names & GUARD_CLIP_FUNCTIONS:
        value = _first_argument(call, ("t", "x", "input", "a", "value"))
        if value is None:
            return _NOT_FOUND
        return _guard(_resolve(module, value, at, depth + 1), Guard(CLIPPED, call)) or _NOT_FOUND
    if names & MAXIMUM_FUNCTIONS:
        if len(call.args) != 2 or len(positional) != 2:
            return _NOT_FOUND
        for inner, other in ((positional[0], positional[1]), (positional[1], positional[0])):
            if is_epsilon(module, other, at):
                return _guard(_resolve(module, inner, at, depth + 1), Guard(MAXIMUM, call)) or _NOT_FOUND
        return _NOT_FOUND
    if not names and isinstance(call.func, cst.Attribute):
        method = call.func.attr.value
        if method in GUARD_CLIP_METHODS:
            return _guard(_resolve(module, call.func.value, at, depth + 1), Guard(CLIPPED, call)) or _NOT_FOUND
        if method in MAXIMUM_METHODS and len(positional) == 1 and is_epsilon(module, positional[0], at):
            return _guard(_resolve(module, call.func.value, at, depth + 1), Guard(MAXIMUM, call)) or _NOT_FOUND
    return None


def _guard(found: _Found | None, guard: Guard) -> _Found | None:
    if found is None:
        return None
    return replace(found, guards=(guard, *found.guards))


def _through_assignments(module: ModuleContext, node: cst.Name, at: StatementInfo, depth: int) -> _Found | None:
    """``p = p + eps`` and other steps the provenance does not follow: every reaching definition must agree."""
    from wce_lint.analysis.reach import possible_values

    bounds = possible_values(module, node, at)
    if not bounds:
        return None
    founds = []
    for bound in bounds:
        found = _resolve(bound.home, bound.value, bound.statement, depth + 1)
        if found is None:
            return None
        founds.append(replace(found, trace=(bound.step, *found.trace)))
    first = founds[0]
    key = (first.activation.kind, first.activation.activation, first.complement, bool(first.guards),
           id(first.activation.node) if first.activation.kind == PARAMETER else None)
    if any((f.activation.kind, f.activation.activation, f.complement, bool(f.guards),
            id(f.activation.node) if f.activation.kind == PARAMETER else None) != key for f in founds[1:]):
        return None
    return first


def _one_minus(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` for ``1 - x`` / ``1.0 - x``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) and _is_one(node.left):
        return node.right
    return None


def _is_one(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Integer) and node.evaluated_value == 1) or (
        isinstance(node, cst.Float) and node.evaluated_value == 1.0)


# -- epsilons -----------------------------------------------------------------------------------------
def is_epsilon(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo | None, depth: int = 0) -> bool:
    """A small positive constant added or compared to a probability to keep it off zero."""
    if at is None or depth > MAX_DEPTH:
        return False
    value = value_of(module, node, at).static
    if value is not None:
        scalar = value.scalar
        return scalar is not None and 0 < scalar <= MAX_EPSILON
    if isinstance(node, cst.Call):
        return bool(module.qualified_names(node.func) & EPSILON_FUNCTIONS)
    if isinstance(node, cst.Attribute):
        if node.attr.value in EPSILON_ATTRIBUTES and isinstance(node.value, cst.Call):
            return bool(module.qualified_names(node.value.func) & FINFO_FUNCTIONS)
        if isinstance(node.value, cst.Name) and node.value.value == "self":
            bound = _self_attribute(module, node.attr.value, at)
            return bound is not None and is_epsilon(module, bound[0], bound[1], depth + 1)
        return False
    if isinstance(node, cst.Name):
        definitions = bindings(module, node.value, at)
        if not definitions or len(definitions) != 1:
            return False
        target = definitions[0].target
        if isinstance(target, cst.Param) and target.default is not None:
            return is_epsilon(module, target.default, module.statement_of(target.default), depth + 1)
        value_node = definitions[0].value
        return value_node is not None and is_epsilon(module, value_node, definitions[0].statement, depth + 1)
    return False


def _self_attribute(module: ModuleContext, attribute: str,
                    at: StatementInfo) -> tuple[cst.BaseExpression, StatementInfo] | None:
    from wce_lint.analysis.reach import self_attribute_values

    assigned = self_attribute_values(module, at, attribute)
    if assigned is None or len(assigned) != 1 or assigned[0][0] is not module:
        return None
    return assigned[0][1], assigned[0][2]


# -- the stable operation --------------------------------------------------------------------------------
# (framework of the log, activation kind) → how the stable op is named in messages.
STABLE_OPS: dict[tuple[str, str], str] = {
    (TENSORFLOW, SIGMOID): "tf.math.log_sigmoid", (TENSORFLOW, SOFTMAX): "tf.nn.log_softmax",
    (KERAS, SIGMOID): "keras.ops.log_sigmoid", (KERAS, SOFTMAX): "keras.ops.log_softmax",
    (KERAS_BACKEND, SIGMOID): "tf.math.log_sigmoid", (KERAS_BACKEND, SOFTMAX): "tf.nn.log_softmax",
    (TORCH, SIGMOID): "torch.nn.functional.logsigmoid", (TORCH, SOFTMAX): "torch.log_softmax",
    (JAX, SIGMOID): "jax.nn.log_sigmoid", (JAX, SOFTMAX): "jax.nn.log_softmax",
    (NUMPY, SIGMOID): "scipy.special.log_expit", (NUMPY, SOFTMAX): "scipy.special.log_softmax",
}


def stable_op(found: LogOfActivation) -> str:
    return STABLE_OPS.get((found.framework, found.kind), "log_sigmoid" if found.kind == SIGMOID else "log_softmax")


def activation_framework(module: ModuleContext, found: LogOfActivation) -> str | None:
    """Which library the sigmoid/softmax came from: tensorflow, keras, torch, jax, flax, scipy."""
    call = found.activation.node
    if not isinstance(call, cst.Call):
        return None
    names = module.qualified_names(call.func)
    if not names and found.activation.api.startswith("."):
        return TORCH  # tensor methods x.sigmoid() / x.softmax(dim) are torch's
    heads = {name.split(".")[0] for name in names}
    if len(heads) != 1:
        return None
    return {"tensorflow": TENSORFLOW, "keras": KERAS, "torch": TORCH, "jax": JAX, "flax": "flax",
            "scipy": "scipy"}.get(heads.pop())


@dataclass(frozen=True)
class _Target:
    qualified: tuple[str, ...]  # canonical names of the stable op, any of which may be used
    new_import: tuple[str, str, str] | None  # (import line, name it binds, how the op is then spelled)
    min_parts: int = 1
    input_keyword: str = "x"  # the stable op's name for the input, for keyword arguments
    axis_keyword: str = "axis"


_SIGMOID_TARGETS: dict[tuple[str, str], _Target] = {
    (TENSORFLOW, TENSORFLOW): _Target(("tensorflow.math.log_sigmoid", "tensorflow.compat.v1.math.log_sigmoid"),
                                      ("import tensorflow as tf", "tf", "tf.math.log_sigmoid")),
    (KERAS, KERAS): _Target(("keras.ops.log_sigmoid",), ("import keras", "keras", "keras.ops.log_sigmoid")),
    (TORCH, TORCH): _Target(("torch.nn.functional.logsigmoid",),
                            ("import torch.nn.functional as F", "F", "F.logsigmoid"), min_parts=2),
    (JAX, JAX): _Target(("jax.nn.log_sigmoid",), ("import jax", "jax", "jax.nn.log_sigmoid")),
    (JAX, "flax"): _Target(("flax.linen.log_sigmoid",), None),
    (NUMPY, "scipy"): _Target(("scipy.special.log_expit",),
                              ("from scipy.special import log_expit", "log_expit", "log_expit")),
}
_SIGMOID_TARGETS[(TENSORFLOW, KERAS)] = _SIGMOID_TARGETS[(TENSORFLOW, TENSORFLOW)]
_SIGMOID_TARGETS[(KERAS, TENSORFLOW)] = _SIGMOID_TARGETS[(KERAS, KERAS)]

_TF_LOG_SOFTMAX = _Target(("tensorflow.nn.log_softmax", "tensorflow.compat.v1.nn.log_softmax"),
                          ("import tensorflow as tf", "tf", "tf.nn.log_softmax"), input_keyword="logits")
_SOFTMAX_TARGETS: dict[tuple[str, str], _Target] = {
    (TENSORFLOW, TENSORFLOW): _TF_LOG_SOFTMAX,
    (TENSORFLOW, KERAS): _TF_LOG_SOFTMAX,
    (KERAS, KERAS): _Target(("keras.ops.log_softmax",), ("import keras", "keras", "keras.ops.log_softmax")),
    (JAX, JAX): _Target(("jax.nn.log_softmax",), ("import jax", "jax", "jax.nn.log_softmax")),
    (JAX, "flax"): _Target(("flax.linen.log_softmax",), None),
    (NUMPY, "scipy"): _Target(("scipy.special.log_softmax",),
                              ("from scipy.special import log_softmax", "log_softmax", "log_softmax")),
}
_SOFTMAX_TARGETS[(KERAS, TENSORFLOW)] = _SOFTMAX_TARGETS[(KERAS, KERAS)]
# torch: the sibling of the softmax that was used (torch.softmax → torch.log_softmax, F.softmax → F.log_softmax).
_TORCH_SOFTMAX_SIBLINGS = {
    "torch.softmax": "torch.log_softmax", "torch.nn.functional.softmax": "torch.nn.functional.log_softmax",
    "torch.special.softmax": "torch.special.log_softmax",
}
_INPUT_KEYWORDS = frozenset({"x", "input", "logits", "features"})
_AXIS_KEYWORDS = frozenset({"axis", "dim"})


def stable_replacement(module: ModuleContext, found: LogOfActivation) -> tuple[str, tuple[Edit, ...]] | None:
    """The text replacing the whole log call, and any import edit it needs; None when there is no safe
    same-framework rewrite (not direct, an unknown mix of libraries, arguments we would have to drop)."""
    if not found.direct:
        return None
    log = found.log
    if isinstance(log.func, cst.Attribute) and not module.qualified_names(log.func):
        pass  # .log() / .log1p(): no arguments (checked when recognised)
    elif len(log.args) != 1:
        return None  # `name=`/`out=` on the log: not ours to drop
    source = activation_framework(module, found)
    call = found.activation.node
    if source is None or not isinstance(call, cst.Call):
        return None
    if found.kind == SIGMOID:
        return _sigmoid_replacement(module, found, call, source)
    if found.kind == SOFTMAX:
        return _softmax_replacement(module, found, call, source)
    return None


def _callee(module: ModuleContext, found: LogOfActivation, target: _Target,
            prefer: Sequence[str]) -> tuple[str, tuple[Edit, ...]] | None:
    from wce_lint.analysis.edits import add_import, reference

    at = found.statement
    text = reference(module, at, target.qualified, prefer=prefer, min_parts=target.min_parts)
    if text is not None:
        return text, ()
    if target.new_import is not None:
        statement, binds, spelled = target.new_import
        edit = add_import(module, at, statement, binds)
        if edit is not None:
            return spelled, (edit,)
    if target.min_parts > 1:
        text = reference(module, at, target.qualified, prefer=prefer)
        if text is not None:
            return text, ()
    # last resort: `from jax.nn import log_sigmoid`, when the alias the module import would bind is taken
    parent, _, name = target.qualified[0].rpartition(".")
    edit = add_import(module, at, f"from {parent} import {name}", name)
    if edit is not None:
        return name, (edit,)
    return None


def _heads(module: ModuleContext, *calls: cst.Call) -> tuple[str, ...]:
    heads = []
    for call in calls:
        func: cst.BaseExpression = call.func
        while isinstance(func, cst.Attribute):
            func = func.value
        if isinstance(func, cst.Name):
            heads.append(func.value)
    return tuple(heads)


def _sigmoid_replacement(module: ModuleContext, found: LogOfActivation, call: cst.Call,
                         source: str) -> tuple[str, tuple[Edit, ...]] | None:
    target = _SIGMOID_TARGETS.get((found.framework, source))
    if target is None:
        return None
    if found.activation.api.startswith("."):
        if call.args or not isinstance(call.func, cst.Attribute):
            return None
        value: cst.BaseExpression = call.func.value
    else:
        if len(call.args) != 1:
            return None
        argument = call.args[0]
        if argument.star or (argument.keyword is not None and argument.keyword.value not in _INPUT_KEYWORDS):
            return None
        value = argument.value
    callee = _callee(module, found, target, _heads(module, call, found.log))
    if callee is None:
        return None
    text = _negated(module, value) if found.complement else module.code(value)
    return f"{callee[0]}({text})", callee[1]


def _softmax_replacement(module: ModuleContext, found: LogOfActivation, call: cst.Call,
                         source: str) -> tuple[str, tuple[Edit, ...]] | None:
    if found.framework == TORCH and source == TORCH:
        if found.activation.api.startswith("."):
            assert isinstance(call.func, cst.Attribute)
            renamed = call.with_changes(func=call.func.with_changes(attr=cst.Name("log_softmax")))
            return _code_without_parens(module, renamed), ()
        names = module.qualified_names(call.func)
        siblings = sorted({_TORCH_SOFTMAX_SIBLINGS[n] for n in names if n in _TORCH_SOFTMAX_SIBLINGS})
        if len(siblings) != 1:
            return None
        target = _Target((siblings[0],), None)
        keep_keywords = True
    else:
        target = _SOFTMAX_TARGETS.get((found.framework, source))  # type: ignore[assignment]
        if target is None:
            return None
        keep_keywords = found.framework == source
    arguments = []
    for argument in call.args:
        if argument.star:
            return None
        if argument.keyword is not None and not keep_keywords:
            keyword = argument.keyword.value
            if keyword in _INPUT_KEYWORDS:
                argument = argument.with_changes(keyword=cst.Name(target.input_keyword))
            elif keyword in _AXIS_KEYWORDS:
                argument = argument.with_changes(keyword=cst.Name(target.axis_keyword))
            else:
                return None  # name=, where=, dtype=: not shared across libraries
        arguments.append(argument)
    callee = _callee(module, found, target, _heads(module, call, found.log))
    if callee is None:
        return None
    rebuilt = call.with_changes(func=cst.parse_expression(callee[0]), args=arguments)
    return _code_without_parens(module, rebuilt), callee[1]


def _code_without_parens(module: ModuleContext, call: cst.Call) -> str:
    return module.code(call.with_changes(lpar=(), rpar=()))


def _negated(module: ModuleContext, node: cst.BaseExpression) -> str:
    """``-x`` as source text, parenthesised when needed; ``-(-z)`` is written ``z``."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and not node.lpar:
        return module.code(node.expression)
    text = module.code(node)
    if node.lpar or isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)):
        return f"-{text}"
    return f"-({text})"
