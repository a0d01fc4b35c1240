"""Focal losses: the library APIs' parameter policies, and a module's own focal loss recognised by its
structure — never by its name.

A function is a focal loss when it computes a *modulating factor* ``(1 - p_t) ** gamma`` (or
``pow``/``np.power``/``torch.pow``/``tf.pow``/``keras.ops.power``/``.pow``) whose exponent is one of its
parameters, or ``self.gamma`` bound from an ``__init__`` parameter (a loss class), and computes a loss around
it: it calls a log, a sigmoid/softmax/exp or a cross-entropy (``(1 - step / total) ** power`` alone is a
polynomial learning-rate decay). Its *alpha* is a parameter used as a class-balancing weight in the same
function: it appears both as ``1 - alpha`` and as a factor of a product (``alpha * y``) or an argument of
``where(…, alpha, 1 - alpha)``; as the labels often appear the same way (``p * y + (1 - p) * (1 - y)``), alpha
is the one of those that receives numbers. When the function compares alpha with a number (``if alpha >= 0:``,
as torchvision does), a negative alpha may be a deliberate "off" switch.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.formulas import one_minus, powers
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.parameters import ParameterRef, argument_values, parameter_of
from wce_lint.analysis.walk import descendants

# How each focal API reads alpha: "unit" — a balancing weight in [0, 1] (alpha for positives, 1 - alpha for
# negatives); "unit_or_off" — the same, negative values switch it off (torchvision); "scale" — a per-class
# multiplier, any non-negative value (Keras categorical focal: inverse class frequencies are > 1);
# "balancing_flag" — "unit", only read when ``apply_class_balancing=True`` (Keras binary focal).
UNIT, UNIT_OR_OFF, SCALE, BALANCING_FLAG = "unit", "unit_or_off", "scale", "balancing_flag"
ALPHA_POLICY: dict[str, str] = {
    "keras.losses.BinaryFocalCrossentropy": BALANCING_FLAG,
    "keras.losses.binary_focal_crossentropy": BALANCING_FLAG,
    "keras.losses.CategoricalFocalCrossentropy": SCALE,
    "keras.losses.categorical_focal_crossentropy": SCALE,
    "optax.sigmoid_focal_loss": UNIT,
    "torchvision.ops.sigmoid_focal_loss": UNIT_OR_OFF,
}


def alpha_policy(display: str) -> str:
    return ALPHA_POLICY.get(display, UNIT)


@dataclass(frozen=True)
class FocalFunction:
    factor: cst.CSTNode  # the modulating factor ``(1 - p_t) ** gamma``
    statement: StatementInfo
    gamma: ParameterRef
    alpha: ParameterRef | None
    alpha_may_be_off: bool  # alpha is compared with a number: negative values may mean "no weighting"


def focal_functions(module: ModuleContext) -> list[FocalFunction]:
    """The module's own focal losses, one per (function, gamma parameter) (memoised)."""
    cached = module.cache.get("focal.functions")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[FocalFunction] = []
    seen: set[tuple[int, str]] = set()
    for power in powers(module):
        if not isinstance(power.statement.scope, cst.FunctionDef):
            continue
        if one_minus(module, power.base, power.statement) is None:
            continue
        gamma = parameter_of(module, power.exponent, power.statement)
        if gamma is None or gamma.key in seen or not _computes_a_loss(module, power.statement.scope):
            continue
        seen.add(gamma.key)
        alpha, may_be_off = _alpha(module, power.statement.scope, gamma)
        found.append(FocalFunction(power.node, power.statement, gamma, alpha, may_be_off))
    module.cache["focal.functions"] = found
    return found


def _alpha(module: ModuleContext, function: cst.FunctionDef,
           gamma: ParameterRef) -> tuple[ParameterRef | None, bool]:
    complemented: dict[tuple[int, str], ParameterRef] = {}
    weighting: set[tuple[int, str]] = set()
    compared: set[tuple[int, str]] = set()

    def ref(node: cst.BaseExpression, at: StatementInfo | None) -> ParameterRef | None:
        return parameter_of(module, node, at) if at is not None and isinstance(node, (cst.Name, cst.Attribute)) \
            else None

    for node in descendants(function.body):
        at = module.statement_of(node)
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Subtract) and at is not None:
                operand = one_minus(module, node, at)
                found = ref(operand[0], operand[1]) if operand is not None else None
                if found is not None:
                    complemented[found.key] = found
            elif isinstance(node.operator, cst.Multiply):
                for side in (node.left, node.right):
                    found = ref(side, at)
                    if found is not None:
                        weighting.add(found.key)
        elif isinstance(node, cst.Call) and _is_where(module, node):
            for argument in node.args[1:]:
                found = ref(argument.value, at)
                if found is not None:
                    weighting.add(found.key)
        elif isinstance(node, cst.Comparison):
            sides = [node.left, *(target.comparator for target in node.comparisons)]
            if any(_is_number(side) for side in sides):
                for side in sides:
                    found = ref(side, at)
                    if found is not None:
                        compared.add(found.key)
    candidates = [r for key, r in complemented.items() if key in weighting and key != gamma.key]
    if len(candidates) > 1:
        # `alpha * y + (1 - alpha) * (1 - y)` is symmetric in alpha and the labels: alpha is the one that
        # receives numbers (a default or a constant argument), the labels are tensors.
        candidates = [r for r in candidates if argument_values(module, r)]
    if len(candidates) != 1:
        return None, False
    alpha = candidates[0]
    return alpha, alpha.key in compared


def _computes_a_loss(module: ModuleContext, function: cst.FunctionDef) -> bool:
    """The function also takes a log, applies a sigmoid/softmax/exp or calls a cross-entropy: ``(1 - t) **
    power`` alone is also a polynomial learning-rate decay."""
    cached = module.cache.get(("focal.loss_like", id(function)))
    if cached is None:
        cached = False
        for node in descendants(function.body):
            if isinstance(node, cst.Call):
                func = node.func
                name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(
                    func, cst.Name) else ""
                lowered = name.lower()
                if lowered == "exp" or any(word in lowered for word in _LOSS_WORDS):
                    cached = True
                    break
        module.cache[("focal.loss_like", id(function))] = cached
    return bool(cached)


_LOSS_WORDS = ("log", "sigmoid", "softmax", "expit", "entropy", "nll", "bce")


def _is_where(module: ModuleContext, call: cst.Call) -> bool:
    names = module.qualified_names(call.func)
    if names:
        return any(name.rpartition(".")[2] == "where" for name in names)
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "where"


def _is_number(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))
