"""## What it does
Flags a `pos_weight` whose static shape cannot broadcast to the logits' shape:
`tf.nn.weighted_cross_entropy_with_logits` (and its `compat.v1` spelling), torch `nn.BCEWithLogitsLoss(
pos_weight=…)` and `F.binary_cross_entropy_with_logits(…, pos_weight=…)`.

`pos_weight` broadcasts against the logits from the **last** axis: for logits of shape `[N, C]` a scalar,
a vector of length `C` (one weight per class) or of length 1 all fit; a vector of length 3 against 2
classes does not, and neither does a weight with more axes than the logits. The logits' shape is taken
from the logits argument, or — when only the labels' shape is static — from the labels, which these losses
require to have the logits' shape.

## Why is this bad?
The call fails at run time (`Incompatible shapes: [3] vs. [32,2]`), typically after a dataset or
class list changed and the hand-written weight vector did not. Where the dimensions happen to fit a
different broadcast — a weight with more axes than the logits — the loss silently changes shape and
every example is weighted by the wrong entry.

## Example
```python
import tensorflow as tf

logits = tf.random.normal((32, 2))
labels = tf.cast(tf.random.uniform((32, 2)) > 0.5, tf.float32)
pos_weight = tf.constant([1.0, 4.0, 9.0])
loss = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=pos_weight)
```

## Use instead
```python
import tensorflow as tf

logits = tf.random.normal((32, 2))
labels = tf.cast(tf.random.uniform((32, 2)) > 0.5, tf.float32)
pos_weight = tf.constant([4.0, 9.0])
loss = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=pos_weight)
```

## Fix safety
There is no automatic fix: only the author knows which class each weight was meant for.

## References
- [tf.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
- [NumPy broadcasting rules](https://numpy.org/doc/stable/user/basics.broadcasting.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.labels import label_sites, shape_text

    reported: set[int] = set()
    for site in label_sites(module):
        from wce_lint.analysis.evaluator import value_of

        loss = site.loss
        argument = loss.option(loss.api.pos_weight)
        if argument is None or id(argument) in reported:
            continue
        from wce_lint.analysis.weights import per_example_pos_weight

        if per_example_pos_weight(module, loss) is not None:
            continue  # a per-example vector: WCE202 names the cause, one finding is enough
        # a loss object's pos_weight is read where the object is built
        at = module.statement_of(loss.constructor) if loss.constructor is not None else loss.statement
        weight = value_of(module, argument.value, at).static
        if weight is None or weight.shape is None or weight.shape == ():
            continue
        target, source = site.logits, "logits"
        if target is None or target.shape is None:
            target, source = site.labels, "labels"
        if target is None or target.shape is None:
            continue
        problem = _does_not_broadcast(weight.shape, target.shape)
        if problem is None:
            continue
        reported.add(id(argument))
        written = api_as_written(module, loss)
        classes = target.shape[-1] if target.shape else None
        wanted = f"{classes} entries (one per class) or 1" if isinstance(classes, int) else "one entry per class"
        whose = "the logits" if source == "logits" else "the labels (and so the logits)"
        message = (f"`pos_weight` of `{written}` has shape {shape_text(weight.shape)} but {whose} have shape "
                   f"{shape_text(target.shape)}: {problem}")
        if problem.startswith("it broadcasts"):
            message += f", so it needs {wanted}"
        trace = []
        if weight.node is not None and weight.node is not argument.value:
            trace.append(TraceStep("`pos_weight` is defined here", weight.node))
        if target.node is not None:
            trace.append(TraceStep(f"the {source}' shape comes from here", target.node))
        yield Finding(
            node=argument.value,
            message=message,
            help=(f"give one positive weight per class ({classes} values) or a scalar" if isinstance(classes, int)
                  else "give one positive weight per class or a scalar"),
            trace=tuple(trace),
        )


def _does_not_broadcast(weight: tuple, logits: tuple) -> str | None:
    """Why ``weight`` cannot broadcast to exactly ``logits`` (aligned from the last axis), or None."""
    if len(weight) > len(logits):
        return "it has more axes than the logits, so the loss would change shape"
    for axis, (w, t) in enumerate(zip(reversed(weight), reversed(logits))):
        if w is None or t is None or w == 1 or w == t:
            continue
        if axis == 0:
            return f"it broadcasts from the last axis, where the logits have {t} classes, not {w}"
        return f"its axis {len(weight) - 1 - axis} ({w}) does not match the logits' axis {len(logits) - 1 - axis} ({t})"
    return None


RULE = Rule(
    code="WCE302",
    name="pos-weight-not-broadcastable",
    summary="`pos_weight` cannot broadcast to the logits' shape",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
