"""## What it does
Flags an effective-number class weighting (Cui et al., "Class-Balanced Loss Based on Effective Number of
Samples") whose `beta` is statically outside `[0, 1)`. The weighting is recognised by structure, not by
names: a division `(1 - beta) / (1 - beta ** n)` — or the effective number itself, `(1 - beta ** n) /
(1 - beta)` — with the power written as `**`, `pow`, `math.pow`, `np.power`, `jnp.power`, `torch.pow`,
`tf.pow` or `keras.ops.power`, `1.0 - …` or `1 - …`, in one expression or through names bound once in the
same function (`effective_num = 1.0 - np.power(beta, counts)`, then
`(1.0 - beta) / np.array(effective_num)`). `beta` is checked when it folds to a constant where it is used,
and when it is a parameter of a module-level function (or of a class's `__init__`, read as `self.beta`):
then its default is checked where it is declared and every call in the module with the argument it passes,
and so is every call from another module of the project that imports it (`class_balanced_weights(counts,
1.2)` in `train.py`, the weighting in `losses.py`: reported in `train.py`, whose pre-check lets it through
because of that import, `beta` written there or not).

Known limitation: the rule itself never relies on names, but the byte pre-check only lets through files that
contain `beta`, `Beta` or `BETA` (in code, a docstring or a comment). A weighting written with none of
them in its file — `(1 - b) / (1 - b ** n)` in a module that never says beta — is not analysed. The
exact trigger would be a power (`**`, `pow`), which nearly every Python file contains (`**kwargs`). The file must
also import a tensor library (`import numpy as np`, `from torch import nn`, `import jax.numpy as jnp` …: a
line holding `import` or `from` and `numpy`, `torch`, `tensorflow`, `keras`, `jax`, `optax`, `scipy` …): the
formula needs one.

## Why is this bad?
The effective number of `n` samples, `(1 - beta ** n) / (1 - beta)`, only makes sense for `0 <= beta < 1`
(the paper uses `beta = (N - 1) / N`, e.g. 0.9, 0.99, 0.999). At `beta = 1` both terms are 0: every class
weight is `0 / 0` — NaN in NumPy/PyTorch/TensorFlow (a `ZeroDivisionError` on Python floats) — and the loss
is NaN from the first step. Above 1 the "effective number" grows geometrically beyond the real count, so
frequent classes get weights that underflow to 0; below 0 `beta ** n` alternates in sign and the weights
no longer decrease with the count (for `beta <= -1` they turn negative or infinite).

## Example
```python
import numpy as np

def class_balanced_weights(counts, beta=1.0):
    effective_num = 1.0 - np.power(beta, counts)
    weights = (1.0 - beta) / effective_num
    return weights / weights.sum() * len(counts)
```

## Use instead
```python
import numpy as np

def class_balanced_weights(counts, beta=0.999):
    effective_num = 1.0 - np.power(beta, counts)
    weights = (1.0 - beta) / effective_num
    return weights / weights.sum() * len(counts)
```

## Fix safety
There is no automatic fix: the right beta depends on the data set (the paper searches 0.9–0.9999).


## References
- [Cui et al., Class-Balanced Loss Based on Effective Number of Samples (CVPR 2019)](https://arxiv.org/abs/1901.05555)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import describe_elements, format_number, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.values import Value

_HELP = "use 0 <= beta < 1, typically (N - 1) / N for N samples: 0.9, 0.99 or 0.999"


def _problem(value: "Value") -> str | None:
    if value.elements is None or not value.elements:
        return None
    if any(x == 1 for x in value.elements):
        return "at beta = 1 both `1 - beta` and `1 - beta ** n` are 0, so every class weight is 0/0 (NaN)"
    if any(x > 1 for x in value.elements):
        return ("above 1 the effective number grows geometrically beyond the real count, so the weights of "
                "frequent classes underflow to 0")
    if any(x < 0 for x in value.elements):
        return ("below 0 `beta ** n` alternates in sign, so the weights no longer decrease with the class "
                "count (and turn negative or infinite for beta <= -1)")
    return None


def _shown(value: "Value") -> str:
    assert value.elements is not None
    return format_number(value.elements[0]) if value.is_scalar else describe_elements(value.elements)


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.class_balance import effective_number_weightings
    from wce_lint.analysis.parameters import argument_values, foreign_arguments, foreign_homes, parameter_of
    from wce_lint.analysis.evaluator import value_of

    reported: set[int] = set()
    for weighting in effective_number_weightings(module):
        formula = short_code(module, weighting.node, 50)
        value = value_of(module, weighting.beta, weighting.statement).static
        if value is not None:
            problem = _problem(value)
            if problem is None or id(weighting.beta) in reported:
                continue
            reported.add(id(weighting.beta))
            trace = ()
            if value.node is not None and value.node is not weighting.beta:
                trace = (TraceStep("beta is defined here", value.node),)
            yield Finding(
                node=weighting.beta,
                message=f"`{short_code(module, weighting.beta)}` is {_shown(value)} as the beta of the "
                        f"effective-number weighting `{formula}`: {problem}",
                help=_HELP,
                trace=trace,
            )
            continue
        parameter = parameter_of(module, weighting.beta, weighting.statement)
        if parameter is not None:
            yield from _passed(module, module, weighting, parameter, argument_values(module, parameter), reported)
    # a weighting defined in another module of the project: the betas passed to it from here
    for home in foreign_homes(module):
        for weighting in effective_number_weightings(home):
            parameter = parameter_of(home, weighting.beta, weighting.statement)
            if parameter is not None:
                yield from _passed(module, home, weighting, parameter,
                                   foreign_arguments(module, home, parameter), reported)


def _passed(module: "ModuleContext", home: "ModuleContext", weighting, parameter, arguments,  # type: ignore[no-untyped-def]
            reported: set[int]) -> Iterator[Finding]:
    formula = short_code(home, weighting.node, 50)
    where = TraceStep("the effective-number weighting is computed here", weighting.node)
    for argument in arguments:
        problem = _problem(argument.value)
        if problem is None or id(argument.node) in reported:
            continue
        reported.add(id(argument.node))
        how = (f"(default of `{parameter.callable_name}`)" if argument.call is None
               else f"passed to `{parameter.callable_name}`")
        yield Finding(
            node=argument.node,
            message=f"`{parameter.name}` {how} is {_shown(argument.value)}, the beta of the effective-number "
                    f"weighting `{formula}` ({module.where(weighting.node)}): {problem}",
            help=_HELP,
            trace=(where,),
        )


RULE = Rule(
    code="WCE504",
    name="class-balanced-beta-range",
    summary="effective-number class weighting with `beta` outside `[0, 1)`",
    doc=__doc__ or "",
    check=check,
    # Name-based for the pre-check only (see the doc's known limitation): the exact trigger, a power (`**`,
    # `pow`), occurs in nearly every file (`**kwargs`) and would defeat the pre-check.
    triggers=(b"beta", b"Beta", b"BETA"),
    requires=FRAMEWORK_NAMES,
)
