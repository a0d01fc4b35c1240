"""## What it does
Flags labels and predictions passed in each other's place, shown by dataflow evidence: the label slot
receives a model output or an activation while the prediction slot receives a target — a one-hot, a literal
tensor of 0s and 1s, or an all-ones/all-zeros tensor. When the arguments are passed by position, a model
output in the label slot is evidence enough (the prediction slot then holds something that is not a
prediction). The argument order differs between frameworks: TensorFlow and Keras take labels first
(`(labels, logits)`, `(y_true, y_pred)`), PyTorch and optax take predictions first
(`(input, target)`, `(logits, labels)`) — exactly the mix-up this rule catches.

## Why is this bad?
Nothing raises: the shapes agree, and the loss happily computes the cross-entropy of the labels under the
model's distribution. Gradients then flow into the wrong tensor (or nowhere), and the model does not learn.
GAN discriminators trained with `bce(fake_output, tf.ones_like(fake_output))` are a classic case.

## Example
```python
import tensorflow as tf

bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)

def generator_loss(fake_output):
    return bce(fake_output, tf.ones_like(fake_output))
```

## Use instead
```python
import tensorflow as tf

bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)

def generator_loss(fake_output):
    return bce(tf.ones_like(fake_output), fake_output)
```

## Fix safety
Unsafe: the fix swaps the two arguments. It changes what the loss computes (which is the point); review it
when the label slot really was meant to receive model outputs (knowledge distillation — pass such labels by
keyword, `labels=`/`y_true=`, to state the intent and silence the rule).

## References
- [tf.keras.losses.Loss.__call__ (y_true, y_pred)](https://www.tensorflow.org/api_docs/python/tf/keras/losses/Loss#__call__)
- [torch.nn.functional.binary_cross_entropy_with_logits (input, target)](https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy_with_logits.html)
- [optax.sigmoid_binary_cross_entropy (logits, labels)](https://optax.readthedocs.io/en/latest/api/losses.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.edits import replace_node
    from wce_lint.analysis.losses import is_prediction, is_target
    from wce_lint.analysis.evaluator import value_of
    from wce_lint.analysis.provenance import MODEL_OUTPUT

    for loss in loss_calls(module):
        if loss.call is None or loss.arguments is None or loss.called_slots:
            continue  # (a helper calling its argument: that argument is a model, not a prediction)
        label_arg = loss.arguments.get(loss.api.labels)
        prediction_arg = loss.arguments.get(loss.api.logits)
        if label_arg is None or prediction_arg is None:
            continue
        label_origin = value_of(module, label_arg.value, loss.statement).origin
        prediction_origin = value_of(module, prediction_arg.value, loss.statement).origin
        label_is_prediction = is_prediction(label_origin)
        prediction_is_prediction = is_prediction(prediction_origin)
        prediction_is_target = is_target(module, prediction_arg.value, loss.statement)
        label_is_target = is_target(module, label_arg.value, loss.statement)
        positional = label_arg.keyword is None and prediction_arg.keyword is None
        both = label_is_prediction and prediction_is_target and not label_is_target and not prediction_is_prediction
        by_position = (
            positional and label_origin is not None and label_origin.kind == MODEL_OUTPUT
            and not prediction_is_prediction and not label_is_target
        )
        target_only = prediction_is_target and not label_is_target and not prediction_is_prediction and positional
        if not (both or by_position or target_only):
            continue
        api = api_as_written(module, loss)
        order = ", ".join(loss.api.call_parameters.positional[:2])
        evidence = []
        if label_is_prediction:
            evidence.append(f"`{loss.api.labels}` receives a prediction (`{short_code(module, label_arg.value)}`)")
        if prediction_is_target:
            evidence.append(f"`{loss.api.logits}` receives a target (`{short_code(module, prediction_arg.value)}`)")
        fix = None
        if positional:
            fix = Fix("swap the two arguments", (
                replace_node(module, label_arg.value, module.code(prediction_arg.value)),
                replace_node(module, prediction_arg.value, module.code(label_arg.value)),
            ), Applicability.UNSAFE)
        trace = ()
        if label_origin is not None and label_is_prediction:
            trace = (*label_origin.trace, TraceStep("the prediction is produced here", label_origin.node))
        yield Finding(
            node=label_arg.value,
            message=f"labels and predictions look swapped in `{api}`: {' and '.join(evidence)}; "
                    f"it takes `({order})`",
            help=f"pass them in the order `({order})`",
            fix=fix,
            trace=trace,
        )


RULE = Rule(
    code="WCE402",
    name="swapped-labels-logits",
    summary="labels and predictions are passed in each other's place",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.UNSAFE,
)
