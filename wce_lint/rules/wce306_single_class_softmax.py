"""## What it does
Flags a softmax over an axis of size 1 — `Dense(1, activation="softmax")`, `tf.layers.dense(x, 1,
activation=tf.nn.softmax)`, a `Dense(1)` or `nn.Linear(h, 1)` followed by a softmax layer in a
`Sequential`, `F.softmax(x, dim=1)` / `tf.nn.softmax(x)` where that axis is statically 1 — and a
categorical or softmax cross-entropy over a single output unit: a model ending in a linear `Dense(1)`
compiled with `"categorical_crossentropy"` (or `CategoricalCrossentropy`, or a sparse one), or
`softmax_cross_entropy_with_logits` / `CrossEntropyLoss` on logits of static shape `[N, 1]` or on the raw
output of a model or layer one unit wide — `criterion(model(x), y)` where the model's last layer setting a
width is `nn.Linear(64, 1)` or `Dense(1)`, also when the model is a class, a helper's result, an element of
what `forward` returns, or lives in another module of the project (for torch, whose class axis is 1, only
with class-id targets of rank 1, which make the output `[N, C]`: a `[N, T, 1]` output scores `T` positions).
Paths disagreeing on the width, and any reshape or slice of the output, make it unknown. It is reported at the softmax (layer or call), or at the
loss argument when there is none. WCE102 stays silent where this fires.

## Why is this bad?
A softmax normalises across its axis: over one element, `exp(x) / exp(x)` is exactly 1.0 whatever `x` is,
so the model predicts "yes" for everything. Likewise the softmax cross-entropy of a single score is
`-log(1) = 0` for every example: the loss is identically zero, no gradient flows and nothing trains — no
error, just a flat loss curve. (tensorflow/addons' own tests carry one of these.)

## Example
```python
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(1, activation="softmax"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
```

## Use instead
```python
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
```
For several exclusive classes, give the last layer one unit per class (`Dense(num_classes,
activation="softmax")`).

## Fix safety
No fix: whether a sigmoid over one unit or a softmax over one unit per class was meant is the author's call.

## References
- [tf.keras.activations.softmax](https://www.tensorflow.org/api_docs/python/tf/keras/activations/softmax)
- [tf.keras.losses.CategoricalCrossentropy](https://www.tensorflow.org/api_docs/python/tf/keras/losses/CategoricalCrossentropy)
- [torch.nn.Softmax](https://pytorch.org/docs/stable/generated/torch.nn.Softmax.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.single_class import single_class_sites

    for site in single_class_sites(module):
        trace = ()
        if site.width_node is not None:
            trace = (TraceStep(f"`{short_code(module, site.width_node)}` has a single output unit", site.width_node),)
        if site.kind == "softmax":
            yield Finding(
                node=site.node,
                message=f"softmax over a single unit (`{short_code(module, site.node, 60)}`): its output is always "
                        "exactly 1.0, whatever the input",
                help="use a sigmoid for one binary output, or one unit per class for a softmax",
                trace=trace,
            )
        else:
            yield Finding(
                node=site.node,
                message=f"softmax cross-entropy `{short_code(module, site.node)}` over a single output unit is "
                        "identically 0: nothing trains",
                help="use a binary cross-entropy for one output (with `from_logits=True` on raw scores), or give "
                     "the model one unit per class",
                trace=trace,
            )


RULE = Rule(
    code="WCE306",
    name="single-class-softmax",
    summary="a softmax over an axis of size 1 (always 1.0), or a softmax cross-entropy over one output (always 0)",
    doc=__doc__ or "",
    check=check,
    triggers=(*LOSS_TRIGGERS, b"softmax", b"Softmax"),
    requires=FRAMEWORK_NAMES,
)
