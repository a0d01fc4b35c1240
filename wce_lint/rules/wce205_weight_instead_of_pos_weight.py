"""## What it does
Flags PyTorch `nn.BCEWithLogitsLoss(weight=w)`, `nn.BCELoss(weight=w)`,
`F.binary_cross_entropy_with_logits(…, weight=w)` and `F.binary_cross_entropy(…, weight=w)` where `w` is
plainly meant as a positive-class weight:

- `w` is a single number: statically a scalar or a one-element tensor (`torch.tensor(10.0)`,
  `torch.tensor([3.0])`, `torch.ones(1) * 5`), or built as one (`torch.tensor([ratio])`, `float(…)`,
  `x.item()`);
- `w` is the ratio of negative to positive label counts: a division whose divisor counts the positives of
  a tensor (`y.sum()`, `(y == 1).sum()`, `torch.count_nonzero(y)`, `y.mean()`, possibly `+ eps` or
  clamped) and whose dividend counts the negatives of the **same** tensor (`(y == 0).sum()`,
  `(1 - y).sum()`, `(~y).sum()`) or subtracts its positive count from any total (`y.numel() - y.sum()`,
  `N - pos`, `adj.shape[0] ** 2 - adj.sum()`), through assignments and `float`/`torch.tensor` wrappers;
- `w` is itself named as a positive weight: `pos_weight`, `pos_weights`, `positive_weight`,
  `data.pos_weight`, `self.pos_weight` — directly, wrapped (`torch.tensor(pos_weight)`) or through
  assignments. This is the one place where a name counts: it is the author's own statement of intent.

Loss objects are judged at their constructor.

## Why is this bad?
`weight` rescales the loss of every element (or batch element) alike — positives and negatives get the
same factor — so it cannot rebalance positives against negatives: a single number only scales the loss
(and the learning rate). `pos_weight` multiplies the positive term only, which is what a negatives /
positives ratio is for. This slip is a real bug in several public graph-autoencoder (GAE/VGAE) and GAN
ports, where `pos_weight` was computed carefully and then passed as `weight=`.

## Example
```python
import torch.nn.functional as F

def reconstruction_loss(logits, adj_label):
    pos_weight = (adj_label.numel() - adj_label.sum()) / adj_label.sum()
    return F.binary_cross_entropy_with_logits(logits, adj_label, weight=pos_weight)
```

## Use instead
```python
import torch.nn.functional as F

def reconstruction_loss(logits, adj_label):
    pos_weight = (adj_label.numel() - adj_label.sum()) / adj_label.sum()
    return F.binary_cross_entropy_with_logits(logits, adj_label, pos_weight=pos_weight)
```

## Fix safety
There is no automatic fix: `F.binary_cross_entropy` and `nn.BCELoss` have no `pos_weight` (switching to
the logits version changes what the input must be), and only the author knows whether a per-element
`weight` was also meant.

## References
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
- [torch.nn.functional.binary_cross_entropy_with_logits](https://pytorch.org/docs/stable/generated/torch.nn.functional.binary_cross_entropy_with_logits.html)
- [torch.nn.BCELoss](https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html)
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
    from wce_lint.analysis.weights import label_count_ratio, named_positive_weight, single_element

    for loss in loss_calls(module):
        api = loss.api
        argument = loss.option(api.element_weight)
        if argument is None or loss.statement is None or (api.is_class and loss.call is not None):
            continue  # loss objects are judged once, where they are built
        value = argument.value
        evidence = (label_count_ratio(module, value, loss.statement)
                    or single_element(module, value, loss.statement)
                    or named_positive_weight(module, value, loss.statement))
        if evidence is None:
            continue
        trace = evidence.trace
        if evidence.node is not value and not any(step.node is evidence.node for step in trace):
            trace += (TraceStep("the weight is computed here", evidence.node),)
        written = api_as_written(module, loss)
        if api.pos_weight is not None:
            help_text = f"pass it as `pos_weight=` to `{written}`"
        else:
            help_text = (f"`{written}` has no `pos_weight`: use the logits version (`BCEWithLogitsLoss` / "
                         "`binary_cross_entropy_with_logits`) with `pos_weight=`, or build a per-element weight "
                         "that is the ratio on positives and 1 on negatives")
        yield Finding(
            node=value,
            message=(f"`weight` of `{written}` receives {evidence.description}: `weight` rescales positives and "
                     "negatives alike, so it cannot rebalance them"),
            help=help_text,
            trace=trace,
        )


RULE = Rule(
    code="WCE205",
    name="weight-instead-of-pos-weight",
    summary="a positive-class weight is passed as torch BCE `weight=` instead of `pos_weight=`",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
