"""## What it does
Flags a `pos_weight` that is statically degenerate:

- **zero** — every element is 0 (`0.0`, `tf.zeros([C])`, `torch.zeros(C)`, `[0, 0, 0]`), so positive labels
  contribute nothing to the loss;
- **non-finite** — an element is NaN or `+inf` (`float("inf")`, `np.inf`, `math.nan`, `torch.tensor([1.0,
  float("nan")])`), or the weight is a division by a literal zero (`neg / 0`, `1 / 0.0`), whatever the
  numerator.

It checks `tf.nn.weighted_cross_entropy_with_logits` (and its `compat.v1` spelling),
`torch.nn.BCEWithLogitsLoss` (at its constructor) and `torch.nn.functional.binary_cross_entropy_with_logits`,
following names through assignments in the same scope. A name changed in place after it is bound
(`w[0] = 2.0`, `w.fill_(3.0)`) is not folded. `-inf` is negative and is reported by WCE203 instead.

## Why is this bad?
`pos_weight` multiplies the positive-label term of the loss. At zero the positives vanish from the loss and
the model learns to predict "negative" everywhere, with a loss that looks fine. An infinite or NaN weight
turns the loss and every gradient into `inf`/NaN on the first batch with a positive label, and the weights
of the model are NaN after one optimizer step.

## Example
```python
import math

import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=math.inf)
```

## Use instead
```python
import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=10.0)
```

## Fix safety
There is no automatic fix: only the author knows which finite, positive weight was meant.

## References
- [tf.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, describe_elements, format_number

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.weights import division_by_zero, pos_weights

    for weight in pos_weights(module):
        loss, argument, value = weight.loss, weight.argument, weight.value
        api = api_as_written(module, loss)
        if value is not None and value.elements:
            elements = value.elements
            shown = format_number(elements[0]) if value.is_scalar else describe_elements(elements)
            trace = (TraceStep("the value is defined here", value.node),) \
                if value.node is not None and value.node is not argument.value else ()
            if any(math.isnan(x) or x == math.inf for x in elements):
                yield Finding(
                    node=argument.value,
                    message=(f"`pos_weight` of `{api}` is not finite ({shown}): the loss and its gradients "
                             "become inf/NaN on the first positive label"),
                    help="use a finite positive weight, e.g. the ratio of negative to positive examples",
                    trace=trace,
                )
                continue
            if all(x == 0 for x in elements):
                yield Finding(
                    node=argument.value,
                    message=(f"`pos_weight` of `{api}` is zero ({shown}): positive labels contribute nothing "
                             "to the loss"),
                    help="use a positive weight (1.0 weighs positives like negatives)",
                    trace=trace,
                )
                continue
        division = division_by_zero(module, argument.value, loss.statement)
        if division is not None:
            trace = division.trace
            if division.node is not argument.value:
                trace += (TraceStep("the division is here", division.node),)
            yield Finding(
                node=argument.value,
                message=(f"`pos_weight` of `{api}` is {division.description}: it is inf or NaN (or raises "
                         "ZeroDivisionError on Python numbers)"),
                help="guard the divisor (e.g. `max(positives, 1)`) so the weight stays finite",
                trace=trace,
            )


RULE = Rule(
    code="WCE204",
    name="degenerate-pos-weight",
    summary="`pos_weight` is statically zero or non-finite",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
