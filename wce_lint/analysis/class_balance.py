"""Class-balanced weights from the effective number of samples (Cui et al., 2019), recognised by structure:
a division ``(1 - beta) / (1 - beta ** n)`` — or its inverse, the effective number ``(1 - beta ** n) /
(1 - beta)`` — where the numerator and denominator may be written in place or bound once to names
(``effective_num = 1.0 - np.power(beta, counts)``; ``weights = (1.0 - beta) / np.array(effective_num)``),
and ``beta`` is the same expression on both sides. The powers recognised are those of ``formulas``."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis.formulas import divisions, one_minus, power_of, same_expression
from wce_lint.analysis.module import ModuleContext, StatementInfo


@dataclass(frozen=True)
class EffectiveNumberWeighting:
    node: cst.BinaryOperation  # the division
    beta: cst.BaseExpression  # beta as written in ``1 - beta``
    statement: StatementInfo  # where that ``beta`` is read
    inverted: bool  # the effective number itself, ``(1 - beta ** n) / (1 - beta)``


def effective_number_weightings(module: ModuleContext) -> list[EffectiveNumberWeighting]:
    cached = module.cache.get("class_balance.weightings")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[EffectiveNumberWeighting] = []
    for division, statement in divisions(module):
        numerator = one_minus(module, division.left, statement)
        denominator = one_minus(module, division.right, statement)
        if numerator is None or denominator is None:
            continue
        for simple, powered, inverted in ((numerator, denominator, False), (denominator, numerator, True)):
            power = power_of(module, powered[0], powered[1])
            if power is not None and same_expression(module, simple[0], power[0]):
                found.append(EffectiveNumberWeighting(division, simple[0], simple[1], inverted))
                break
    module.cache["class_balance.weightings"] = found
    return found
