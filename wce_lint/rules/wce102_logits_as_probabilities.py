"""## What it does
Flags a loss or metric that expects probabilities — a Keras loss with `from_logits=False` (the default),
the `"binary_crossentropy"`-style strings in `model.compile`, PyTorch `BCELoss` / `F.binary_cross_entropy`,
`sklearn.metrics.log_loss` — fed by a model or layer (of this module, or followed into the project's other
modules) whose last layer cannot give probabilities: no activation (linear: `Dense(units)` without
`activation=`, `activation=None`/`"linear"`, `nn.Linear`, a torchvision classifier such as
`models.resnet18(num_classes=1)` whose head was not replaced), or an activation that is unbounded or negative (`relu`, `relu6`, `leaky_relu`, `elu`, `selu`,
`softplus`, `exponential`, `tanh`, `swish`/`silu`, `gelu`, named in the message — as `activation=` or as the
last layer: `nn.Tanh()`, `nn.ReLU()`, `layers.ReLU()` …). It also flags the Keras
crossentropy **metrics** (`keras.metrics.BinaryCrossentropy()`, `CategoricalCrossentropy()`,
`SparseCategoricalCrossentropy()` and their strings) in `compile(metrics=[…])` of such a model when they
read probabilities (`from_logits=False`, their default), and `log_loss(y, clf.decision_function(X))`:
scikit-learn's decision function returns margins, not probabilities. Where WCE306 fires (a softmax loss
over a single output) this rule stays silent.

## Why is this bad?
A linear layer produces unbounded scores (logits). A probability loss treats them as probabilities: Keras
clips them into `[ε, 1 − ε]` and takes the log, so every score above 1 or below 0 gives the same loss and
no gradient — the model trains on a fraction of its examples, silently. A `relu` or `tanh` output is no
better (`tanh` is negative half the time, `relu` unbounded). PyTorch's `BCELoss` raises only when a value
leaves `[0, 1]` at run time, which may be many steps in. A metric reading logits as probabilities reports
a number that means nothing while the model may be training fine.

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
Unsafe: for a Keras loss or metric object or function on a model with a linear last layer, the fix adds
`from_logits=True`. It changes what the loss computes (which is the point); if the model was meant to end
in a sigmoid instead, add the activation rather than applying the fix. No fix for compile strings, PyTorch
(use `BCEWithLogitsLoss`), scikit-learn, or a `relu`/`tanh`… output (the activation itself is the mistake).

## References
- [tf.keras.losses.BinaryCrossentropy](https://www.tensorflow.org/api_docs/python/tf/keras/losses/BinaryCrossentropy)
- [torch.nn.BCELoss](https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html)
- [tf.keras.metrics.BinaryCrossentropy](https://www.tensorflow.org/api_docs/python/tf/keras/metrics/BinaryCrossentropy)
- [sklearn.metrics.log_loss](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.log_loss.html)
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
    from wce_lint.analysis.losses import compiled_losses, compiled_metrics, expects, predictions
    from wce_lint.analysis.provenance import MODEL_OUTPUT
    from wce_lint.analysis.single_class import covered_by_single_class

    for use in predictions(module):
        origin = use.origin
        last = _not_probabilities(origin.activation)
        if origin.kind != MODEL_OUTPUT or last is None:
            continue
        if expects(module, use.loss) != PROBABILITIES:
            continue
        if covered_by_single_class(module, use.argument.value):
            continue  # WCE306: a softmax loss over one output — one problem, one finding
        api = api_as_written(module, use.loss)
        yield Finding(
            node=use.argument.value,
            message=f"`{use.loss.api.logits}` of `{api}` expects probabilities but "
                    + (f"the outputs of `{short_code(module, use.argument.value)}` are those of a model whose {last} "
                       f"(`{origin.api}`)" if use.called else
                       f"`{short_code(module, use.argument.value)}` is the output of a model whose {last} "
                       f"(`{origin.api}`, {module.where(origin.node)})"),
            help=_help(use.loss, origin.activation),
            fix=_from_logits_fix(module, use.loss) if _is_linear(origin.activation) else None,
            trace=(*origin.trace, TraceStep("the raw scores are produced here" if _is_linear(origin.activation)
                                            else "the model's outputs are produced here", origin.node)),
        )
    for compiled in compiled_losses(module):
        last = _not_probabilities(compiled.model.activation)
        if last is None or compiled.from_logits is not False:
            continue
        if covered_by_single_class(module, compiled.argument.value):
            continue  # WCE306
        expecting = f"{compiled.via}, which expects probabilities" if compiled.via else \
            f"`{short_code(module, compiled.argument.value)}` expects probabilities (`from_logits=False`)"
        yield Finding(
            node=compiled.argument.value,
            message=f"the model's {last} (`{compiled.model.api}` outputs {_outputs(compiled.model.activation)}) "
                    f"but its loss {expecting}",
            help=_compile_help(compiled.model.activation),
            fix=(_from_logits_fix(module, compiled.loss)
                 if compiled.loss is not None and _is_linear(compiled.model.activation) else None),
            trace=(*compiled.model.trace, *compiled.via_trace),
        )
    for metric in compiled_metrics(module):
        last = _not_probabilities(metric.model.activation)
        if last is None or metric.from_logits is not False or metric.api.family not in ("sigmoid", "softmax",
                                                                                         "sparse"):
            continue
        yield Finding(
            node=metric.node,
            message=f"the model's {last} (`{metric.model.api}` outputs {_outputs(metric.model.activation)}) but "
                    f"the metric `{short_code(module, metric.node)}` reads probabilities (`from_logits=False`): "
                    "it reports a meaningless value",
            help=("build the metric with `from_logits=True`" if _is_linear(metric.model.activation)
                  else _compile_help(metric.model.activation)),
            fix=(_from_logits_fix(module, metric.loss)
                 if metric.loss is not None and _is_linear(metric.model.activation) else None),
            trace=metric.model.trace,
        )
    yield from _decision_function_scores(module)


def _is_linear(activation: str | None) -> bool:
    from wce_lint.analysis.provenance import LINEAR

    return activation == LINEAR


def _not_probabilities(activation: str | None) -> str | None:
    """How to say that a model with this last activation outputs no probabilities; None when it may."""
    from wce_lint.analysis.keras_models import NON_PROBABILITY_ACTIVATIONS

    if _is_linear(activation):
        return "last layer has no activation"
    if activation in NON_PROBABILITY_ACTIVATIONS:
        return f"last activation is `{activation}`, which cannot give probabilities"
    return None


def _outputs(activation: str | None) -> str:
    return "logits" if _is_linear(activation) else f"`{activation}` values"


def _compile_help(activation: str | None) -> str:
    if _is_linear(activation):
        return "compile with a loss built with `from_logits=True`, or end the model in a sigmoid/softmax"
    return (f"end the model in a sigmoid/softmax instead of `{activation}`, or drop the activation and pass "
            "`from_logits=True`")


def _decision_function_scores(module: "ModuleContext") -> Iterator[Finding]:
    """``log_loss(y, clf.decision_function(X))``: scikit-learn's decision function returns margins, not
    probabilities (``predict_proba`` does)."""
    import libcst as cst

    from wce_lint.analysis.calls import loss_calls

    for loss in loss_calls(module):
        if loss.api.framework != "sklearn" or loss.arguments is None:
            continue
        value = loss.arguments.value(loss.api.logits)
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "decision_function"):
            yield Finding(
                node=value,
                message=f"`{loss.api.logits}` of `{api_as_written(module, loss)}` expects probabilities but "
                        f"`{short_code(module, value)}` returns raw decision scores",
                help="pass `predict_proba(…)` (the probabilities), not `decision_function(…)`",
            )


def _help(loss: "LossCall", activation: str | None) -> str:
    if not _is_linear(activation):
        return _compile_help(activation)
    if loss.api.framework == "torch":
        return "use `BCEWithLogitsLoss` / `binary_cross_entropy_with_logits` on the raw scores"
    if loss.api.framework == "sklearn":
        return "pass probabilities (a sigmoid/softmax of the scores, or `predict_proba`)"
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
    summary="a probability loss or metric receives the output of a model with a linear (or relu, tanh …) last layer",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.UNSAFE,
)
