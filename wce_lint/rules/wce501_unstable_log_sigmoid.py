"""## What it does
Flags the logarithm of a sigmoid output — `log(sigmoid(x))` and `log(1 - sigmoid(x))` — in TensorFlow
(`tf.math.log`, `tf.log`), Keras (`keras.ops.log`, `keras.backend.log`), PyTorch (`torch.log`, the tensor
methods `.log()` and `.log1p()`, `torch.log1p(-p)`), NumPy/SciPy (`np.log(expit(x))`) and JAX (`jnp.log`),
written in one expression or through assignments (`p = tf.sigmoid(x)` … `tf.math.log(p)`), and also when
an epsilon, a clip or a maximum guards the log (`log(p + eps)`, `log(clip(p, eps, 1 - eps))`,
`log(max(p, eps))`). An epsilon is recognised by its value (a constant in (0, 0.1], a parameter default,
`keras.backend.epsilon()`, `finfo(...).eps`), never by its name. The output of a model ending in a sigmoid
counts like the sigmoid itself (`torch.log(D(x))`), and so does a helper that takes the log of its
parameter, in this module or another of the project: the finding is then at the argument of the call that
passes it a sigmoid output.

## Why is this bad?
In float32 the sigmoid rounds to exactly 1 for logits above about 17 and underflows to exactly 0 below about
-88. There `log(1 - sigmoid(x))` or `log(sigmoid(x))` is `-inf`, the loss is `inf` and the gradient NaN —
one confidently wrong example poisons the whole batch. An epsilon or a clip inside the log hides the NaN
but caps the loss at `-log(eps)` and makes its gradient (almost) zero exactly for the confidently wrong
examples the model most needs to learn from. `log_sigmoid` computes `-softplus(-x)` and is exact for every
real logit.

## Example
```python
import torch

def bce(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p + 1e-7) + (1 - targets) * torch.log(1 - p + 1e-7)).mean()

def positive_log_likelihood(scores):
    return torch.log(torch.sigmoid(scores))
```

## Use instead
```python
import torch
import torch.nn.functional as F

def bce(logits, targets):
    return -(targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits)).mean()

def positive_log_likelihood(scores):
    return F.logsigmoid(scores)
```
(or simply `F.binary_cross_entropy_with_logits(logits, targets)`).

## Fix safety
The fix is safe and offered for the direct form only — `log(sigmoid(x))` → `log_sigmoid(x)`,
`log(1 - sigmoid(x))` → `log_sigmoid(-x)` — in the framework of the log: `tf.math.log_sigmoid`,
`keras.ops.log_sigmoid`, `torch.nn.functional.logsigmoid` (PyTorch has no `torch.log_sigmoid`),
`jax.nn.log_sigmoid` (`flax.linen.log_sigmoid` for a flax sigmoid) and, for `np.log(scipy.special.expit(x))`,
`scipy.special.log_expit` (SciPy ≥ 1.8). The values are equal wherever the original is finite. The fix
keeps the user's import alias (`tf` for `import tensorflow.compat.v1 as tf` too) and adds the import when
the module has none: `import torch.nn.functional as F` (`import jax`, `import tensorflow as tf`, …) on the
line after the last top-level import, only if that name occurs nowhere in the file; otherwise the full path
through an existing import (`torch.nn.functional.logsigmoid`), otherwise `from jax.nn import log_sigmoid`
when that name is free. With no safe spelling there is no fix. There is no fix when the
sigmoid reaches the log through names or guards (rewriting those needs the logits, which may be gone), when
the log and the sigmoid come from different libraries, or for `keras.backend.log`. NumPy has no sigmoid of
its own: `np.log(1 / (1 + np.exp(-x)))` written out by hand is not recognised.

## References
- [tf.math.log_sigmoid](https://www.tensorflow.org/api_docs/python/tf/math/log_sigmoid)
- [torch.nn.functional.logsigmoid](https://pytorch.org/docs/stable/generated/torch.nn.functional.logsigmoid.html)
- [jax.nn.log_sigmoid](https://jax.readthedocs.io/en/latest/_autosummary/jax.nn.log_sigmoid.html)
- [keras.ops.log_sigmoid](https://keras.io/api/ops/nn/#log_sigmoid-function)
- [scipy.special.log_expit](https://docs.scipy.org/doc/scipy/reference/generated/scipy.special.log_expit.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.diagnostics import Applicability
from wce_lint.analysis.apis import FRAMEWORK_NAMES
from wce_lint.rule import Finding, Rule

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.rules._unstable_log import findings

    yield from findings(module, "sigmoid")


RULE = Rule(
    code="WCE501",
    name="unstable-log-sigmoid",
    summary="`log(sigmoid(x))` or `log(1 - sigmoid(x))` instead of `log_sigmoid`",
    doc=__doc__ or "",
    check=check,
    # Every way to reach a sigmoid the analysis knows spells one of these (imports included).
    triggers=(b"sigmoid", b"expit"),
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.SAFE,
)
