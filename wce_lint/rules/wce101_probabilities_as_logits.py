"""## What it does
Flags a logits slot that receives probabilities: the output of a sigmoid or softmax — called directly
(`tf.sigmoid`, `tf.nn.softmax`, `tf.keras.activations.sigmoid`, `torch.sigmoid`, `x.sigmoid()`,
`F.softmax`, `jax.nn.sigmoid` …), through assignments, functions and methods that return one (each element
of a returned tuple separately), `self` attributes and the project's other modules, or from a Keras/PyTorch
model or layer whose last activation is `sigmoid` or `softmax` (an instance of a model class called as a
function included, a model handed to a training loop that calls it, a Keras application built with its top,
which ends in `classifier_activation="softmax"` by default) — passed to a loss that expects logits: `tf.nn.*_with_logits`, `tf.compat.v1.losses.*`,
PyTorch `BCEWithLogitsLoss`/`CrossEntropyLoss`, optax, or a Keras loss with `from_logits=True` (including
`model.compile(loss=…(from_logits=True))` on a model that ends in a sigmoid or softmax).

`log_softmax` output into a softmax loss is fine and is not flagged (softmax is shift-invariant, so
log-probabilities are valid logits).

A helper that passes its parameter on to such a loss is checked at each of its calls: the finding is at the
argument that carries the probabilities, and a helper called rightly and wrongly is reported only at the
wrong call.

## Why is this bad?
These losses apply the sigmoid/softmax themselves. Given probabilities, they squash them a second time:
every input lands in `[0, 1]`, so `sigmoid(p)` stays between 0.5 and 0.73. The loss can never get small,
its gradients are tiny and training stalls or converges to a poor model — without any error.

## Example
```python
import tensorflow as tf

def loss_fn(labels, scores):
    probs = tf.math.sigmoid(scores)
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=probs)
```

## Use instead
```python
import tensorflow as tf

def loss_fn(labels, scores):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=scores)
```

## Fix safety
Unsafe: when the activation call is written directly in the logits argument, the fix drops it
(`logits=tf.sigmoid(x)` → `logits=x`). It changes the loss's value, which is the point, but the author
should check the scale of what remains. No fix is offered when the probabilities come from elsewhere.

## References
- [tf.nn.sigmoid_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
- [tf.keras.losses.BinaryCrossentropy](https://www.tensorflow.org/api_docs/python/tf/keras/losses/BinaryCrossentropy)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.provenance import Origin


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import LOGITS
    from wce_lint.analysis.losses import compiled_losses, expects, predictions
    from wce_lint.analysis.provenance import CLIP

    for use in predictions(module):
        origin = use.origin
        if origin.kind == CLIP and origin.inner is not None:
            origin = origin.inner  # clipped probabilities are still probabilities
        if not origin.is_probability or expects(module, use.loss) != LOGITS:
            continue
        api = api_as_written(module, use.loss)
        slot = use.loss.api.logits
        yield Finding(
            node=use.argument.value,
            message=f"`{slot}` of `{api}` receives probabilities: "
                    f"{_describe(module, use.argument.value, origin, use.called)}; "
                    f"`{api}` applies the {_activation(use.loss.api.family)} itself — pass the raw scores",
            help="pass the scores from before the activation (keep the activation for metrics and predictions)",
            fix=_drop_activation(module, use.argument.value, origin),
            trace=_trace(origin),
        )
    for compiled in compiled_losses(module):
        if compiled.from_logits is True and compiled.model.is_model_with_probabilities:
            how = f"{compiled.via}, which expects logits" if compiled.via else "is compiled with `from_logits=True`"
            yield Finding(
                node=compiled.argument.value,
                message=f"the model ends in a {compiled.model.activation} (`{compiled.model.api}`) but its loss "
                        f"{how}: the loss applies the activation a second time",
                help="drop the final activation from the model, or use a loss that reads probabilities"
                     if compiled.via else "drop the final activation from the model, or compile with "
                                          "`from_logits=False`",
                trace=(*_trace(compiled.model), *compiled.via_trace),
            )


def _activation(family: str) -> str:
    return {"sigmoid": "sigmoid", "softmax": "softmax", "sparse": "softmax"}.get(family, "activation")


def _describe(module: "ModuleContext", value, origin: "Origin", called: bool = False) -> str:  # type: ignore[no-untyped-def]
    if called:  # `train(Net(), loader)`: the helper calls the model it is given
        return f"`{short_code(module, value)}` is a model ending in {origin.activation} (`{origin.api}`), and its " \
               "outputs are passed on"
    where = f" ({module.where(origin.node)})"
    what = f"the output of `{origin.api}`" if origin.kind == "activation" else (
        f"the output of a model ending in {origin.activation} (`{origin.api}`)")
    if origin.complement:
        what = f"one minus {what}"
    if origin.node is value:
        return f"`{short_code(module, value)}` is {what}"
    return f"`{short_code(module, value)}` is {what}{where}"


def _trace(origin: "Origin") -> tuple[TraceStep, ...]:
    steps = list(origin.trace)
    steps.append(TraceStep(f"probabilities are produced here by `{origin.api}`", origin.node))
    return tuple(steps)


def _drop_activation(module: "ModuleContext", value, origin: "Origin") -> Fix | None:  # type: ignore[no-untyped-def]
    """Only the direct form: the activation call is the argument itself."""
    import libcst as cst

    from wce_lint.analysis.edits import replace_node

    if origin.node is not value or origin.kind != "activation" or origin.complement or not isinstance(value, cst.Call):
        return None
    func = value.func
    if isinstance(func, cst.Attribute) and not value.args and not module.qualified_names(func):
        inner = func.value  # x.sigmoid() → x
    elif value.args and value.args[0].keyword is None and not value.args[0].star:
        inner = value.args[0].value  # tf.sigmoid(x) / F.softmax(x, dim=1) → x
    else:
        return None
    return Fix("drop the activation", (replace_node(module, value, module.code(inner)),), Applicability.UNSAFE)


RULE = Rule(
    code="WCE101",
    name="probabilities-as-logits",
    summary="a logits argument receives the output of a sigmoid/softmax",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.UNSAFE,
)
