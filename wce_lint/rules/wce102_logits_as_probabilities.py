"""## What it does
Flags a loss that expects probabilities — a Keras loss with `from_logits=False` (the default), the
`"binary_crossentropy"`-style strings in `model.compile`, PyTorch `BCELoss` / `F.binary_cross_entropy` —
fed by a model or layer of this module whose last layer has no activation (linear): `Dense(units)` without
`activation=`, `activation=None`/`"linear"`, `nn.Linear`.

## Why is this bad?
A linear layer produces unbounded scores (logits). A probability loss treats them as probabilities: Keras
clips them into `[ε, 1 − ε]` and takes the log, so every score above 1 or below 0 gives the same loss and
no gradient — the model trains on a fraction of its examples, silently. PyTorch's `BCELoss` raises only
when a value leaves `[0, 1]` at run time, which may be many steps in.

## Example
```python
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=tf.keras.losses.BinaryCrossentropy())
```

## Use instead
```python
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=tf.keras.losses.BinaryCrossentropy(from_logits=True))
```

## Fix safety
Unsafe: for a Keras loss object or function, the fix adds `from_logits=True`. It changes what the loss
computes (which is the point); if the model was meant to end in a sigmoid instead, add the activation
rather than applying the fix. No fix for compile strings or PyTorch (use `BCEWithLogitsLoss`).

## References
- [tf.keras.losses.BinaryCrossentropy](https://www.tensorflow.org/api_docs/python/tf/keras/losses/BinaryCrossentropy)
- [torch.nn.BCELoss](https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.calls import LossCall
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import PROBABILITIES
    from wce_lint.analysis.losses import compiled_losses, expects, predictions
    from wce_lint.analysis.provenance import LINEAR, MODEL_OUTPUT

    for use in predictions(module):
        origin = use.origin
        if origin.kind != MODEL_OUTPUT or origin.activation != LINEAR:
            continue
        if expects(module, use.loss) != PROBABILITIES:
            continue
        api = api_as_written(module, use.loss)
        yield Finding(
            node=use.argument.value,
            message=f"`{use.loss.api.logits}` of `{api}` expects probabilities but "
                    f"`{short_code(module, use.argument.value)}` is the output of a model whose last layer has "
                    f"no activation (`{origin.api}`, {module.where(origin.node)})",
            help=_help(use.loss),
            fix=_from_logits_fix(module, use.loss),
            trace=(*origin.trace, TraceStep("the raw scores are produced here", origin.node)),
        )
    for compiled in compiled_losses(module):
        if compiled.model.activation != LINEAR or compiled.from_logits is not False:
            continue
        yield Finding(
            node=compiled.argument.value,
            message=f"the model's last layer has no activation (`{compiled.model.api}` outputs logits) but its "
                    f"loss `{short_code(module, compiled.argument.value)}` expects probabilities "
                    "(`from_logits=False`)",
            help="compile with a loss built with `from_logits=True`, or end the model in a sigmoid/softmax",
            fix=_from_logits_fix(module, compiled.loss) if compiled.loss is not None else None,
            trace=compiled.model.trace,
        )


def _help(loss: "LossCall") -> str:
    if loss.api.framework == "torch":
        return "use `BCEWithLogitsLoss` / `binary_cross_entropy_with_logits` on the raw scores"
    return "pass `from_logits=True` to the loss (or end the model in a sigmoid/softmax)"


def _from_logits_fix(module: "ModuleContext", loss: "LossCall") -> Fix | None:
    from wce_lint.analysis.edits import add_keyword, replace_node

    if loss.api.framework != "keras":
        return None
    call = loss.constructor if loss.api.is_class else loss.call
    if call is None:
        return None
    existing = loss.option("from_logits")
    if existing is not None:
        edit = replace_node(module, existing.value, "True")
    else:
        edit = add_keyword(module, call, "from_logits", "True")
    return Fix("pass `from_logits=True`", (edit,), Applicability.UNSAFE)


RULE = Rule(
    code="WCE102",
    name="logits-as-probabilities",
    summary="a probability loss receives the output of a model with a linear last layer",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.UNSAFE,
)
