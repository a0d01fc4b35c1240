"""## What it does
Flags a sigmoid-family loss (`sigmoid_cross_entropy_with_logits`, `weighted_cross_entropy_with_logits`,
Keras `BinaryCrossentropy`, PyTorch `BCEWithLogitsLoss`/`BCELoss`, `optax.sigmoid_binary_cross_entropy` …)
given one-hot labels of mutually exclusive classes: the output of `one_hot(...)` / `to_categorical(...)`, or
a literal with exactly one 1 per row over two or more columns.

This rule is in preview: one-hot rows are also what a multi-label problem looks like when every example
happens to carry a single tag, so the evidence is weaker than for stable rules.

## Why is this bad?
A sigmoid loss scores each class as an independent yes/no question. For exclusive classes the model is
never told that the probabilities must sum to one: it can say "yes" to several classes or to none, its
scores are poorly calibrated across classes, and the negative classes dominate the loss as their number
grows. A softmax (categorical) loss models the choice of one class among many.

## Example
```python
import tensorflow as tf

def loss_fn(class_ids, logits):
    labels = tf.one_hot(class_ids, depth=10)
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Use instead
```python
import tensorflow as tf

def loss_fn(class_ids, logits):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=class_ids, logits=logits)
```

## Fix safety
There is no automatic fix: switching to a softmax loss changes the model's output semantics.

## References
- [tf.nn.softmax_cross_entropy_with_logits (mutually exclusive classes)](https://www.tensorflow.org/api_docs/python/tf/nn/softmax_cross_entropy_with_logits)
- [tf.nn.sigmoid_cross_entropy_with_logits (independent classes)](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Severity
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import SIGMOID
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.evaluator import value_of

    for loss in loss_calls(module):
        if loss.call is None or loss.arguments is None or loss.api.family != SIGMOID:
            continue
        labels = loss.arguments.get(loss.api.labels)
        if labels is None:
            continue
        found = value_of(module, labels.value, loss.statement).one_hot
        if found is None:
            continue
        trace = ()
        evidence = found.origin
        if evidence is not None:
            trace = (*evidence.trace, TraceStep(f"the labels are one-hot encoded here by `{evidence.api}`",
                                                evidence.node))
        yield Finding(
            node=labels.value,
            message=f"`{api_as_written(module, loss)}` scores each class as an independent yes/no question, but "
                    f"`{short_code(module, labels.value)}` holds one-hot labels of mutually exclusive classes",
            help="use a softmax loss (`softmax_cross_entropy_with_logits`, `CategoricalCrossentropy`, "
                 "`CrossEntropyLoss`) or its sparse form with the class ids",
            trace=trace,
        )


RULE = Rule(
    code="WCE403",
    name="sigmoid-loss-on-exclusive-classes",
    summary="a sigmoid loss gets one-hot labels of mutually exclusive classes",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    preview=True,
    severity=Severity.WARNING,
)
