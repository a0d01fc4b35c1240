"""## What it does
Flags a per-example vector passed as `pos_weight` to `tf.nn.weighted_cross_entropy_with_logits` (and its
`compat.v1` spelling), `torch.nn.BCEWithLogitsLoss` or `torch.nn.functional.binary_cross_entropy_with_logits`.
The evidence is structural:

- a literal vector (list, `tf.constant`, `np.array`, `torch.tensor` …) whose length equals the batch size
  and not the number of classes, both known statically (the first and last axes of the logits or dense
  labels, or the model's input and its last `Dense(units)` / `nn.Linear(…, out_features)`);
- a value reduced over the class axis of the labels — `tf.reduce_sum(labels, axis=-1)`,
  `labels.sum(dim=1)`, `np.mean(y, axis=1)`, `torch.count_nonzero(y, dim=1)` — possibly of an elementwise
  expression of them (`1 - labels`, `labels == 0`, `labels.float()`) and possibly combined with numbers
  (`(C - labels.sum(1)) / labels.sum(1)`). The reduced tensor must be the very labels the loss receives
  (same variable, same definitions), the axis must keep the batch axis (any axis but 0; a negative axis
  needs the labels' static rank) and `keepdims` must be off: a `[batch, 1]` column broadcasts per example
  as intended.

For `BCEWithLogitsLoss` the weight is read at the constructor and the shapes at each call of the loss
object; the finding points at the constructor's argument.

## Why is this bad?
`pos_weight` broadcasts against the logits from the **last** axis: a vector of length C is one weight per
class. A vector with one entry per example is then matched against the class axis: it fails to broadcast
when the batch size differs from the number of classes, and — when it happens to match — silently weights
class `j` of every example by the value computed for example `j`. Reducing labels over the class axis
(positives per example) is the classic way to build such a vector by mistake: the per-class positive
weight reduces over the **batch** axis (`axis=0`).

## Example
```python
import tensorflow as tf

logits = tf.random.normal([8, 3])
labels = tf.cast(tf.random.uniform([8, 3]) > 0.7, tf.float32)
positives = tf.reduce_sum(labels, axis=-1)
pos_weight = (3.0 - positives) / (positives + 1.0)
loss = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=pos_weight)
```

## Use instead
```python
import tensorflow as tf

logits = tf.random.normal([8, 3])
labels = tf.cast(tf.random.uniform([8, 3]) > 0.7, tf.float32)
positives = tf.reduce_sum(labels, axis=0)
pos_weight = (8.0 - positives) / (positives + 1.0)
loss = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=pos_weight)
```

## Fix safety
There is no automatic fix: whether a per-class weight (reduce over the batch axis) or a per-example weight
(multiply the returned loss) was meant is the author's call.

## References
- [tf.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.weights import per_example_pos_weight

    reported: set[int] = set()
    for loss in loss_calls(module):
        found = per_example_pos_weight(module, loss)
        if found is None or id(found[0].value) in reported:
            continue
        argument, evidence = found
        reported.add(id(argument.value))
        trace = evidence.trace
        if evidence.node is not argument.value and not any(step.node is evidence.node for step in trace):
            trace += (TraceStep("the per-example value is computed here", evidence.node),)
        yield Finding(
            node=argument.value,
            message=(f"`pos_weight` of `{api_as_written(module, loss)}` receives {evidence.description}: "
                     "`pos_weight` broadcasts over the class axis (one weight per class), not over examples"),
            help=("for a per-class positive weight reduce the labels over the batch axis (`axis=0`); to weight "
                  "examples, multiply the per-example loss instead"),
            trace=trace,
        )


RULE = Rule(
    code="WCE202",
    name="sample-weights-as-pos-weight",
    summary="a per-example vector reaches `pos_weight`, which broadcasts over classes",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
