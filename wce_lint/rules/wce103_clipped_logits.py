"""## What it does
Flags logits that pass through `tf.clip_by_value`, `torch.clamp`/`clip`, `x.clamp(…)` or `jnp.clip` on
their way to a loss that takes logits (`*_with_logits`, `BCEWithLogitsLoss`, `CrossEntropyLoss`, optax,
Keras with `from_logits=True`) — directly or through assignments.

## Why is this bad?
Losses on logits are already numerically stable for any real input (TensorFlow computes
`max(x, 0) - x * z + log(1 + exp(-|x|))`). Clipping does not make them safer; it zeroes the gradient of
every example whose score lies outside the range — exactly the confidently wrong ones the model most needs
to learn from.

## Example
```python
import torch
import torch.nn.functional as F

def loss_fn(scores, targets):
    scores = torch.clamp(scores, -10.0, 10.0)
    return F.binary_cross_entropy_with_logits(scores, targets)
```

## Use instead
```python
import torch
import torch.nn.functional as F

def loss_fn(scores, targets):
    return F.binary_cross_entropy_with_logits(scores, targets)
```

## Fix safety
There is no automatic fix: removing the clip may be intended elsewhere (e.g. for logging).

## References
- [tf.nn.sigmoid_cross_entropy_with_logits (numerical stability)](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
- [torch.clamp (gradient is zero outside the range)](https://pytorch.org/docs/stable/generated/torch.clamp.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import LOGITS
    from wce_lint.analysis.losses import expects, predictions
    from wce_lint.analysis.provenance import CLIP

    for use in predictions(module):
        origin = use.origin
        if origin.kind != CLIP or expects(module, use.loss) != LOGITS:
            continue
        if origin.inner is not None and origin.inner.is_probability:
            continue  # clipped probabilities: WCE101 says what is wrong
        api = api_as_written(module, use.loss)
        clipped = "" if origin.node is use.argument.value else f" ({module.where(origin.node)})"
        yield Finding(
            node=use.argument.value,
            message=f"`{short_code(module, use.argument.value)}` is clipped by `{origin.api}`{clipped} before "
                    f"`{api}`, which is already stable for any logit: the clip zeroes the gradient of every "
                    "example outside the range",
            help="pass the unclipped logits to the loss",
            trace=(*origin.trace, TraceStep("the logits are clipped here", origin.node)),
        )


RULE = Rule(
    code="WCE103",
    name="clipped-logits",
    summary="logits are clipped before a loss that takes logits",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
