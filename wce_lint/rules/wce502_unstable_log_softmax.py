"""## What it does
Flags the logarithm of a softmax output — `log(softmax(x))` — in TensorFlow (`tf.math.log`, `tf.log`), Keras
(`keras.ops.log`, `keras.backend.log`), PyTorch (`torch.log`, the tensor method `.log()`), NumPy/SciPy
(`np.log(scipy.special.softmax(x))`) and JAX (`jnp.log`), written in one expression or through assignments
(`probs = F.softmax(scores, dim=1)` … `torch.log(probs)`), and also when an epsilon, a clip or a maximum
guards the log (`log(probs + 1e-8)`, `log(clip(probs, eps, 1))`). The output of a model or layer ending in
a softmax counts like the softmax itself (`tf.log(self.acts_prob)` with
`self.acts_prob = tf.layers.dense(l1, n, tf.nn.softmax)`), and so does a helper that takes the log of its
parameter, in this module or another of the project: the finding is then at the argument of the call that
passes it a softmax output.

## Why is this bad?
Softmax is computed as `exp(x - max(x)) / sum(...)`; in float32 every class whose logit lies about 88 below
the largest gets a probability of exactly 0, and its log is `-inf` (NaN gradients once it meets a zero label
weight or a mean). An epsilon or a clip hides the `-inf` but caps the loss of a confidently wrong prediction
and flattens its gradient. `log_softmax` computes `x - max(x) - log(sum(exp(x - max(x))))`, exact for every
input, and is what every library's cross-entropy uses internally.

## Example
```python
import tensorflow as tf

def cross_entropy(onehot, logits):
    return -tf.reduce_sum(onehot * tf.math.log(tf.nn.softmax(logits, axis=-1)), axis=-1)
```

## Use instead
```python
import tensorflow as tf

def cross_entropy(onehot, logits):
    return -tf.reduce_sum(onehot * tf.nn.log_softmax(logits, axis=-1), axis=-1)
```
(or simply `tf.nn.softmax_cross_entropy_with_logits(onehot, logits)`).

## Fix safety
The fix is safe and offered for the direct form only, keeping every argument of the softmax (the axis/dim
above all): `tf.nn.log_softmax(x, axis=…)`, `keras.ops.log_softmax(x, axis=…)`, `torch.log_softmax` /
`F.log_softmax` / `torch.special.log_softmax` matching the softmax that was called, `x.softmax(dim).log()` →
`x.log_softmax(dim)`, `jax.nn.log_softmax(x, axis=…)` (`flax.linen.log_softmax` for a flax softmax) and
`scipy.special.log_softmax(x, axis=…)` for `np.log(scipy.special.softmax(x, axis=…))`. The values are equal
wherever the original is finite. The user's import alias is kept, and the import is added when the module
has none (a module import such as `import jax` when its name is free, else `from scipy.special import
log_softmax`, on the line after the last top-level import). There is no fix when the softmax reaches the
log through names or guards, when the log and the softmax come from different libraries (a Keras softmax
under `tf.math.log` is rewritten to `tf.nn.log_softmax` when its keyword arguments translate), or for
`keras.backend.log`.

## References
- [tf.nn.log_softmax](https://www.tensorflow.org/api_docs/python/tf/nn/log_softmax)
- [torch.nn.functional.log_softmax](https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html)
- [jax.nn.log_softmax](https://jax.readthedocs.io/en/latest/_autosummary/jax.nn.log_softmax.html)
- [keras.ops.log_softmax](https://keras.io/api/ops/nn/#log_softmax-function)
- [scipy.special.log_softmax](https://docs.scipy.org/doc/scipy/reference/generated/scipy.special.log_softmax.html)
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

    yield from findings(module, "softmax")


RULE = Rule(
    code="WCE502",
    name="unstable-log-softmax",
    summary="`log(softmax(x))` instead of `log_softmax`",
    doc=__doc__ or "",
    check=check,
    # Every way to reach a softmax the analysis knows spells it (imports included).
    triggers=(b"softmax",),
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.SAFE,
)
