"""## What it does
Flags a focal loss configured with a negative focusing parameter `gamma` or a class-balancing `alpha`
outside `[0, 1]`, when the value is static (a literal, a constant that folds, a name bound to one). It checks
`keras.losses.BinaryFocalCrossentropy` / `CategoricalFocalCrossentropy` (classes and functions),
`optax.sigmoid_focal_loss` and `torchvision.ops.sigmoid_focal_loss`, and the module's own focal losses,
recognised by structure: a function (or a loss class's method) that raises `1 - p_t` to the power of one of
its parameters — `(1 - p_t) ** gamma`, `pow`/`np.power`/`torch.pow`/`tf.pow`/`keras.ops.power(1 - p_t, gamma)`,
`(1 - p_t).pow(gamma)`, or `self.gamma` bound from an `__init__` parameter — and computes a loss around it
(it calls a log, a sigmoid/softmax/exp or a cross-entropy; `(1 - t) ** power` alone is a learning-rate
schedule). Its alpha is the parameter that appears both as `1 - alpha` and as a weight (`alpha * y`,
`where(y == 1, alpha, 1 - alpha)`) and receives numbers (the labels often appear the same way). For such a
function the defaults are checked where they are declared, and every call (or construction of the class) in
the module — or in another module of the project that imports it — is checked with the arguments it passes,
the finding at the argument, in the calling file.

Known limitation: the byte pre-check only lets through files that contain `focal` or `gamma` (spelled
`focal`, `Focal`, `FOCAL`, `gamma`, `Gamma` or `GAMMA`) — in code, a docstring or a comment. A focal loss
written with neither word in its file (`def loss(p, y, g=2.0): … (1 - p_t) ** g`) is not analysed. The
structure alone would need `**` or `pow` as the trigger, which nearly every Python file contains. The file must
also import a tensor library (`import numpy as np`, `from torch import nn`, `import jax.numpy as jnp` …: a
line holding `import` or `from` and `numpy`, `torch`, `tensorflow`, `keras`, `jax`, `optax`, `scipy` …): the
formula needs one.

## Why is this bad?
The modulating factor `(1 - p_t) ** gamma` down-weights easy, well-classified examples only when
`gamma >= 0`; with a negative gamma it *up*-weights them and diverges as `p_t` approaches 1, so training
chases examples that are already right. `alpha` weights positives by `alpha` and negatives by `1 - alpha`:
outside `[0, 1]` one of the two weights is negative and the loss rewards confident mistakes on that class.
Nothing raises an error — the loss just trains the wrong thing.

Per library: `optax.sigmoid_focal_loss` and the binary Keras focal loss read alpha as that balance (Keras
only with `apply_class_balancing=True`, so alpha is not checked otherwise); `torchvision.ops.sigmoid_focal_loss`
treats a negative alpha as "no weighting", so only `alpha > 1` is flagged; Keras's
`CategoricalFocalCrossentropy` multiplies every class by alpha (inverse class frequencies above 1 are
legitimate), so only a negative alpha is flagged. A module's own focal loss is read like optax's, unless it
compares alpha with a number (`if alpha >= 0:`), in which case only `alpha > 1` is flagged.

## Example
```python
import torch
import torch.nn.functional as F

def focal_loss(logits, targets, alpha=0.25, gamma=-2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * ce * (1 - p_t) ** gamma).mean()
```

## Use instead
```python
def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    ...
```

## Fix safety
There is no automatic fix: the intended value (often the sign was a typo, sometimes alpha and gamma were
swapped) is for the author to decide.

## References
- [Lin et al., Focal Loss for Dense Object Detection (2017)](https://arxiv.org/abs/1708.02002)
- [keras.losses.BinaryFocalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binaryfocalcrossentropy-class)
- [torchvision.ops.sigmoid_focal_loss](https://pytorch.org/vision/stable/generated/torchvision.ops.sigmoid_focal_loss.html)
- [optax.sigmoid_focal_loss](https://optax.readthedocs.io/en/latest/api/losses.html#optax.losses.sigmoid_focal_loss)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, describe_elements, format_number

if TYPE_CHECKING:
    import libcst as cst

    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.values import Value

_GROWS = ("then grows as examples get easier, up-weighting the well-classified ones and diverging as p_t "
          "approaches 1")
_GAMMA = f"the modulating factor `(1 - p_t) ** gamma` {_GROWS}"
_GAMMA_HELP = "use gamma >= 0 (2.0 in the focal-loss paper; 0 gives plain cross-entropy)"
_ALPHA_HELP = "use alpha in [0, 1] (0.25 in the focal-loss paper; 0.5 weights both classes equally)"


def _shown(value: "Value") -> str:
    assert value.elements is not None
    return format_number(value.elements[0]) if value.is_scalar else describe_elements(value.elements)


def _bad_gamma(value: "Value") -> bool:
    return value.elements is not None and any(x < 0 for x in value.elements)


def _alpha_problem(value: "Value", policy: str) -> str | None:
    """Why ``value`` is wrong for an alpha read under ``policy``, or None."""
    from wce_lint.analysis.focal import SCALE, UNIT_OR_OFF

    if value.elements is None:
        return None
    if policy != UNIT_OR_OFF and any(x < 0 for x in value.elements):
        if policy == SCALE:
            return "alpha multiplies every class's loss, so a negative alpha makes the loss negative"
        return ("the positive class is weighted by `alpha`, so a negative alpha rewards confident mistakes "
                "on positives")
    if policy != SCALE and any(x > 1 for x in value.elements):
        return ("the negative class is weighted by `1 - alpha`, so an alpha above 1 rewards confident "
                "mistakes on negatives")
    return None


def check(module: "ModuleContext") -> Iterator[Finding]:
    yield from _library_calls(module)
    yield from _own_focal_losses(module)


def _library_calls(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.focal import BALANCING_FLAG, UNIT, alpha_policy
    from wce_lint.analysis.evaluator import value_of

    for loss in loss_calls(module):
        if not loss.api.focal or (loss.api.is_class and loss.call is not None):
            continue  # loss objects are judged once, where they are built
        api = api_as_written(module, loss)
        gamma = loss.option("gamma")
        value = value_of(module, gamma.value, loss.statement).static if gamma is not None else None
        if gamma is not None and value is not None and _bad_gamma(value):
            yield Finding(
                node=gamma.value,
                message=f"`gamma` of `{api}` is negative ({_shown(value)}): {_GAMMA}",
                help=_GAMMA_HELP,
                trace=_defined_at(value, gamma.value),
            )
        alpha = loss.option("alpha")
        value = value_of(module, alpha.value, loss.statement).static if alpha is not None else None
        if alpha is None or value is None:
            continue
        policy = alpha_policy(loss.api.display)
        if policy == BALANCING_FLAG:
            flag = loss.option("apply_class_balancing")
            flag_value = value_of(module, flag.value, loss.statement).static if flag is not None else None
            if flag_value is None or not flag_value.scalar:
                continue  # alpha is only read with apply_class_balancing=True
            policy = UNIT
        problem = _alpha_problem(value, policy)
        if problem is not None:
            yield Finding(
                node=alpha.value,
                message=f"`alpha` of `{api}` is {_shown(value)}, outside [0, 1]: {problem}",
                help=_ALPHA_HELP if policy == UNIT else "use a non-negative alpha",
                trace=_defined_at(value, alpha.value),
            )


def _own_focal_losses(module: "ModuleContext") -> Iterator[Finding]:
    """Focal losses written by hand: the values their gamma/alpha parameters receive — defaults and calls in
    this module, and calls from here of those defined in other modules of the project."""
    from wce_lint.analysis.focal import focal_functions
    from wce_lint.analysis.parameters import argument_values, foreign_arguments, foreign_homes

    reported: set[int] = set()
    for focal in focal_functions(module):
        yield from _focal_arguments(module, module, focal, argument_values, reported)
    for home in foreign_homes(module):
        for focal in focal_functions(home):
            yield from _focal_arguments(module, home, focal,
                                        lambda m, ref: foreign_arguments(m, home, ref), reported)


def _focal_arguments(module: "ModuleContext", home: "ModuleContext", focal, arguments_of,  # type: ignore[no-untyped-def]
                     reported: set[int]) -> Iterator[Finding]:
    from wce_lint.analysis.focal import UNIT, UNIT_OR_OFF

    where = TraceStep(f"`{focal.gamma.callable_name}` computes the focal factor here", focal.factor)
    for argument in arguments_of(module, focal.gamma):
        if id(argument.node) in reported or not _bad_gamma(argument.value):
            continue
        reported.add(id(argument.node))
        yield Finding(
            node=argument.node,
            message=f"`{focal.gamma.name}` {_how_passed(focal.gamma.callable_name, argument.call)} is "
                    f"negative ({_shown(argument.value)}): it is the exponent of the focal factor "
                    f"`{_factor(home, focal.factor)}` ({module.where(focal.factor)}), which {_GROWS}",
            help=_GAMMA_HELP,
            trace=(*_defined_at(argument.value, argument.node), where),
        )
    if focal.alpha is None:
        return
    policy = UNIT_OR_OFF if focal.alpha_may_be_off else UNIT
    for argument in arguments_of(module, focal.alpha):
        problem = _alpha_problem(argument.value, policy)
        if id(argument.node) in reported or problem is None:
            continue
        reported.add(id(argument.node))
        yield Finding(
            node=argument.node,
            message=f"`{focal.alpha.name}` {_how_passed(focal.alpha.callable_name, argument.call)} is "
                    f"{_shown(argument.value)}, outside [0, 1]: `{focal.alpha.callable_name}` uses it as the "
                    f"class-balancing weight of its focal loss, and {problem}",
            help=_ALPHA_HELP,
            trace=(*_defined_at(argument.value, argument.node), where),
        )


def _how_passed(callable_name: str, call: "cst.Call | None") -> str:
    return f"(default of `{callable_name}`)" if call is None else f"passed to `{callable_name}`"


def _factor(module: "ModuleContext", node: "cst.CSTNode") -> str:
    from wce_lint.rules._common import short_code

    return short_code(module, node, 40)


def _defined_at(value: "Value", argument: "cst.CSTNode") -> tuple[TraceStep, ...]:
    if value.node is not None and value.node is not argument:
        return (TraceStep("the value is defined here", value.node),)
    return ()


RULE = Rule(
    code="WCE503",
    name="focal-parameter-range",
    summary="focal loss with `gamma < 0` or `alpha` outside `[0, 1]`",
    doc=__doc__ or "",
    check=check,
    # The library APIs all spell "focal"/"Focal". A module's own focal loss is recognised by structure, but
    # only analysed in files that say focal or gamma somewhere (see the doc's known limitation): a power
    # (`**`, `pow`) would be exact but occurs in nearly every file (`**kwargs`) and would defeat the pre-check.
    triggers=(b"focal", b"Focal", b"FOCAL", b"gamma", b"Gamma", b"GAMMA"),
    requires=FRAMEWORK_NAMES,
)
