"""## What it does
Flags a loss that reads **log-probabilities** — PyTorch `nn.NLLLoss` / `F.nll_loss`, `nn.KLDivLoss` /
`F.kl_div`, `optax.kl_divergence` — given probabilities (the output of a softmax or sigmoid, called directly,
through assignments, or a model ending in one) or raw logits (a model whose last layer has no activation).
It also flags a KL-divergence *target* that is log-probabilities (a `log_softmax` output) where the API reads
probabilities: `KLDivLoss`/`kl_div` without `log_target=True`, and `optax.kl_divergence` (whose log-space
twin is `kl_divergence_with_log_targets`).

## Why is this bad?
`CrossEntropyLoss = LogSoftmax + NLLLoss`: `NLLLoss` only picks `-input[target]`, trusting that the input
is already `log_softmax`. Given probabilities in `[0, 1]`, the loss is negative, bounded, and its gradient
pushes the wrong way for confident predictions; given raw logits it is unbounded below — the model learns
to grow one score forever. Neither raises an error: training runs and the metrics drift.

## Example
```python
import torch.nn.functional as F
from torch import nn

criterion = nn.NLLLoss()


def training_step(model, images, targets):
    scores = model(images)
    return criterion(F.softmax(scores, dim=1), targets)
```

## Use instead
```python
import torch.nn.functional as F
from torch import nn

criterion = nn.NLLLoss()


def training_step(model, images, targets):
    scores = model(images)
    return criterion(F.log_softmax(scores, dim=1), targets)
```
or `nn.CrossEntropyLoss()` on the raw scores.

## Fix safety
Unsafe, and offered only for the direct form `softmax(x, dim)` written in the loss call: it becomes
`log_softmax(x, dim)` (`F.softmax` → `F.log_softmax`, `torch.softmax` → `torch.log_softmax`,
`x.softmax(dim)` → `x.log_softmax(dim)`, `jax.nn.softmax` → `jax.nn.log_softmax`). It changes the
loss's value — which is the point — and the model's outputs stay probabilities elsewhere. No fix for a
sigmoid, for logits (use `CrossEntropyLoss`), or for a target.

## References
- [torch.nn.NLLLoss](https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html)
- [torch.nn.KLDivLoss](https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html)
- [optax.kl_divergence](https://optax.readthedocs.io/en/latest/api/losses.html#optax.losses.kl_divergence)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    import libcst as cst

    from wce_lint.analysis.calls import LossCall
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.provenance import Origin


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import LOG_PROBABILITIES
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.losses import predictions

    for use in predictions(module):
        if use.loss.api.expects != LOG_PROBABILITIES:
            continue
        finding = _prediction(module, use.loss, use.argument.value, use.origin, use.called)
        if finding is not None:
            yield finding
    for loss in loss_calls(module):
        if loss.api.expects == LOG_PROBABILITIES and loss.call is not None and loss.arguments is not None:
            finding = _log_target(module, loss)
            if finding is not None:
                yield finding


def _prediction(module: "ModuleContext", loss: "LossCall", value: "cst.BaseExpression",
                origin: "Origin", called: bool = False) -> Finding | None:
    from wce_lint.analysis.provenance import ACTIVATION, LINEAR, MODEL_OUTPUT

    api = api_as_written(module, loss)
    slot = loss.api.logits
    written = short_code(module, value)
    where = "" if origin.node is value else f" ({module.where(origin.node)})"
    if called:  # `train(Net(), loader)`: the helper calls the model it is given
        what = f"a model ending in {origin.activation} (`{origin.api}`) whose outputs are passed on"
        if origin.is_probability and not origin.complement:
            return Finding(
                node=value,
                message=f"`{slot}` of `{api}` expects log-probabilities but `{written}` is {what}: probabilities in "
                        "[0, 1] make the loss negative and wrong",
                help="end the model in `log_softmax` instead of `softmax` (or use `CrossEntropyLoss` on raw scores)",
                trace=(*origin.trace, TraceStep(f"probabilities are produced here by `{origin.api}`", origin.node)),
            )
        return None
    if origin.is_probability and not origin.complement:
        what = (f"the output of `{origin.api}`" if origin.kind == ACTIVATION
                else f"the output of a model ending in {origin.activation} (`{origin.api}`)")
        return Finding(
            node=value,
            message=f"`{slot}` of `{api}` expects log-probabilities but `{written}` is {what}{where}: "
                    f"probabilities in [0, 1] make the loss negative and wrong",
            help="take `log_softmax` instead of `softmax` (or use `CrossEntropyLoss` on the raw scores)",
            fix=_log_softmax_fix(module, value, origin),
            trace=(*origin.trace, TraceStep(f"probabilities are produced here by `{origin.api}`", origin.node)),
        )
    if origin.kind == MODEL_OUTPUT and origin.activation == LINEAR:
        return Finding(
            node=value,
            message=f"`{slot}` of `{api}` expects log-probabilities but `{written}` is the output of a model whose "
                    f"last layer has no activation (`{origin.api}`){where}: on raw logits the loss is unbounded",
            help="apply `log_softmax` to the scores, or use `CrossEntropyLoss`, which does both",
            trace=(*origin.trace, TraceStep("the raw scores are produced here", origin.node)),
        )
    return None


def _log_target(module: "ModuleContext", loss: "LossCall") -> Finding | None:
    """A KL target in log-space where the API reads probabilities."""
    from wce_lint.analysis.apis import PROBABILITIES
    from wce_lint.analysis.losses import flag_value
    from wce_lint.analysis.evaluator import value_of
    from wce_lint.analysis.provenance import ACTIVATION, LOG_SOFTMAX

    api = loss.api
    if api.log_target is None and api.targets_are != PROBABILITIES:
        return None
    argument = loss.arguments.get(api.labels)  # type: ignore[union-attr]
    if argument is None:
        return None
    origin = value_of(module, argument.value, loss.statement).origin
    if origin is None or origin.kind != ACTIVATION or origin.activation != LOG_SOFTMAX:
        return None
    if api.log_target is not None:
        flag = flag_value(module, loss, api.log_target)
        if flag is not False:
            return None  # log_target=True (or unknown): the target is meant to be log-probabilities
        help_text = "pass `log_target=True`, or give the probabilities (`softmax`) as the target"
    else:
        help_text = "use `optax.kl_divergence_with_log_targets`, or give the probabilities as the target"
    name = api_as_written(module, loss)
    return Finding(
        node=argument.value,
        message=f"`{api.labels}` of `{name}` reads probabilities but `{short_code(module, argument.value)}` is "
                f"log-probabilities (the output of `{origin.api}`)",
        help=help_text,
        trace=(*origin.trace, TraceStep(f"log-probabilities are produced here by `{origin.api}`", origin.node)),
    )


_LOG_SOFTMAX = {"softmax": "log_softmax"}


def _log_softmax_fix(module: "ModuleContext", value: "cst.BaseExpression", origin: "Origin") -> Fix | None:
    """``F.softmax(x, dim=1)`` → ``F.log_softmax(x, dim=1)`` when that is the argument itself."""
    import libcst as cst

    from wce_lint.analysis.edits import replace_node
    from wce_lint.analysis.provenance import ACTIVATION, SOFTMAX

    if origin.node is not value or origin.kind != ACTIVATION or origin.activation != SOFTMAX:
        return None
    if not isinstance(value, cst.Call) or not isinstance(value.func, (cst.Attribute, cst.Name)):
        return None
    func = value.func
    name = func.attr if isinstance(func, cst.Attribute) else func
    if name.value != "softmax":
        return None  # an alias (`from torch.nn.functional import softmax as sm`): leave it to the author
    if isinstance(func, cst.Attribute) and not module.qualified_names(func):
        pass  # x.softmax(dim) → x.log_softmax(dim)
    elif not any(n.rpartition(".")[0] in _HAS_LOG_SOFTMAX for n in module.qualified_names(func)):
        return None
    return Fix("take `log_softmax` instead", (replace_node(module, name, "log_softmax"),), Applicability.UNSAFE)


# Modules whose `softmax` has a `log_softmax` twin with the same arguments.
_HAS_LOG_SOFTMAX = frozenset({"torch", "torch.nn.functional", "torch.special", "jax.nn", "tensorflow.nn",
                              "tensorflow.math", "keras.ops", "scipy.special", "flax.linen"})


RULE = Rule(
    code="WCE104",
    name="log-probabilities-expected",
    summary="a loss that reads log-probabilities (NLLLoss, KLDivLoss, kl_div) gets probabilities or raw logits",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.UNSAFE,
)
