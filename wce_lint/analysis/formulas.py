"""Small arithmetic shapes hand-written losses are made of: ``1 - x``, ``b ** e`` (and ``pow``/``power``
calls), divisions — found once per module, each with the statement it sits in."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.reach import bound_value
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.walk import descendants

POWER_FUNCTIONS = frozenset({
    "math.pow", "numpy.power", "numpy.float_power", "jax.numpy.power", "jax.numpy.float_power", "torch.pow",
    "torch.float_power", "tensorflow.pow", "tensorflow.math.pow", "tensorflow.compat.v1.pow", "keras.ops.power",
    "keras.backend.pow", "tensorflow.experimental.numpy.power",
})
POWER_METHODS = frozenset({"pow", "pow_", "float_power", "__pow__"})
# Calls that keep a value's meaning: an array built from it, a cast.
TRANSPARENT_FUNCTIONS = frozenset({
    "numpy.array", "numpy.asarray", "numpy.float32", "numpy.float64", "torch.tensor", "torch.as_tensor",
    "tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.cast", "jax.numpy.array",
    "jax.numpy.asarray", "keras.ops.convert_to_tensor",
})
MAX_HOPS = 4
# A power operator after an operand (not `**kwargs`, `{**d}`), or any pow/power call or method.
_POWER_TEXT = re.compile(r"[\w)\]]\s*\*\*|pow")
_BASE_KEYWORDS = frozenset({"x", "x1", "input", "base", "self"})
_EXPONENT_KEYWORDS = frozenset({"y", "x2", "exponent", "exp"})


@dataclass(frozen=True)
class Power:
    node: cst.CSTNode  # the ``**`` operation or the pow call
    base: cst.BaseExpression
    exponent: cst.BaseExpression
    statement: StatementInfo


def power_parts(module: ModuleContext, node: cst.CSTNode) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """(base, exponent) of ``b ** e``, ``pow(b, e)``, ``np.power(b, e)``, ``torch.pow(b, e)``, ``b.pow(e)``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
        return node.left, node.right
    if not isinstance(node, cst.Call) or any(a.star for a in node.args):
        return None
    names = module.qualified_names(node.func)
    is_builtin = isinstance(node.func, cst.Name) and node.func.value == "pow" and not module.imports.is_imported("pow")
    if names & POWER_FUNCTIONS or is_builtin:
        if len(node.args) != 2:
            return None
        base = exponent = None
        for index, argument in enumerate(node.args):
            keyword = argument.keyword.value if argument.keyword is not None else None
            if (keyword is None and index == 0) or keyword in _BASE_KEYWORDS:
                base = argument.value
            elif (keyword is None and index == 1) or keyword in _EXPONENT_KEYWORDS:
                exponent = argument.value
        return (base, exponent) if base is not None and exponent is not None else None
    if not names and isinstance(node.func, cst.Attribute) and node.func.attr.value in POWER_METHODS:
        if len(node.args) == 1 and node.args[0].keyword is None:
            return node.func.value, node.args[0].value
    return None


def powers(module: ModuleContext) -> list[Power]:
    """Every power expression of the module (memoised)."""
    return _scan(module)[0]


def divisions(module: ModuleContext) -> list[tuple[cst.BinaryOperation, StatementInfo]]:
    """Every ``a / b`` of the module (memoised)."""
    return _scan(module)[1]


def _scan(module: ModuleContext) -> tuple[list[Power], list[tuple[cst.BinaryOperation, StatementInfo]]]:
    """One walk over the module for both powers and divisions."""
    cached = module.cache.get("formulas.scan")
    if cached is None and not _POWER_TEXT.search(module.text):
        cached = ([], [])  # no power anywhere: neither a focal factor nor an effective number
        module.cache["formulas.scan"] = cached
    if cached is None:
        found_powers: list[Power] = []
        found_divisions: list[tuple[cst.BinaryOperation, StatementInfo]] = []
        for node in descendants(module.module):
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
                statement = module.statement_of(node)
                if statement is not None:
                    found_divisions.append((node, statement))
                continue
            if not isinstance(node, (cst.BinaryOperation, cst.Call)):
                continue
            parts = power_parts(module, node)
            statement = module.statement_of(node) if parts else None
            if parts and statement is not None:
                found_powers.append(Power(node, parts[0], parts[1], statement))
        cached = (found_powers, found_divisions)
        module.cache["formulas.scan"] = cached
    return cached  # type: ignore[return-value]


def is_one(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Integer) and node.evaluated_value == 1) or (
        isinstance(node, cst.Float) and node.evaluated_value == 1.0)


def one_minus(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
              hops: int = 0) -> tuple[cst.BaseExpression, StatementInfo] | None:
    """``x`` (and where it is read) for ``1 - x`` / ``1.0 - x``, also through a name bound once in the same
    scope (``focal_weight = 1 - p_t``) and through array constructors and casts (``np.array(1.0 - b)``)."""
    if hops > MAX_HOPS:
        return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) and is_one(node.left):
        return node.right, at
    value = follow(module, node, at, hops)
    if value is not None:
        return one_minus(module, value[0], value[1], hops + 1)
    return None


def follow(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
           hops: int = 0) -> tuple[cst.BaseExpression, StatementInfo] | None:
    """One step back: the value of a name bound once where it is read, or the argument of a transparent
    call; None otherwise."""
    if hops > MAX_HOPS:
        return None
    if isinstance(node, cst.Name):
        bound = bound_value(module, node, at, same_scope=True)
        return (bound.value, bound.statement) if bound is not None else None
    if isinstance(node, cst.Call) and node.args and not node.args[0].star and node.args[0].keyword is None:
        if module.qualified_names(node.func) & TRANSPARENT_FUNCTIONS or (
                isinstance(node.func, cst.Name) and node.func.value == "float"):
            return node.args[0].value, at
    return None


def power_of(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
             hops: int = 0) -> tuple[cst.BaseExpression, cst.BaseExpression, StatementInfo] | None:
    """(base, exponent, where read) when ``node`` is, or is bound once to, a power."""
    if hops > MAX_HOPS:
        return None
    parts = power_parts(module, node)
    if parts is not None:
        return parts[0], parts[1], at
    value = follow(module, node, at, hops)
    if value is not None:
        return power_of(module, value[0], value[1], hops + 1)
    return None


def same_expression(module: ModuleContext, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    """The same name, attribute chain or literal (compared as code, whitespace and parentheses aside)."""
    return _normal(module, a) == _normal(module, b)


def _normal(module: ModuleContext, node: cst.BaseExpression) -> str:
    return "".join(module.code(node.with_changes(lpar=(), rpar=())).split())
