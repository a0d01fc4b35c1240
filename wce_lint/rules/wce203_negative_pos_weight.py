"""## What it does
Flags a `pos_weight` that is statically negative: a negative literal, a unary minus on a positive
constant, a tensor/array/list literal with any negative element, or a name bound to one. It checks
`tf.nn.weighted_cross_entropy_with_logits` (and its `compat.v1` spelling), `torch.nn.BCEWithLogitsLoss` and
`torch.nn.functional.binary_cross_entropy_with_logits`.

## Why is this bad?
`pos_weight` multiplies the positive-label term of the loss. A negative weight raises nothing: the loss
silently turns negative for positive labels, and gradient descent then pushes those predictions the wrong
way — the model learns to be confidently wrong on exactly the class you meant to up-weight.

## Example
```python
import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=-2.0)
```

## Use instead
```python
import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=2.0)
```

## Fix safety
There is no automatic fix: only the author knows which weight was meant.

## References
- [tf.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, describe_elements, format_number

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.weights import pos_weights

    for weight in pos_weights(module):
        loss, argument, value = weight.loss, weight.argument, weight.value
        if value is None or value.elements is None:
            continue
        negatives = [x for x in value.elements if x < 0]
        if not negatives:
            continue
        shown = format_number(value.elements[0]) if value.is_scalar else describe_elements(value.elements)
        trace = ()
        if value.node is not None and value.node is not argument.value:
            trace = (TraceStep("the negative value is defined here", value.node),)
        yield Finding(
            node=argument.value,
            message=(
                f"`pos_weight` of `{api_as_written(module, loss)}` is negative ({shown}): the loss turns "
                "negative on positive labels and training pushes them the wrong way"
            ),
            help="use a positive weight, e.g. the ratio of negative to positive examples",
            trace=trace,
        )


RULE = Rule(
    code="WCE203",
    name="negative-pos-weight",
    summary="`pos_weight` is statically negative",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
